// The council staff's credential (`atelier council-token`): kept in this tab only
// (sessionStorage — closing the tab signs out, and a shared desk keeps nothing), sent as a bearer
// header (so the cookie guard against forged requests does not apply: no page of another site
// can set it), never put in an address that a server, a proxy or the history would keep.

import { tokenFromHash, tokenStore } from "./credential";

const KEY = "atelier.council";

const store = tokenStore(() => sessionStorage, KEY);
export const councilToken = store.get;
export const keepCouncilToken = store.keep;
export const forgetCouncilToken = store.forget;
export const councilTokenFromHash = tokenFromHash;

/** The service the token names (`--name`), to show who is signed in; the server alone decides
 * what the token is worth. */
export function councilName(token: string): string | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { typ?: unknown; sub?: unknown };
    // A participant with the `conseil` role may sign in too: their `sub` is an id, not a name.
    return claims.typ === "council" && typeof claims.sub === "string" && claims.sub ? claims.sub : null;
  } catch {
    return null;
  }
}
