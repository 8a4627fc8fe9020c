// /nouvel-atelier — create an atelier in the browser (issue 19, item 2). Anyone may start an
// atelier d'initiative citoyenne (AIC), which stays unlisted until the city approves it or it is
// constituted; an atelier de projet (AP) is offered only when this device holds a staff
// credential (/connexion), and then carries its pilots and budget line. The charter starts from
// a default text, edited beside a preview of what joining shows. The creator becomes the
// facilitator: their token is kept as joining keeps it, and the atelier opens.
//
// /atelier/{id}/modifier — the same form, prefilled, for the atelier's facilitators. Its kind
// is not offered (the server's AtelierEdit has none: an AP is the city's from its creation). A
// changed charter text is a new version, which everyone accepts again at their next visit: the
// form says so before saving. Saving sends the description, then the charter if its text
// changed, then the logo if one was chosen; a refusal is shown on its field.
import "../organise.css";
import { api, ApiError, errorText, type Atelier, type Joined } from "../api";
import { append, h, newId } from "../dom";
import { t } from "../i18n";
import { identityFor, save, saveJoined, type Identity } from "../identity";
import { canRunSession } from "../roles";
import { navigate, type Screen } from "../router";
import { forgetStaffToken, staffToken, type StaffMe } from "../staff";
import { errorRegion, loading, pageTitle } from "../ui";
import { checkText, field, lines, once, oneLine, type Field } from "../forms";
import { IMAGE_TYPES, MAX_IMAGE_BYTES, putImage } from "./organiser";
import { refusedText } from "./signin";

export const INSTANCES = ["CQ", "CC", "CRE", "CDJ", "CD", "ATP"] as const;
const TITLE_MAX = 200;
const SHORT_MAX = 200;
const NAME_MAX = 80;
const TEXT_MAX = 20_000;
const PILOTS_MAX = 20;
const RESIDENTS_MAX = 10_000;

type Kind = "initiative_citoyenne" | "projet";

interface Draft {
  kind: Kind;
  title: string;
  subject: string;
  scope: "quartier" | "ville";
  neighbourhood: string;
  instances: string[];
  pilots: string;
  financing: string;
  pilotService: string;
  minResidents: string;
  name: string;
  charter: string | null;
}

function blankDraft(): Draft {
  return { kind: "initiative_citoyenne", title: "", subject: "", scope: "quartier", neighbourhood: "", instances: [], pilots: "", financing: "", pilotService: "", minResidents: "5", name: "", charter: null };
}

// What was typed survives a language switch (which redraws the screen), not a reload.
const draft = blankDraft();
// The same for the edit form, as long as the atelier it started from has not changed since.
let editing: { atelierId: string; from: string; draft: Draft } | null = null;

/** The charter as the server compares it (domain/errors.py normalize_text). */
function tidy(text: string): string {
  return text.normalize("NFC").replace(/\r\n?/g, "\n").trim();
}

/** Create (the staff credential, if any) or edit (the facilitator's identity and the atelier). */
type Mode = { edit: false; staff: { token: string; me: StaffMe } | null; staffProblem: string | null } | { edit: true; identity: Identity; atelier: Atelier };

export const newAtelier: Screen = (main) => {
  const token = staffToken();
  let alive = true;
  if (!token) {
    draft.kind = "initiative_citoyenne";
    draw(main, { edit: false, staff: null, staffProblem: null }, draft);
    return () => void (alive = false);
  }
  const status = loading();
  main.append(status);
  api<StaffMe>("GET", "/api/staff/me", undefined, token)
    .then((me) => {
      if (!alive) return;
      status.remove();
      if (new URLSearchParams(location.search).get("type") === "projet") draft.kind = "projet";
      draw(main, { edit: false, staff: { token, me }, staffProblem: null }, draft);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      // A refused credential is forgotten; a network failure keeps it for the next try.
      if (error instanceof ApiError && error.status === 401) forgetStaffToken();
      draft.kind = "initiative_citoyenne";
      draw(main, { edit: false, staff: null, staffProblem: refusedText(error) }, draft);
    });
  return () => void (alive = false);
};

