// Where an atelier stands, for everyone on its screen (issue 19, item 2): how many residents
// still constitute it (« 3 / 5 habitant·es pour constituer l'atelier ») and, for an atelier
// residents started, that it is not public yet. Counted as the server counts
// (domain/ateliers.py constitution_status): habitant·es not revoked who accepted the current
// charter.
import type { Atelier, Participant } from "./api";
import { h, newId } from "./dom";
import { formatDate, t } from "./i18n";
import { knownTimeZone } from "./city";

export function residentsCounted(atelier: Atelier, participants: Participant[]): number {
  return participants.filter((p) => p.role === "habitant" && !p.revoked && p.charter_version === atelier.charter_version).length;
}

export function constitutionState(atelier: Atelier, participants: Participant[]): { el: HTMLElement; update: (participants: Participant[]) => void } {
  const el = h("div", { class: "card constitution-state", "data-testid": "constitution" });
  const update = (rows: Participant[]) => {
    if (atelier.status === "close") {
      // Closed: nothing is gathered any more; say since when and why (the server's words on
      // its join codes and public page say the same).
      el.replaceChildren(
        h("p", { style: "margin:0", "data-testid": "atelier-closed" }, h("strong", {}, t("atelier.closed", { date: atelier.closed_at ? formatDate(cityDay(atelier.closed_at)) : "—" }))),
        atelier.close_reason ? h("p", { style: "margin:0.5rem 0 0" }, t("atelier.closed_reason", { reason: atelier.close_reason })) : "",
        h("p", { class: "hint", style: "margin-bottom:0" }, t("atelier.closed_hint")),
      );
      return;
    }
    const counted = residentsCounted(atelier, rows);
    const forming = atelier.status === "en_constitution" && counted < atelier.min_residents;
    const lineId = newId("constitution");
    el.replaceChildren(
      ...(forming
        ? [
            h("p", { id: lineId, style: "margin:0 0 0.25rem" }, h("strong", {}, t("atelier.constitution", { n: counted, of: atelier.min_residents }))),
            h("progress", { max: String(atelier.min_residents), value: String(counted), "aria-labelledby": lineId, style: "display:block;width:100%;max-width:24rem;height:1rem" }),
            h("p", { class: "hint", style: "margin-bottom:0" }, t("atelier.constitution_hint")),
          ]
        : [h("p", { style: "margin:0" }, h("strong", {}, t("atelier.constituted")))]),
      ...(atelier.listed === false && forming ? [h("p", { class: "notice", style: "margin:0.75rem 0 0.25rem" }, h("strong", {}, t("atelier.pending_approval"))), h("p", { class: "hint", style: "margin-bottom:0" }, t("atelier.pending_hint"))] : []),
    );
  };
  update(participants);
  return { el, update };
}

/** An instant's day in the city (« YYYY-MM-DD »), as its people read the date. */
export function cityDay(instant: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: knownTimeZone(), year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(instant));
}
