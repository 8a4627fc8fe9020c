// The card of charter.ts: « La charte a changé (version n) », what changed since the version
// the person accepted, the new text, « J'accepte la nouvelle charte ».
import { api, errorText } from "./api";
import { acceptedNow, type CharterStatus } from "./charter";
import { h, newId } from "./dom";
import { t } from "./i18n";
import type { Identity } from "./identity";
import { errorRegion } from "./ui";

export function card(identity: Identity, status: CharterStatus): HTMLElement {
  const titleId = newId("charter-card");
  const problem = errorRegion();
  const accept = h("button", { type: "button", class: "primary" }, t("charter_card.accept"));
  let busy = false;
  accept.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    accept.disabled = true;
    accept.setAttribute("aria-busy", "true");
    problem.show(null);
    try {
      await api("POST", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/charter/accept`, { version: status.version }, identity.token);
      acceptedNow(identity.atelierId, status.version);
      // The screen again, with the access the acceptance gives (an editor reconnects).
      window.dispatchEvent(new Event("atelier:navigate"));
    } catch (e) {
      problem.show(errorText(e));
      busy = false;
      accept.disabled = false;
      accept.removeAttribute("aria-busy");
    }
  });
  const changes = status.accepted_text === null ? [] : changedLines(status.accepted_text, status.text);
  const textId = newId("charter-text");
  return h(
    "section",
    { class: "card charter-card", "aria-labelledby": titleId, "data-testid": "charter-card" },
    h("h2", { id: titleId, tabindex: "-1" }, t("charter_card.title", { version: status.version })),
    h("p", {}, t(status.accepted_version === null ? "charter_card.intro_first" : "charter_card.intro")),
    changes.length
      ? [
          h("h3", {}, t("charter_card.changes", { version: status.accepted_version ?? 0 })),
          h(
            "ul",
            { class: "charter-changes" },
            changes.map(([kind, line]) => h("li", { class: kind }, h("strong", {}, t(kind === "added" ? "charter_card.added" : "charter_card.removed")), " ", line)),
          ),
        ]
      : null,
    h("h3", { id: textId }, t("charter_card.text")),
    h("div", { class: "charter", role: "region", tabindex: "0", "aria-labelledby": textId }, status.text.trim() || t("join.charter_empty")),
    problem.el,
    h("p", { class: "actions" }, accept),
  );
}

/** The lines removed from `before` and added in `after` (blank lines ignored), in the order
 * they come: a longest common subsequence of lines, small as a charter is. */
export function changedLines(before: string, after: string): ["removed" | "added", string][] {
  const a = before.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const b = after.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const common: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const out: ["removed" | "added", string][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || common[i + 1][j] >= common[i][j + 1])) {
      out.push(["removed", a[i++]]);
    } else {
      out.push(["added", b[j++]]);
    }
  }
  return out;
}
