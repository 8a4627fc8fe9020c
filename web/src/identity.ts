// Who this browser is, per atelier: the participant token and what it says. Kept in
// localStorage so that a reload, a lost connection or tomorrow's séance keeps the person in.
import type { Joined, Role } from "./api";

export interface Identity {
  atelierId: string;
  participantId: string;
  role: Role;
  displayName: string;
  token: string;
  sessionId: string | null;
  atelierTitle?: string;
}

const KEY = "atelier.identities";
const PLACES = "atelier.places"; // séance / proposal id -> atelier id

type Store = Record<string, Identity>;

function read<T>(key: string): T {
  try {
    return (JSON.parse(localStorage.getItem(key) ?? "{}") ?? {}) as T;
  } catch {
    return {} as T;
  }
}

export function identities(): Identity[] {
  return Object.values(read<Store>(KEY));
}

export function identityFor(atelierId: string): Identity | null {
  return read<Store>(KEY)[atelierId] ?? null;
}

export function save(identity: Identity): void {
  const store = read<Store>(KEY);
  store[identity.atelierId] = identity;
  localStorage.setItem(KEY, JSON.stringify(store));
}

export function saveJoined(joined: Joined): Identity {
  const identity: Identity = {
    atelierId: joined.atelier_id,
    participantId: joined.participant.id,
    role: joined.participant.role,
    displayName: joined.participant.display_name,
    token: joined.token,
    sessionId: joined.session_id,
  };
  save(identity);
  if (joined.session_id) remember(joined.session_id, joined.atelier_id);
  return identity;
}

/** Remember which atelier a séance or proposal belongs to (its token is that atelier's). */
export function remember(placeId: string, atelierId: string): void {
  const places = read<Record<string, string>>(PLACES);
  if (places[placeId] === atelierId) return;
  places[placeId] = atelierId;
  localStorage.setItem(PLACES, JSON.stringify(places));
}

/** The identity to use for a séance or proposal id. */
export function identityForPlace(placeId: string): Identity | null {
  const atelierId = read<Record<string, string>>(PLACES)[placeId];
  if (atelierId) return identityFor(atelierId);
  const all = identities();
  return all.length === 1 ? all[0] : null;
}

/** A token given in a link's fragment (`#token=…`, the facilitator's link that `atelier demo`
 * prints): its claims say who it is; the fragment never reaches a server log. */
export function adoptTokenFromHash(): Identity | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  const token = decodeURIComponent(match[1]);
  history.replaceState(history.state, "", location.pathname + location.search);
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload)) as { typ?: string; atl: string; pid: string; role: Role };
    if (claims.typ !== "participant") return null; // a council credential signs in at /conseil
    const previous = identityFor(claims.atl);
    const identity: Identity = {
      atelierId: claims.atl,
      participantId: claims.pid,
      role: claims.role,
      displayName: previous?.participantId === claims.pid ? previous.displayName : "",
      token,
      sessionId: previous?.sessionId ?? null,
    };
    save(identity);
    return identity;
  } catch {
    return null;
  }
}
