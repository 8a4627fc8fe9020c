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

/** Whether the séance is cancelled, said where screen readers hear it (role="status"): empty
 * while it takes place; « Cette séance est annulée. » and the public reason once cancelled.
 * Later calls (`told`: the live channel's news) say « rétablie » when it is restored under the
 * reader's eyes, so that the news that it takes place after all is heard too; the same state
 * again (a reconnection's snapshot) changes nothing, so nothing is read out twice. */
export function cancelBanner(): { el: HTMLElement; set: (cancelled: { reason: string | null } | null, told?: boolean) => void } {
  const el = h("div", { role: "status", class: "cancel-banner", "data-testid": "cancel-banner" });
  let shown: string | null = null; // the reason shown ("" for none), null while not cancelled
  return {
    el,
    set(cancelled, told = false) {
      const now = cancelled ? (cancelled.reason ?? "") : null;
      if (now === shown) return;
      const was = shown;
      shown = now;
      if (cancelled)
        el.replaceChildren(
          h("p", { class: "notice" }, h("strong", {}, t("seance.cancelled")), cancelled.reason ? h("br", {}) : null, cancelled.reason ? t("seance.cancel_reason", { reason: cancelled.reason }) : null),
        );
      else el.replaceChildren(...(told && was !== null ? [h("p", { class: "notice" }, t("seance.restored"))] : []));
    },
  };
}
