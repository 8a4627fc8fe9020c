// Joining a séance from its code or QR link, in two steps a phone shows one at a time:
// 1. what this is, and the charter to accept; 2. a name, a role (an invitation code for the
// invited roles), consent to be named in the minutes. Then the token comes back in the body (and
// the `atelier_token` cookie) and the person lands in the atelier.
import { api, errorText, type JoinInfo, type Joined, type Role } from "../api";
import { h, newId } from "../dom";
import { formatDate, t } from "../i18n";
import { remember, saveJoined } from "../identity";
import { navigate, type Screen } from "../router";
import { errorRegion, formatCode, loading, pageTitle } from "../ui";
import { roleLabel } from "../roles";

// Survives a language switch (which redraws the screen) but not a reload.
const draft = { code: "", step: 1, accepted: false, name: "", role: "habitant" as Role, invitation: "", named: false };

export const join: Screen = (main, { code }) => {
  if (draft.code !== code) {
    // An invitation link (from the facilitator's console) carries the role and its code in its
    // fragment, which never reaches a server log.
    const query = new URLSearchParams(location.hash.slice(1));
    const invited = query.get("role") as Role | null;
    Object.assign(draft, { code, step: 1, accepted: false, name: "", role: invited ?? "habitant", invitation: query.get("invitation") ?? "", named: false });
  }
  const status = loading();
  main.append(pageTitle(t("join.title"), formatCode(code)), status);
  let alive = true;
  api<JoinInfo>("GET", `/api/join/${encodeURIComponent(code)}`)
    .then((info) => {
      if (!alive) return;
      status.remove();
      draw(main, code, info);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(region.el, h("p", {}, h("a", { href: "/" }, t("join.other_code"))));
      region.show(errorText(error));
    });
  return () => {
    alive = false;
  };
};

function draw(main: HTMLElement, code: string, info: JoinInfo): void {
  const { atelier, session } = info;
  const about = h(
    "section",
    { class: "card", "aria-labelledby": "about-title" },
    h("h2", { id: "about-title" }, atelier.title),
    h(
      "p",
      {},
      t("join.seance", { n: session.number }),
      session.date ? ` — ${formatDate(session.date)}` : "",
      session.place ? ` — ${session.place}` : "",
    ),
    h("p", { class: "subject" }, atelier.subject),
  );
  const stepBox = h("div", {});
  main.append(about, stepBox);
  const showStep = (n: number, focus: boolean) => {
    draft.step = n;
    stepBox.replaceChildren(n === 1 ? charterStep(info, () => showStep(2, true)) : identityStep(code, info, () => showStep(1, true)));
    if (focus) stepBox.querySelector<HTMLElement>("h2")?.focus();
  };
  showStep(draft.step, false);
}

function charterStep(info: JoinInfo, next: () => void): HTMLElement {
  const error = errorRegion();
  const box = h("input", { type: "checkbox", id: "accept-charter", checked: draft.accepted });
  box.addEventListener("change", () => {
    draft.accepted = box.checked;
    if (box.checked) error.show(null);
  });
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "charter-title" },
    h("p", { class: "step" }, t("join.step", { n: 1, of: 2 })),
    h("h2", { id: "charter-title", tabindex: "-1" }, t("join.charter_title", { version: info.atelier.charter_version })),
    h("div", { class: "charter", tabindex: "0", role: "region", "aria-labelledby": "charter-title" }, info.atelier.charter_text || t("join.charter_empty")),
    h("p", { class: "check" }, box, h("label", { for: "accept-charter" }, t("join.accept"))),
    error.el,
    h("button", { type: "submit", class: "primary" }, t("join.continue")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!box.checked) {
      error.show(t("join.accept_required"));
      box.focus();
      return;
    }
    next();
  });
  return form;
}

