// The city staff's credential (`atelier facilitator-invite` prints `{base}/connexion#jeton=…`):
// kept in this device's localStorage — a staff member proposes ateliers and approves residents'
// ones from their own computer over weeks, unlike the council's desk, which keeps its token in
// the tab only — and sent as a bearer header. The server alone decides what it is worth
// (`GET /api/staff/me`); a revoked or expired one is forgotten at its first refusal.

import { tokenFromHash, tokenStore } from "./credential";

const KEY = "atelier.staff";

export interface StaffMe {
  name: string;
  expires_at: number; // Unix seconds
}

const store = tokenStore(() => localStorage, KEY);
export const staffToken = store.get;
export const keepStaffToken = store.keep;
export const forgetStaffToken = store.forget;
export const staffTokenFromHash = tokenFromHash;

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
