// Why a proposal's live text is read-only (GET /api/proposals/{id}/token), and what the screens
// say for each reason: the editor's access notice, and the history, which offers no
// « Restaurer » where nobody may change the text.

export interface DocAccess {
  doc_id: string;
  read_only: boolean;
  /** Why it is read-only; null when one may write. */
  reason?: "role" | "locked" | "frozen" | "archived" | "charter" | "amendements" | "closed" | "transmitted" | null;
  /** With ``transmitted``: the number of the version the council received. */
  version?: number | null;
}

// What is said for each reason the text is read-only.
export const READ_ONLY_BECAUSE: Record<string, string> = {
  role: "proposal.read_only", // « votre rôle permet de lire »
  locked: "proposal.locked_by_animation", // the facilitator's switch
  frozen: "proposal.locked", // a freeze with its lock
  archived: "proposal.archived",
  charter: "proposal.read_only_charter", // the revised charter, not accepted yet (charter.ts)
  amendements: "proposal.read_only_amendments", // amendment mode: propose, do not write (amendments.ts)
  closed: "proposal.read_only_closed", // the atelier is closed: everything stays, nothing changes
  transmitted: "proposal.read_only_transmitted", // handed to the council: it decides on the version it got
};

/** The reasons that hold whoever reads (the server refuses every change of the text, a
 * restored revision included, with 409); the others are the reader's own. */
export const FOR_EVERYONE = new Set(["closed", "transmitted", "archived", "locked", "frozen"]);