function identityStep(code: string, info: JoinInfo, back: () => void): HTMLElement {
  const error = errorRegion();
  const name = h("input", {
    id: "display-name",
    name: "display_name",
    autocomplete: "nickname",
    maxlength: "80",
    required: true,
    value: draft.name,
    "aria-describedby": "display-name-hint",
  });
  name.addEventListener("input", () => (draft.name = name.value));
  const invitation = h("input", {
    id: "invitation-code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    value: draft.invitation,
    "aria-describedby": "invitation-hint",
  });
  invitation.addEventListener("input", () => (draft.invitation = invitation.value));
  // Invited roles need their code; anyone else may have a slip from the door (registered
  // there without a phone): its code gives them back their place.
  const invitationLabel = h("label", { for: "invitation-code" }, t("join.invitation"));
  const invitationHint = h("p", { id: "invitation-hint", class: "hint" }, t("join.invitation_hint"));
  const invitationBox = h("div", { class: "field" }, invitationLabel, invitationHint, invitation);
  const needsInvitation = (role: Role) => info.roles.find((r) => r.role === role)?.needs_invitation ?? false;
  const syncInvitation = () => {
    const invited = needsInvitation(draft.role);
    invitationLabel.textContent = t(invited ? "join.invitation" : "join.slip");
    invitationHint.textContent = t(invited ? "join.invitation_hint" : "join.slip_hint");
  };
  const roleGroup = h(
    "fieldset",
    { class: "roles" },
    h("legend", {}, t("join.role")),
    // Open roles first: most people are residents; the invited roles come after.
    [...info.roles].sort((a, b) => Number(a.needs_invitation) - Number(b.needs_invitation)).map((r) => {
      const id = newId("role");
      const radio = h("input", { type: "radio", name: "role", id, value: r.role, checked: draft.role === r.role });
      radio.addEventListener("change", () => {
        draft.role = r.role;
        syncInvitation();
      });
      return h(
        "div",
        { class: "choice" },
        radio,
        h(
          "label",
          { for: id },
          h("strong", {}, roleLabel(r.role)),
          h("span", { class: "hint" }, t(`join.role_hint.${r.role}`)),
          r.needs_invitation ? h("span", { class: "hint" }, t("join.needs_invitation")) : null,
        ),
      );
    }),
  );
  syncInvitation();
  const named = h("input", { type: "checkbox", id: "show-name", checked: draft.named });
  named.addEventListener("change", () => (draft.named = named.checked));
  const submit = h("button", { type: "submit", class: "primary" }, t("join.submit"));
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "who-title" },
    h("p", { class: "step" }, t("join.step", { n: 2, of: 2 })),
    h("h2", { id: "who-title", tabindex: "-1" }, t("join.who")),
    h(
      "div",
      { class: "field" },
      h("label", { for: "display-name" }, t("join.name")),
      h("p", { id: "display-name-hint", class: "hint" }, t("join.name_hint")),
      name,
    ),
    roleGroup,
    invitationBox,
    h("p", { class: "check" }, named, h("label", { for: "show-name" }, t("join.show_name"))),
    error.el,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: back }, t("join.back")), submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    name.removeAttribute("aria-invalid");
    if (!name.value.trim()) {
      name.setAttribute("aria-invalid", "true");
      error.show(t("join.name_required"));
      name.focus();
      return;
    }
    if (needsInvitation(draft.role) && !invitation.value.trim()) {
      invitation.setAttribute("aria-invalid", "true");
      error.show(t("join.invitation_required"));
      invitation.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("join.submitting");
    try {
      const joined = await api<Joined>("POST", `/api/join/${encodeURIComponent(code)}`, {
        display_name: name.value.trim(),
        role: draft.role,
        accept_charter_version: info.atelier.charter_version,
        invitation_code: invitation.value.trim() || null,
        show_name_in_minutes: named.checked,
      });
      saveJoined(joined);
      remember(info.session.id, joined.atelier_id);
      draft.code = "";
      navigate(`/atelier/${encodeURIComponent(joined.atelier_id)}?seance=${encodeURIComponent(info.session.id)}`);
    } catch (e) {
      error.show(errorText(e));
      submit.disabled = false;
      submit.textContent = t("join.submit");
    }
  });
  return form;
}
