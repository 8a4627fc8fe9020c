// People, in the console (issue 19, #7): every participant of the atelier with their role and
// state; the facilitator changes a role, or withdraws someone's access after a confirmation
// (their token stops working and their open screens close at once).
import { api, errorText, type Participant } from "../api";
import { h, newId } from "../dom";
import { t, tn } from "../i18n";
import type { Identity } from "../identity";
import { roleLabel, ROLES } from "../roles";
import { errorRegion, twoStep } from "../ui";
import { roleBadge } from "./common";

// The roles a facilitator may give (server/schemas.py RoleChange); « conseil » comes by
// invitation only.
const GIVEN_ROLES = ["habitant", "elu", "agent", "animateur", "observateur"];

export function peopleSection(identity: Identity, checkedIn: Set<string>, onChange: () => void = () => {}): { el: HTMLElement; refresh: () => void; load: () => Promise<Participant[]> } {
  const list = h("ul", { class: "people-list" });
  const summary = h("p", { class: "muted" });
  const said = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const error = errorRegion();
  let rows: Participant[] = [];
  let focusAfter: string | null = null;
  // A role chosen and not yet confirmed: a live refresh of the list (someone joined) redraws
  // the rows, and must not put the select back under the facilitator's hand.
  const chosen = new Map<string, string>();
  const load = () => api<Participant[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/participants`, undefined, identity.token);
  const draw = () => {
    const active = rows.filter((p) => !p.revoked);
    summary.textContent = `${tn("people.count", active.length)}${rows.length > active.length ? ` · ${tn("people.revoked_count", rows.length - active.length)}` : ""}`;
    const order = (p: Participant) => (p.revoked ? 100 : 0) + ROLES.indexOf(p.role);
    const sorted = [...rows].sort((a, b) => order(a) - order(b) || a.display_name.localeCompare(b.display_name, "fr"));
    list.replaceChildren(...sorted.map(row));
    if (focusAfter) {
      el.querySelector<HTMLElement>(`[data-focus="${focusAfter}"]`)?.focus();
      focusAfter = null;
    }
  };
  const row = (p: Participant): HTMLElement => {
    const me = p.id === identity.participantId;
    const state = p.revoked ? t("people.state_revoked") : me ? t("people.state_me") : checkedIn.has(p.id) ? t("people.state_checked_in") : t("people.state_active");
    const name = h("span", { class: "person-name", id: `person-${p.id}` }, p.display_name);
    const head = h("p", { class: "person-head" }, name, roleBadge(p.role), h("span", { class: `person-state${p.revoked ? " revoked" : ""}` }, state));
    if (me || p.revoked) return h("li", { "data-person": p.id }, head);
    // The role: a select and its button (nothing changes before « Changer »).
    const selectId = newId("person-role");
    const choices = GIVEN_ROLES.includes(p.role) ? GIVEN_ROLES : [p.role, ...GIVEN_ROLES];
    const wanted = chosen.get(p.id) ?? p.role;
    const select = h("select", { id: selectId }, choices.map((r) => h("option", { value: r, selected: r === wanted }, roleLabel(r))));
    select.addEventListener("change", () => (select.value === p.role ? chosen.delete(p.id) : chosen.set(p.id, select.value)));
    const change = h("button", { type: "submit", class: "small", "data-focus": `role-${p.id}` }, t("people.change_role"));
    const roleForm = h(
      "form",
      { class: "inline-form person-role" },
      h("label", { for: selectId }, t("people.role_of", { name: p.display_name })),
      select,
      change,
    );
    roleForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.show(null);
      if (select.value === p.role) return;
      try {
        const updated = await api<Participant>("POST", `/api/participants/${encodeURIComponent(p.id)}/role`, { role: select.value }, identity.token);
        rows = rows.map((r) => (r.id === updated.id ? updated : r));
        chosen.delete(p.id);
        said.textContent = t("people.role_changed", { name: updated.display_name, role: roleLabel(updated.role) });
        focusAfter = `role-${p.id}`;
        draw();
        onChange();
      } catch (e) {
        error.show(errorText(e));
      }
    });
    // Revoking: asked first, since it cannot be undone.
    const start = h("button", { type: "button", class: "small danger", "aria-label": t("people.revoke_label", { name: p.display_name }) }, t("people.revoke"));
    const ask = h("p", { class: "notice", hidden: true }, t("people.revoke_ask", { name: p.display_name }));
    const confirm = h("button", { type: "button", class: "small danger-strong", hidden: true }, t("people.revoke_confirm"));
    const cancel = h("button", { type: "button", class: "small", hidden: true }, t("people.revoke_cancel"));
    twoStep(start, ask, confirm, cancel);
    confirm.addEventListener("click", async () => {
      error.show(null);
      confirm.disabled = true;
      try {
        const updated = await api<Participant>("POST", `/api/participants/${encodeURIComponent(p.id)}/revoke`, {}, identity.token);
        rows = rows.map((r) => (r.id === updated.id ? updated : r));
        said.textContent = t("people.revoked_now", { name: updated.display_name });
        focusAfter = "list";
        draw();
        onChange();
      } catch (e) {
        confirm.disabled = false;
        error.show(errorText(e));
      }
    });
    return h("li", { "data-person": p.id }, head, h("div", { class: "person-actions" }, roleForm, h("p", { class: "actions" }, start, confirm, cancel)), ask);
  };
  const heading = h("h2", { id: "people-title", tabindex: "-1", "data-focus": "list" }, t("people.title"));
  const el = h("section", { class: "card people-card", "aria-labelledby": "people-title", "data-testid": "people" }, heading, summary, said, error.el, list);
  const refresh = () => {
    load()
      .then((fresh) => {
        rows = fresh;
        draw();
      })
      .catch((e) => error.show(errorText(e)));
  };
  refresh();
  return { el, refresh, load };
}
