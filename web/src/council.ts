// The council staff's sign-in (`atelier council-token`). The token is handed to the server once
// (POST /api/council/session), which keeps it in an HttpOnly cookie for the token's life: every
// tab of this browser is signed in, and no script of the page can read the token. Council
// screens then read with that cookie, asking for it by a header (`COUNCIL_COOKIE` in api.ts),
// which no page of another site can send. A link's `#jeton=…` signs in the same way, and leaves
// the address bar at once.

import { api, ApiError, COUNCIL_COOKIE } from "./api";
import { tokenFromHash } from "./credential";

export const councilTokenFromHash = tokenFromHash;

/** Who is signed in for the council in this browser (GET/POST /api/council/session). */
export interface CouncilSignIn {
  name: string;
  expires_at: string;
}

/** Sign in with a token: the server checks it (401 invalid or revoked, 403 not the council's). */
export function signInCouncil(token: string): Promise<CouncilSignIn> {
  return api<CouncilSignIn>("POST", "/api/council/session", { token });
}

/** The sign-in this browser keeps, or null when there is none; a kept one the server refuses
 * (expired, revoked) is thrown, so the sign-in form says why. */
export async function councilSignedIn(): Promise<CouncilSignIn | null> {
  try {
    return await api<CouncilSignIn>("GET", "/api/council/session", undefined, COUNCIL_COOKIE);
  } catch (e) {
    if (e instanceof ApiError && e.code === "no_token") return null;
    throw e;
  }
}

export async function signOutCouncil(): Promise<void> {
  await api("DELETE", "/api/council/session");
}

/** A token kept by an older version of this screen in the tab's storage: forgotten. */
export function forgetOldToken(): void {
  try {
    sessionStorage.removeItem("atelier.council");
  } catch {
    /* nothing kept */
  }
}