export const editAtelier: Screen = (main, { atelierId }) => {
  const identity = identityFor(atelierId);
  const back = `/atelier/${encodeURIComponent(atelierId)}`;
  if (!identity || !canRunSession(identity.role)) {
    main.append(pageTitle(t("organise.edit.page_title")), h("p", { class: "notice" }, t("organise.edit.facilitator_only")), h("p", {}, h("a", { href: back }, t("organise.seance.back"))));
    return;
  }
  let alive = true;
  const status = loading();
  main.append(status);
  api<Atelier>("GET", `/api/ateliers/${encodeURIComponent(atelierId)}`, undefined, identity.token)
    .then((atelier) => {
      if (!alive) return;
      status.remove();
      const from = JSON.stringify(atelier);
      // A language switch keeps what was typed; an atelier changed meanwhile starts afresh.
      if (!editing || editing.atelierId !== atelierId || editing.from !== from) {
        editing = {
          atelierId,
          from,
          draft: {
            kind: atelier.kind === "projet" ? "projet" : "initiative_citoyenne",
            title: atelier.title,
            subject: atelier.subject,
            scope: atelier.scope === "ville" ? "ville" : "quartier",
            neighbourhood: atelier.neighbourhood ?? "",
            instances: [...atelier.instances],
            pilots: atelier.pilots.join("\n"),
            financing: atelier.financing ?? "",
            pilotService: atelier.pilot_service ?? "",
            minResidents: String(atelier.min_residents),
            name: "",
            charter: atelier.charter_text,
          },
        };
      }
      draw(main, { edit: true, identity, atelier }, editing.draft);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("organise.edit.page_title")), region.el, h("p", {}, h("a", { href: back }, t("organise.seance.back"))));
      region.show(errorText(error));
    });
  return () => void (alive = false);
};

