// The facilitator's polls (create, open, close, reveal, run-off) — against the poll API
// contract (/work/notes/polls-api.md); drawn only when the server has the poll routes.
import type { Identity } from "../identity";
import type { LiveEvent } from "../live";
import type { SeanceState } from "../seance";

export function pollConsole(
  _box: HTMLElement,
  _identity: Identity,
  _sessionId: string,
  _state: SeanceState,
): { onEvent: (what: string, event: LiveEvent) => void; stop: () => void } {
  return { onEvent: () => undefined, stop: () => undefined };
}
