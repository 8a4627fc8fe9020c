// The HTTP API (/api, problem details on error). The participant token goes as a bearer header:
// a browser may hold tokens for several ateliers, while the cookie holds the last one only.
import { pick, t } from "./i18n";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detailFr: string,
    readonly detailEn: string,
  ) {
    super(detailEn || detailFr || code);
  }

  /** What to show the person, in their language. */
  get text(): string {
    return pick(this.detailFr, this.detailEn) || t("error.generic");
  }
}

export class NetworkError extends Error {
  get text(): string {
    return t("error.network");
  }
}

/** A council screen's credential: the HttpOnly cookie its sign-in set, asked for by a header
 * (server/routes/council_session.py) — the page never holds the token. */
export const COUNCIL_COOKIE = { councilCookie: true } as const;
/** What authenticates a request: a token (sent as a bearer), the council's cookie, or none. */
export type Credential = string | null | undefined | typeof COUNCIL_COOKIE;

function authHeaders(token: Credential): Record<string, string> {
  if (token === COUNCIL_COOKIE) return { "x-atelier-council": "1" };
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function api<T>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  token?: Credential,
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...authHeaders(token) };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new NetworkError("network");
  }
  if (!response.ok) {
    let problem: Record<string, unknown> = {};
    try {
      problem = await response.json();
    } catch {
      /* not a problem detail: keep the status */
    }
    throw new ApiError(
      response.status,
      String(problem.code ?? response.status),
      String(problem.detail_fr ?? problem.detail ?? ""),
      String(problem.detail_en ?? problem.detail ?? ""),
    );
  }
  return (await response.json()) as T;
}

/** Download a document the API serves to a participant (PDF, Markdown): fetched with the
 * bearer token (a link would carry only the cookie of the last atelier joined), then saved. */
export async function download(path: string, filename: string, token: Credential): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, { headers: authHeaders(token), credentials: "same-origin" });
  } catch {
    throw new NetworkError("network");
  }
  if (!response.ok) {
    let problem: Record<string, unknown> = {};
    try {
      problem = await response.json();
    } catch {
      /* keep the status */
    }
    throw new ApiError(response.status, String(problem.code ?? response.status), String(problem.detail_fr ?? ""), String(problem.detail_en ?? ""));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError) return error.text;
  return t("error.generic");
}

/** ws(s)://this-host + path: the client always talks to the origin that served it. */
export function wsUrl(path: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// --- shapes of the API (server/schemas.py, server/routes/ateliers.py) -------------------------

export type Role = "habitant" | "elu" | "agent" | "animateur" | "conseil" | "observateur";

export interface Participant {
  id: string;
  atelier_id: string;
  display_name: string;
  role: Role;
  role_label_fr: string;
  charter_version: number | null;
  joined_at: string;
  revoked: boolean;
}

export interface Joined {
  participant: Participant;
  token: string;
  atelier_id: string;
  session_id: string | null;
}

export interface Atelier {
  id: string;
  title: string;
  subject: string;
  kind: string;
  scope: string;
  neighbourhood: string | null;
  instances: string[];
  pilots: string[];
  charter_version: number;
  charter_text: string;
  min_residents: number;
  status: string;
  /** Shown in feeds and directories: an AIC is not until approved or constituted. */
  listed?: boolean;
  approved_by?: string | null;
  financing?: string | null;
  /** An atelier de projet's pilot service; an AIC's porteurs (names they chose to show). */
  pilot_service?: string | null;
  porteurs?: string[];
  /** A closed atelier's closing (status "close"): when, and the public reason, if any. */
  closed_at?: string | null;
  close_reason?: string | null;
}

export interface AgendaItem {
  title: string;
  minutes?: number | null;
  /** The writing mode its step sets on the atelier's proposals when it starts (issue 20, #4). */
  writing?: "libre" | "amendements" | null;
}

export interface SessionDetails {
  date?: string;
  start_time?: string | null;
  end_time?: string | null;
  mode?: string;
  place?: string | null;
  remote_link?: string | null;
  objectives?: string[];
  agenda?: AgendaItem[];
  method_steps?: string[];
  current_step?: number | null;
  next_agenda?: string[];
  /** Cancelled (an instant) and the public reason given, if any (seance-cancel.ts). */
  cancelled_at?: string | null;
  cancel_reason?: string | null;
}

export interface Seance {
  id: string;
  atelier_id: string;
  number: number;
  join_code: string;
  join_url: string;
  details: SessionDetails;
  attendance_by_role: Record<string, number>;
}

export interface JoinInfo {
  atelier: Atelier;
  session: SessionDetails & { id: string; number: number };
  roles: { role: Role; label_fr: string; label_en: string; needs_invitation: boolean }[];
}

export interface SectionInfo {
  key: string;
  title_fr: string;
  title_en: string;
  hint_fr: string;
  hint_en: string;
}

export interface Proposal {
  id: string;
  atelier_id: string;
  kind: string;
  title: string;
  doc_id: string;
  session_id: string | null;
  sections: SectionInfo[];
  created_at: string;
  status: string; // domain/proposals.py ProposalStatus
  locked: boolean;
  /** "freeze" (locked by a freeze) or "animation" (the facilitator's switch); null unlocked. */
  locked_by?: string | null;
  /** Set while archived: read-only, no vote option, not handed over, listed apart. */
  archived_at?: string | null;
  /** How many frozen versions it has. */
  versions?: number;
  /** « Amendements »: participants propose replacements instead of writing (amendments.ts). */
  amendment_mode?: boolean;
  /** The council's decision once recorded: what the participants read (screens/council-answer.ts). */
  decision?: Decision | null;
}

export interface Milestone {
  title: string;
  on: string;
  note?: string | null;
  /** A project's milestone (issue 22, #3): null while it is only planned (`on` is then the
   * planned day). */
  done_on?: string | null;
}

/** What the council recorded (server/routes/proposals.py DecisionRequest, and who and when). */
export interface Decision {
  outcome?: string;
  answer?: string;
  deliberation_ref?: string;
  decided_on?: string;
  budget_line?: string;
  recorded_at?: string;
  recorded_by?: string;
  milestones?: Milestone[];
  /** The project the adoption became (issue 22, #3): its public page /decouvrir/projets/{id}. */
  project_id?: string;
}