function draw(main: HTMLElement, mode: Mode, draft: Draft): void {
  const staff = mode.edit ? null : mode.staff;
  if (staff && !draft.name) draft.name = staff.me.name;
  if (draft.charter === null) draft.charter = t("organise.charter_default");
  const summary = errorRegion();
  // The charter in force (edit): what the text is compared with, and what « reset » gives back.
  let charterInForce = mode.edit ? mode.atelier.charter_text : null;
  let versionInForce = mode.edit ? mode.atelier.charter_version : 0;

  // --- kind --------------------------------------------------------------------------------
  const kindRadio = (kind: Kind) => {
    const id = newId("kind");
    const radio = h("input", { type: "radio", name: "kind", id, value: kind, checked: draft.kind === kind });
    radio.addEventListener("change", () => {
      draft.kind = kind;
      syncKind();
    });
    return h(
      "div",
      { class: "choice" },
      radio,
      h("label", { for: id }, h("strong", {}, t(`organise.kind.${kind === "projet" ? "projet" : "aic"}`)), h("span", { class: "hint" }, t(`organise.kind.${kind === "projet" ? "projet" : "aic"}_hint`))),
    );
  };
  const kindBox = mode.edit
    ? // The kind is the atelier's from its creation (server/schemas.py AtelierEdit has none).
      h("div", { class: "kind-fixed" }, h("p", {}, h("strong", {}, t("organise.edit.kind", { kind: t(draft.kind === "projet" ? "organise.kind.projet" : "organise.kind.aic") }))), h("p", { class: "hint" }, t("organise.edit.kind_fixed")))
    : h(
        "fieldset",
        {},
        h("legend", {}, t("organise.kind.legend")),
        kindRadio("initiative_citoyenne"),
        staff
          ? kindRadio("projet")
          : h(
              "div",
              { class: "notice staff-only" },
              h("p", {}, h("strong", {}, t("organise.kind.projet")), " — ", t("organise.kind.projet_staff_only")),
              h("p", {}, h("a", { href: "/connexion" }, t("organise.kind.projet_sign_in"))),
            ),
      );

  // --- what and where ------------------------------------------------------------------------
  const bind = <C extends HTMLInputElement | HTMLTextAreaElement>(control: C, key: "title" | "subject" | "neighbourhood" | "pilots" | "financing" | "pilotService" | "minResidents" | "name") => {
    control.value = draft[key];
    control.addEventListener("input", () => (draft[key] = control.value));
    return control;
  };
  const title = field(t("organise.atelier.title"), bind(h("input", { name: "title", maxlength: String(TITLE_MAX), autocomplete: "off" }), "title"), t("organise.atelier.title_hint"));
  const subject = field(t("organise.atelier.subject"), bind(h("textarea", { name: "subject", rows: "4" }), "subject"), t("organise.atelier.subject_hint"));

  const scopeRadio = (scope: "quartier" | "ville") => {
    const id = newId("scope");
    const radio = h("input", { type: "radio", name: "scope", id, value: scope, checked: draft.scope === scope });
    radio.addEventListener("change", () => {
      draft.scope = scope;
      syncScope();
    });
    return h("div", { class: "choice" }, radio, h("label", { for: id }, t(`organise.scope.${scope}`)));
  };
  const neighbourhood = field(t("organise.atelier.neighbourhood"), bind(h("input", { name: "neighbourhood", maxlength: String(SHORT_MAX), autocomplete: "off" }), "neighbourhood"), t("organise.atelier.neighbourhood_hint"));
  const scopeBox = h("fieldset", {}, h("legend", {}, t("organise.scope.legend")), scopeRadio("quartier"), scopeRadio("ville"), neighbourhood.el);

  const instancesBox = h(
    "fieldset",
    {},
    h("legend", {}, t("organise.instances.legend")),
    h("p", { class: "hint" }, t("organise.instances.hint")),
    INSTANCES.map((code) => {
      const id = newId("instance");
      const box = h("input", { type: "checkbox", id, name: "instances", value: code, checked: draft.instances.includes(code) });
      box.addEventListener("change", () => {
        draft.instances = INSTANCES.filter((c) => (c === code ? box.checked : draft.instances.includes(c)));
      });
      return h("div", { class: "choice" }, box, h("label", { for: id }, t(`organise.instance.${code.toLowerCase()}`), " ", h("span", { class: "muted" }, `(${code})`)));
    }),
  );

  // --- an atelier de projet's pilots and budget line -------------------------------------------
  const pilots = field(t("organise.atelier.pilots"), bind(h("textarea", { name: "pilots", rows: "3" }), "pilots"), t("organise.atelier.pilots_hint"));
  const financing = field(t("organise.atelier.financing"), bind(h("input", { name: "financing", maxlength: String(SHORT_MAX), autocomplete: "off" }), "financing"), t("organise.atelier.financing_hint"));
  const pilotService = field(t("organise.atelier.pilot_service"), bind(h("input", { name: "pilot_service", maxlength: String(SHORT_MAX), autocomplete: "off" }), "pilotService"), t("organise.atelier.pilot_service_hint"));
  const projectBox = h("fieldset", {}, h("legend", {}, t("organise.atelier.project_legend")), pilots.el, pilotService.el, financing.el);

  // --- people --------------------------------------------------------------------------------
  const minResidents = field(
    t("organise.atelier.min_residents"),
    bind(h("input", { name: "min_residents", type: "number", inputmode: "numeric", min: "1", max: String(RESIDENTS_MAX), step: "1", class: "narrow" }), "minResidents"),
    t("organise.atelier.min_residents_hint"),
  );
  const name = field(t("organise.atelier.your_name"), bind(h("input", { name: "facilitator_name", maxlength: String(NAME_MAX), autocomplete: "name" }), "name"), t("organise.atelier.your_name_hint"));

  // --- charter, with what joining will show --------------------------------------------------
  const charterInput = h("textarea", { name: "charter", rows: "14", class: "charter-input" });
  charterInput.value = draft.charter;
  const previewTitleId = newId("preview");
  const preview = h("div", { class: "charter", role: "region", tabindex: "0", "aria-labelledby": previewTitleId, "data-testid": "charter-preview" });
  // Edit: a changed text is a new version, and everyone will be asked to accept it.
  const newVersion = h("p", { class: "notice", "aria-live": "polite", "data-testid": "charter-new-version" });
  const charterChanged = () => charterInForce !== null && tidy(charterInput.value) !== tidy(charterInForce);
  const drawPreview = () => {
    preview.textContent = charterInput.value.trim() || t("organise.charter.empty");
    const changed = charterChanged();
    newVersion.hidden = !changed;
    newVersion.textContent = changed ? t("organise.edit.charter_new_version", { version: versionInForce + 1 }) : "";
  };
  charterInput.addEventListener("input", () => {
    draft.charter = charterInput.value;
    drawPreview();
  });
  drawPreview();
  const reset = h("button", { type: "button", class: "small" }, t(mode.edit ? "organise.edit.charter_reset" : "organise.charter.reset"));
  reset.addEventListener("click", () => {
    charterInput.value = draft.charter = charterInForce ?? t("organise.charter_default");
    drawPreview();
    charterInput.focus();
  });
  const charter = field(
    t("organise.charter.label"),
    charterInput,
    mode.edit ? t("organise.edit.charter_hint", { version: versionInForce }) : t("organise.charter.hint"),
    mode.edit ? newVersion : null,
  );
  const charterBox = h(
    "fieldset",
    { class: "charter-edit" },
    h("legend", {}, t("organise.charter.legend")),
    h("div", { class: "side-by-side" }, h("div", {}, charter.el, h("p", {}, reset)), h("div", {}, h("h3", { id: previewTitleId }, t("organise.charter.preview")), h("p", { class: "hint" }, t("organise.charter.preview_hint")), preview)),
  );

  // --- the logo (edit: the atelier exists; an AIC gets one once approved or constituted) -----
  const logo = mode.edit ? logoField(mode.atelier) : null;

  const submit = h("button", { type: "submit", class: "primary" }, t(mode.edit ? "organise.edit.submit" : "organise.atelier.submit"));
  const form = h(
    "form",
    { class: "card stacked new-atelier", novalidate: true, "aria-labelledby": "page-title" },
    kindBox,
    title.el,
    subject.el,
    scopeBox,
    instancesBox,
    projectBox,
    minResidents.el,
    mode.edit ? null : name.el,
    charterBox,
    logo?.el ?? null,
    mode.edit ? null : h("p", { class: "hint", id: "after-creation" }, t("organise.atelier.after")),
    summary.el,
    submit,
  );

  const syncKind = () => {
    projectBox.hidden = draft.kind !== "projet";
  };
  const syncScope = () => {
    neighbourhood.el.hidden = draft.scope !== "quartier";
  };
  syncKind();
  syncScope();

  const check = (): Field | null => {
    const problems: [Field, string | null][] = [];
    const titleText = oneLine(title.control.value);
    problems.push([title, checkText(titleText, t("organise.label.title"), TITLE_MAX, true)]);
    problems.push([subject, checkText(subject.control.value.trim(), t("organise.label.subject"), TEXT_MAX, true)]);
    problems.push([neighbourhood, draft.scope === "quartier" ? (oneLine(neighbourhood.control.value) ? checkText(oneLine(neighbourhood.control.value), t("organise.label.neighbourhood"), SHORT_MAX, true) : t("organise.check.neighbourhood")) : null]);
    if (draft.kind === "projet") {
      const names = lines(pilots.control.value);
      let pilotProblem: string | null = null;
      if (names.length > PILOTS_MAX) pilotProblem = t("organise.check.pilots_many", { max: PILOTS_MAX });
      else if (new Set(names).size !== names.length) pilotProblem = t("organise.check.pilots_twice");
      else for (const n of names) pilotProblem ??= checkText(n, t("organise.label.pilot"), NAME_MAX, true);
      problems.push([pilots, pilotProblem]);
      problems.push([financing, checkText(oneLine(financing.control.value), t("organise.label.financing"), SHORT_MAX, false)]);
      problems.push([pilotService, checkText(oneLine(pilotService.control.value), t("organise.label.pilot_service"), SHORT_MAX, false)]);
    }
    const residents = minResidents.control.value.trim();
    problems.push([minResidents, /^\d+$/.test(residents) && +residents >= 1 && +residents <= RESIDENTS_MAX ? null : t("organise.check.min_residents", { max: RESIDENTS_MAX })]);
    if (!mode.edit) problems.push([name, checkText(oneLine(name.control.value), t("organise.label.name"), NAME_MAX, true)]);
    problems.push([charter, checkText(charterInput.value.trim(), t("organise.label.charter"), TEXT_MAX, false)]);
    if (logo) problems.push([logo.field, logo.check()]);
    let first: Field | null = null;
    for (const [f, problem] of problems) {
      f.error(problem);
      if (problem && !first) {
        first = f;
        summary.show(problem);
      }
    }
    return first;
  };

  // The summary repeats the first problem; once the person types, the fields say what is left.
  form.addEventListener("input", () => summary.show(null));
  const send = once(submit, t(mode.edit ? "organise.edit.submitting" : "organise.atelier.submitting"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(async () => {
      summary.show(null);
      const invalid = check();
      if (invalid) {
        invalid.control.focus();
        return false;
      }
      if (mode.edit) return saveEdit(mode.identity, mode.atelier);
      const kind = draft.kind;
      const body: Record<string, unknown> = {
        title: oneLine(title.control.value),
        subject: subject.control.value.trim(),
        kind,
        scope: draft.scope,
        facilitator_name: oneLine(name.control.value),
        neighbourhood: draft.scope === "quartier" ? oneLine(neighbourhood.control.value) : null,
        instances: draft.instances,
        charter_text: charterInput.value.trim(),
        min_residents: Number(minResidents.control.value.trim()),
      };
      if (kind === "projet") {
        body.pilots = lines(pilots.control.value);
        body.financing = oneLine(financing.control.value) || null;
        body.pilot_service = oneLine(pilotService.control.value) || null;
      }
      try {
        // The staff credential goes with any creation from this device: an AIC a staff member
        // starts is theirs, approved at once (server/services/ateliers.py).
        const created = await api<{ atelier: Atelier; facilitator: Joined }>("POST", "/api/ateliers", body, staff?.token ?? null);
        const identity = saveJoined(created.facilitator);
        identity.atelierTitle = created.atelier.title;
        save(identity);
        resetDraft();
        navigate(`/atelier/${encodeURIComponent(created.atelier.id)}`);
        return true;
      } catch (e) {
        if (staff && e instanceof ApiError && e.status === 401) {
          forgetStaffToken();
          summary.show(refusedText(e));
        } else {
          summary.show(errorText(e));
        }
        return false;
      }
    });
  });

  /** The description, then the charter if its text changed, then the logo if one was chosen;
   * what the server refuses is said on its field, and what was saved stays saved (a second
   * try makes no second charter version). */
  const saveEdit = async (identity: Identity, atelier: Atelier): Promise<boolean> => {
    const id = encodeURIComponent(atelier.id);
    const kind = atelier.kind;
    const body = {
      title: oneLine(title.control.value),
      subject: subject.control.value.trim(),
      scope: draft.scope,
      neighbourhood: draft.scope === "quartier" ? oneLine(neighbourhood.control.value) : null,
      instances: draft.instances,
      pilots: kind === "projet" ? lines(pilots.control.value) : atelier.pilots,
      financing: kind === "projet" ? oneLine(financing.control.value) || null : (atelier.financing ?? null),
      pilot_service: kind === "projet" ? oneLine(pilotService.control.value) || null : (atelier.pilot_service ?? null),
      min_residents: Number(minResidents.control.value.trim()),
    };
    try {
      await api<Atelier>("PUT", `/api/ateliers/${id}`, body, identity.token);
    } catch (e) {
      summary.show(errorText(e));
      return false;
    }
    if (charterChanged()) {
      try {
        const revised = await api<Atelier>("PUT", `/api/ateliers/${id}/charter`, { text: tidy(charterInput.value) }, identity.token);
        charterInForce = revised.charter_text;
        versionInForce = revised.charter_version;
        const hint = charter.el.querySelector(".hint");
        if (hint) hint.textContent = t("organise.edit.charter_hint", { version: versionInForce });
        drawPreview();
      } catch (e) {
        charter.error(errorText(e));
        summary.show(errorText(e));
        charterInput.focus();
        return false;
      }
    }
    if (logo?.file()) {
      try {
        await putImage(`/api/ateliers/${id}/image`, logo.file()!, identity.token);
      } catch (e) {
        const text = e instanceof ApiError && e.code === "atelier_not_approved" ? t("organise.logo.after_approval") : errorText(e);
        logo.field.error(text);
        summary.show(t("organise.edit.saved_but_logo", { problem: text }));
        logo.field.control.focus();
        return false;
      }
    }
    editing = null;
    identity.atelierTitle = body.title;
    save(identity);
    navigate(`/atelier/${id}`);
    return true;
  };

  const back = mode.edit ? `/atelier/${encodeURIComponent(mode.atelier.id)}` : null;
  append(main, [
    mode.edit
      ? pageTitle(t("organise.edit.page_title"), mode.atelier.title)
      : pageTitle(t(draft.kind === "projet" ? "organise.atelier.page_title_projet" : "organise.atelier.page_title")),
    back ? h("p", {}, h("a", { href: back }, t("organise.seance.back"))) : null,
    staff ? h("p", { class: "me staff-bar" }, t("organise.signin.signed_in", { name: staff.me.name })) : null,
    !mode.edit && mode.staffProblem ? h("p", { class: "notice", role: "status" }, mode.staffProblem) : null,
    mode.edit ? null : h("p", { class: "lead" }, t("organise.atelier.intro")),
    form,
  ]);
}

