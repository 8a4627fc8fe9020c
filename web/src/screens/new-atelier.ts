// /nouvel-atelier — create an atelier in the browser (issue 19, item 2). Anyone may start an
// atelier d'initiative citoyenne (AIC), which stays unlisted until the city approves it or it is
// constituted; an atelier de projet (AP) is offered only when this device holds a staff
// credential (/connexion), and then carries its pilots and budget line. The charter starts from
// a default text, edited beside a preview of what joining shows. The creator becomes the
// facilitator: their token is kept as joining keeps it, and the atelier opens.
import "../organise.css";
import { api, ApiError, errorText, type Atelier, type Joined } from "../api";
import { append, h, newId } from "../dom";
import { t } from "../i18n";
import { save, saveJoined } from "../identity";
import { navigate, type Screen } from "../router";
import { forgetStaffToken, staffToken, type StaffMe } from "../staff";
import { errorRegion, loading, pageTitle } from "../ui";
import { checkText, field, lines, once, oneLine, type Field } from "../forms";
import { refusedText } from "./signin";

export const INSTANCES = ["CQ", "CC", "CRE", "CDJ", "CD", "ATP"] as const;
const TITLE_MAX = 200;
const SHORT_MAX = 200;
const NAME_MAX = 80;
const TEXT_MAX = 20_000;
const PILOTS_MAX = 20;
const RESIDENTS_MAX = 10_000;

type Kind = "initiative_citoyenne" | "projet";

// What was typed survives a language switch (which redraws the screen), not a reload.
const draft = {
  kind: "initiative_citoyenne" as Kind,
  title: "",
  subject: "",
  scope: "quartier" as "quartier" | "ville",
  neighbourhood: "",
  instances: [] as string[],
  pilots: "",
  financing: "",
  minResidents: "5",
  name: "",
  charter: null as string | null,
};

export const newAtelier: Screen = (main) => {
  const token = staffToken();
  let alive = true;
  if (!token) {
    draft.kind = "initiative_citoyenne";
    draw(main, null);
    return () => void (alive = false);
  }
  const status = loading();
  main.append(status);
  api<StaffMe>("GET", "/api/staff/me", undefined, token)
    .then((me) => {
      if (!alive) return;
      status.remove();
      if (new URLSearchParams(location.search).get("type") === "projet") draft.kind = "projet";
      draw(main, { token, me });
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      // A refused credential is forgotten; a network failure keeps it for the next try.
      if (error instanceof ApiError && error.status === 401) forgetStaffToken();
      draft.kind = "initiative_citoyenne";
      draw(main, null, refusedText(error));
    });
  return () => void (alive = false);
};

function draw(main: HTMLElement, staff: { token: string; me: StaffMe } | null, staffProblem: string | null = null): void {
  if (staff && !draft.name) draft.name = staff.me.name;
  if (draft.charter === null) draft.charter = t("organise.charter_default");
  const summary = errorRegion();

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
  const kindBox = h(
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
  const bind = <C extends HTMLInputElement | HTMLTextAreaElement>(control: C, key: "title" | "subject" | "neighbourhood" | "pilots" | "financing" | "minResidents" | "name") => {
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
  const projectBox = h("fieldset", {}, h("legend", {}, t("organise.atelier.project_legend")), pilots.el, financing.el);

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
  const drawPreview = () => (preview.textContent = charterInput.value.trim() || t("organise.charter.empty"));
  charterInput.addEventListener("input", () => {
    draft.charter = charterInput.value;
    drawPreview();
  });
  drawPreview();
  const reset = h("button", { type: "button", class: "small" }, t("organise.charter.reset"));
  reset.addEventListener("click", () => {
    charterInput.value = draft.charter = t("organise.charter_default");
    drawPreview();
    charterInput.focus();
  });
  const charter = field(t("organise.charter.label"), charterInput, t("organise.charter.hint"));
  const charterBox = h(
    "fieldset",
    { class: "charter-edit" },
    h("legend", {}, t("organise.charter.legend")),
    h("div", { class: "side-by-side" }, h("div", {}, charter.el, h("p", {}, reset)), h("div", {}, h("h3", { id: previewTitleId }, t("organise.charter.preview")), h("p", { class: "hint" }, t("organise.charter.preview_hint")), preview)),
  );

  const submit = h("button", { type: "submit", class: "primary" }, t("organise.atelier.submit"));
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
    name.el,
    charterBox,
    h("p", { class: "hint", id: "after-creation" }, t("organise.atelier.after")),
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
    }
    const residents = minResidents.control.value.trim();
    problems.push([minResidents, /^\d+$/.test(residents) && +residents >= 1 && +residents <= RESIDENTS_MAX ? null : t("organise.check.min_residents", { max: RESIDENTS_MAX })]);
    problems.push([name, checkText(oneLine(name.control.value), t("organise.label.name"), NAME_MAX, true)]);
    problems.push([charter, checkText(charterInput.value.trim(), t("organise.label.charter"), TEXT_MAX, false)]);
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
  const send = once(submit, t("organise.atelier.submitting"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(async () => {
      summary.show(null);
      const invalid = check();
      if (invalid) {
        invalid.control.focus();
        return false;
      }
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

  append(main, [
    pageTitle(t(draft.kind === "projet" ? "organise.atelier.page_title_projet" : "organise.atelier.page_title")),
    staff ? h("p", { class: "me staff-bar" }, t("organise.signin.signed_in", { name: staff.me.name })) : null,
    staffProblem ? h("p", { class: "notice", role: "status" }, staffProblem) : null,
    h("p", { class: "lead" }, t("organise.atelier.intro")),
    form,
  ]);
}

function resetDraft(): void {
  Object.assign(draft, { kind: "initiative_citoyenne", title: "", subject: "", scope: "quartier", neighbourhood: "", instances: [], pilots: "", financing: "", minResidents: "5", name: "", charter: null });
}
