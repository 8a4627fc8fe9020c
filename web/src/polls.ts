// Polls as the API gives them (server/routes/polls.py; README « Priority votes »).
import { api } from "./api";
import { inFrench, t } from "./i18n";
import type { Identity } from "./identity";

export type Method =
  | "plurality"
  | "approval"
  | "dots"
  | "score"
  | "borda"
  | "irv"
  | "schulze"
  | "majority_judgment";

export const METHODS: Method[] = ["plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"];

/** A majority judgment's grades (worst first) as the reader reads them. They are the poll's own
 * words, in the language of whoever created it (the server's default scale is French): one of
 * the console's French scales reads in the reader's language; any other stays as written. */
export function gradeWords(grades: string[]): string[] {
  const key = `polls.grades_${grades.length}`;
  const french = inFrench(key)?.split(",").map((g) => g.trim());
  if (!french || french.some((g, i) => g !== grades[i])) return grades;
  return t(key).split(",").map((g) => g.trim());
}

export interface Option {
  id: string;
  label: string;
  proposal_id: string | null;
}

export interface MeritProfile {
  counts: number[];
  majority_grade: number | null;
  p: number;
  q: number;
  sign: "+" | "-" | "=";
}

export interface Result {
  method: Method;
  ranking: string[][];
  winner: string | null;
  scores: Record<string, number>;
  ballots_counted: number;
  details:
    | { kind: "totals"; totals: Record<string, number> }
    | { kind: "irv"; rounds: { counts: Record<string, number>; exhausted: number; eliminated: string[] }[]; majority_round: number | null }
    | { kind: "schulze"; d: Record<string, Record<string, number>>; p: Record<string, Record<string, number>> }
    | { kind: "majority_judgment"; grades: string[]; profiles: Record<string, MeritProfile> };
}

export interface Results {
  total: Result;
  by_role: Record<string, Result | null>;
  quorum_reached: boolean | null;
  final: boolean;
}

export interface Turnout {
  total: number;
  by_role: Record<string, number>;
}

export interface Poll {
  id: string;
  session_id: string;
  atelier_id: string;
  title: string;
  method: Method;
  options: Option[];
  params: Record<string, unknown>;
  voter_roles: string[];
  secret: boolean;
  hide_results: boolean;
  quorum: number | null;
  status: "draft" | "open" | "closed" | "published";
  runoff_of: string | null;
  opened_at?: string | null;
  turnout: Turnout;
  results: Results | null;
  /** `entered_for_me`: the facilitator entered a ballot for this person (paper, proxy). */
  my_ballot?: { cast: boolean; ballot: Record<string, unknown> | null; entered_for_me?: boolean } | null;
}

export interface Receipt {
  poll_id: string;
  receipt: string | null;
  changed: boolean;
  seq: number;
}

/** Merge a poll seen in an event (as everyone sees it) into what this person knew of it. */
export function mergePoll(known: Poll | undefined, incoming: Poll): Poll {
  if (!known) return incoming;
  return { ...known, ...incoming, my_ballot: incoming.my_ballot ?? known.my_ballot };
}

/** Newest first: open polls, then closed and published, then drafts. */
export function ordered(polls: Iterable<Poll>): Poll[] {
  const rank = { open: 0, closed: 1, published: 1, draft: 2 } as const;
  return [...polls].sort((a, b) => rank[a.status] - rank[b.status] || String(b.opened_at ?? "").localeCompare(String(a.opened_at ?? "")));
}

export function labelOf(poll: Poll, optionId: string): string {
  return poll.options.find((o) => o.id === optionId)?.label ?? optionId;
}

export function listPolls(identity: Identity, sessionId: string): Promise<Poll[]> {
  return api<Poll[]>("GET", `/api/sessions/${encodeURIComponent(sessionId)}/polls`, undefined, identity.token);
}

// A secret ballot's receipt stays on this device only: it lets the voter change their ballot
// until the close, and nobody else can.
const RECEIPTS = "atelier.receipts";

export function receiptFor(pollId: string): { receipt: string | null; seq: number } | null {
  try {
    return (JSON.parse(localStorage.getItem(RECEIPTS) ?? "{}") as Record<string, { receipt: string | null; seq: number }>)[pollId] ?? null;
  } catch {
    return null;
  }
}

export function keepReceipt(receipt: Receipt): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(localStorage.getItem(RECEIPTS) ?? "{}");
  } catch {
    /* start again */
  }
  all[receipt.poll_id] = { receipt: receipt.receipt, seq: receipt.seq };
  localStorage.setItem(RECEIPTS, JSON.stringify(all));
}
