// Small views shared by several screens.
import { h } from "../dom";
import { formatNumber, t, tn } from "../i18n";
import type { LiveState } from "../live";
import { roleColour, roleLabel, ROLES } from "../roles";

/** Counts by role as a list with each role's colour swatch and name (never colour alone). */
export function countsByRole(counts: Record<string, number>, emptyKey: string): HTMLElement {
  const entries = ROLES.filter((r) => (counts[r] ?? 0) > 0);
  if (!entries.length) return h("p", { class: "muted" }, t(emptyKey));
  const total = entries.reduce((sum, r) => sum + (counts[r] ?? 0), 0);
  return h(
    "div",
    {},
    h("p", { class: "total" }, tn("common.people", total)),
    h(
      "ul",
      { class: "by-role" },
      entries.map((r) =>
        h(
          "li",
          {},
          h("span", { class: "swatch", style: `background:${roleColour(r)}`, "aria-hidden": "true" }),
          h("span", {}, roleLabel(r)),
          h("span", { class: "count" }, formatNumber(counts[r] ?? 0)),
        ),
      ),
    ),
  );
}

export function liveBadge(): { el: HTMLElement; set: (state: LiveState) => void } {
  const el = h("p", { class: "live-state", role: "status" });
  return {
    el,
    set(state) {
      el.dataset.state = state;
      el.textContent = t(`live.${state}`);
    },
  };
}

export function roleBadge(role: string): HTMLElement {
  return h("span", { class: "role-badge", style: `background:${roleColour(role)}` }, roleLabel(role));
}
