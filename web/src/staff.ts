// The city staff's credential (`atelier facilitator-invite` prints `{base}/connexion#jeton=…`):
// kept in this device's localStorage — a staff member proposes ateliers and approves residents'
// ones from their own computer over weeks, unlike the council's desk, which keeps its token in
// the tab only — and sent as a bearer header. The server alone decides what it is worth
// (`GET /api/staff/me`); a revoked or expired one is forgotten at its first refusal.

const KEY = "atelier.staff";

export interface StaffMe {
  name: string;
  expires_at: number; // Unix seconds
}

export function staffToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function keepStaffToken(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    /* storage refused: signed in for this screen only */
  }
}

export function forgetStaffToken(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    /* nothing kept */
  }
}

/** `/connexion#jeton=…`: the token leaves the address bar and this history entry at once (the
 * fragment never reaches a server, but a screenshot or a shared screen would show it). */
export function staffTokenFromHash(): string | null {
  const match = /(?:^#|&)jeton=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  try {
    return decodeURIComponent(match[1]).trim() || null;
  } catch {
    return null;
  }
}

/** What a person pasted: the whole link, or the token alone. */
export function tokenFromPasted(text: string): string {
  const value = text.trim();
  const match = /[#&]jeton=([^&\s]+)/.exec(value);
  if (!match) return value;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
