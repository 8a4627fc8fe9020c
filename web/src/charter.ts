// A revised charter is accepted again at the next visit (issue 19, item 2). The charter is the
// atelier's rules of conduct: whoever has not accepted its current version still reads
// everything, but the server opens their documents read-only and refuses their ballots
// (403 charter_not_accepted, server/services/ateliers.py require_charter). Every participant
// screen (atelier, editor, ballot) puts this card under its title: the new text, what changed
// since the version the person accepted, and « J'accepte la nouvelle charte ». Accepting
// redraws the screen, so that an editor opened read-only reconnects able to write.
//
// This part asks where the person stands; the card itself (charter-card.ts) is downloaded only
// when it is to be shown, so a phone that votes does not carry it.
import { api } from "./api";
import { h } from "./dom";
import { t } from "./i18n";
import type { Identity } from "./identity";

export interface CharterStatus {
  version: number;
  text: string;
  accepted_version: number | null;
  accepted_text: string | null;
}

/** The version each atelier's charter was just accepted in, to thank the person once the
 * screen is drawn again. */
const justAccepted = new Map<string, number>();

export function acceptedNow(atelierId: string, version: number): void {
  justAccepted.set(atelierId, version);
}

/** An empty slot, filled with the card when the person is behind the atelier's charter. */
export function charterCard(identity: Identity): HTMLElement {
  const slot = h("div", { class: "charter-slot" });
  api<CharterStatus>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/charter`, undefined, identity.token)
    .then((status) => {
      if (!slot.isConnected) return;
      const behind = status.accepted_version === null || status.accepted_version < status.version;
      if (behind) {
        justAccepted.delete(identity.atelierId);
        void import("./charter-card").then(({ card }) => {
          if (!slot.isConnected) return;
          slot.replaceChildren(card(identity, status));
          slot.querySelector<HTMLElement>("h2")?.focus();
        });
      } else if (justAccepted.get(identity.atelierId) === status.version) {
        justAccepted.delete(identity.atelierId);
        slot.replaceChildren(h("p", { class: "charter-thanks", role: "status" }, t("charter_card.accepted", { version: status.version })));
      }
    })
    .catch(() => undefined); // offline: the server still says what is refused, when asked
  return slot;
}
