// Where an atelier stands, for everyone on its screen (issue 19, item 2): how many residents
// still constitute it (« 3 / 5 habitant·es pour constituer l'atelier ») and, for an atelier
// residents started, that it is not public yet. Counted as the server counts
// (domain/ateliers.py constitution_status): habitant·es not revoked who accepted the current
// charter.
import type { Atelier, Participant } from "./api";
import { h, newId } from "./dom";
import { t } from "./i18n";

export function residentsCounted(atelier: Atelier, participants: Participant[]): number {
  return participants.filter((p) => p.role === "habitant" && !p.revoked && p.charter_version === atelier.charter_version).length;
}

export function constitutionState(atelier: Atelier, participants: Participant[]): { el: HTMLElement; update: (participants: Participant[]) => void } {
  const el = h("div", { class: "card constitution-state", "data-testid": "constitution" });
  const update = (rows: Participant[]) => {
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
