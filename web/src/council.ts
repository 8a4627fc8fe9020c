// The council staff's credential (`atelier council-token`): kept in this tab only
// (sessionStorage — closing the tab signs out, and a shared desk keeps nothing), sent as a bearer
// header (so the cookie guard against forged requests does not apply: no page of another site
// can set it), never put in an address that a server, a proxy or the history would keep.

const KEY = "atelier.council";

export function councilToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage refused (private mode, policy): sign in again on each screen
  }
}

export function keepCouncilToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    /* kept for this screen only */
  }
}

export function forgetCouncilToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing kept */
  }
}

/** A link `/conseil#jeton=…`: the token comes from the fragment (which no server receives) and
 * leaves the address bar and this history entry at once. */
export function councilTokenFromHash(): string | null {
  const match = /(?:^#|&)jeton=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  try {
    return decodeURIComponent(match[1]).trim() || null;
  } catch {
    return null;
  }
}

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