/** The logo on the edit form: the current one shown, a file to replace it, checked as the
 * server checks it (its refusals — not an image, too heavy, too many pixels — land here too). */
function logoField(atelier: Atelier): { el: HTMLElement; field: Field<HTMLInputElement>; file: () => File | null; check: () => string | null } | null {
  const url = `/api/ateliers/${encodeURIComponent(atelier.id)}/image`;
  const current = h("img", { class: "logo-preview", alt: t("organise.logo.alt", { title: atelier.title }), hidden: true });
  const none = h("p", { class: "muted", hidden: true }, t("organise.edit.no_logo"));
  current.addEventListener("load", () => {
    current.hidden = false;
    none.hidden = true;
  });
  current.addEventListener("error", () => {
    current.hidden = true;
    none.hidden = false;
  });
  current.src = url;
  const input = h("input", { type: "file", name: "logo", accept: IMAGE_TYPES.join(",") });
  const logo = field(t("organise.logo.label"), input, t("organise.edit.logo_hint"));
  const approved = atelier.listed !== false;
  const el = h(
    "fieldset",
    { class: "logo-box" },
    h("legend", {}, t("organise.logo.title")),
    current,
    none,
    // The server refuses it too (403 atelier_not_approved): say why before anyone tries.
    approved ? logo.el : h("p", { class: "notice" }, t("organise.logo.after_approval")),
  );
  const file = () => (approved ? (input.files?.[0] ?? null) : null);
  return {
    el,
    field: logo,
    file,
    check: () => {
      const chosen = file();
      if (!chosen) return null;
      if (chosen.size > MAX_IMAGE_BYTES) return t("organise.logo.too_large");
      if (chosen.type && !IMAGE_TYPES.includes(chosen.type)) return t("organise.logo.type");
      return null;
    },
  };
}

function resetDraft(): void {
  Object.assign(draft, blankDraft());
}
