// Shared by the atelier screen, the facilitator's console and the projector: loading a séance
// for an identity, and following its live channel into one state object.
import { api, type Seance } from "./api";
import type { Identity } from "./identity";
import { LiveChannel, type LiveEvent, type LiveState } from "./live";
import type { TimerData } from "./timer";
import { mergePoll, type Poll, type Results, type Turnout } from "./polls";

export interface SeanceState {
  currentStep: number | null;
  steps: string[];
  attendance: Record<string, number>;
  presence: Record<string, number>;
  polls: Map<string, Poll>;
  /** The last ballot change counted in each poll's tallies (a receipt's seq says when its
   * ballot is in). */
  talliedSeq: Map<string, number>;
  /** The step timer as the server last sent it (see timer.ts), null when none runs. */
  timer: TimerData | null;
  /** Cancelled (when, and the public reason if any), or null while the séance takes place:
   * told live (session_cancelled, session_restored) and in each snapshot. */
  cancelled: Cancellation | null;
  /** The atelier's closing (when, and the public reason if any), null while it is open,
   * undefined until the channel says (atelier_closed, atelier_reopened and each snapshot):
   * screens read it on load from the atelier itself. */
  atelierClosed?: Closing | null;
}

export interface Closing {
  at: string;
  reason: string | null;
}

export interface Cancellation {
  at: string;
  reason: string | null;
}

export function initialState(seance: Seance): SeanceState {
  return {
    currentStep: seance.details.current_step ?? null,
    steps: seance.details.method_steps ?? [],
    attendance: seance.attendance_by_role ?? {},
    presence: {},
    polls: new Map(),
    talliedSeq: new Map(),
    timer: null,
    cancelled: seance.details.cancelled_at ? { at: seance.details.cancelled_at, reason: seance.details.cancel_reason ?? null } : null,
  };
}

/** For a screen that follows the séance's events without having loaded it (the editor). */
export function emptyState(): SeanceState {
  return { currentStep: null, steps: [], attendance: {}, presence: {}, polls: new Map(), talliedSeq: new Map(), timer: null, cancelled: null };
}

export function loadSeance(identity: Identity, sessionId: string): Promise<Seance> {
  return api<Seance>("GET", `/api/sessions/${encodeURIComponent(sessionId)}`, undefined, identity.token);
}

/** Apply one live event to `state`; returns what changed ("step", "attendance"…), or null. */
export function applyEvent(state: SeanceState, event: LiveEvent): string | null {
  switch (event.type) {
    case "snapshot":
      state.currentStep = (event.current_step as number | null) ?? null;
      state.steps = (event.method_steps as string[]) ?? state.steps;
      state.attendance = (event.attendance_by_role as Record<string, number>) ?? {};
      state.presence = (event.present_by_role as Record<string, number>) ?? {};
      state.timer = (event.timer as TimerData | null | undefined) ?? null;
      if ("cancelled_at" in event) state.cancelled = cancellation(event);
      if ("atelier_closed_at" in event) state.atelierClosed = closing(event.atelier_closed_at, event.atelier_close_reason);
      if (Array.isArray(event.polls)) {
        const known = state.polls;
        state.polls = new Map((event.polls as Poll[]).map((p) => [p.id, mergePoll(known.get(p.id), p)]));
      }
      return "snapshot";
    case "step_changed":
      state.currentStep = (event.current_step as number | null) ?? null;
      return "step";
    case "attendance_changed":
      state.attendance = (event.attendance_by_role as Record<string, number>) ?? {};
      return "attendance";
    case "presence_changed":
      state.presence = (event.present_by_role as Record<string, number>) ?? {};
      return "presence";
    case "timer_changed":
      state.timer = (event.timer as TimerData | null | undefined) ?? null;
      return "timer";
    case "participant_joined":
      return "joined";
    case "session_cancelled": // the facilitators cancelled it, or restored it: screens say so
    case "session_restored":
      state.cancelled = cancellation(event);
      return "cancelled";
    case "atelier_closed": // the atelier was closed, or reopened: screens offer what it takes
    case "atelier_reopened":
      state.atelierClosed = event.type === "atelier_closed" ? closing(event.closed_at, event.close_reason) : null;
      return "atelier";
    case "join_code_changed":
      return "join_code"; // the event carries it: join_code, join_url
    case "proposals_changed": // one of the atelier's proposals: screens that list them read again
      return "proposals";
    case "comments_changed": // a proposal's comments: its open editors read them again
      return "comments";
    case "amendments_changed": // a proposal's amendments: its open editors read them again
      return "amendments";
    case "poll_opened":
    case "poll_closed":
    case "results_published": {
      const poll = event.poll as Poll;
      state.polls.set(poll.id, mergePoll(state.polls.get(poll.id), poll));
      return "polls";
    }
    case "tally": {
      const id = String(event.poll_id);
      const seq = Number(event.seq ?? 0);
      if (seq < (state.talliedSeq.get(id) ?? 0)) return null; // an older count, overtaken
      state.talliedSeq.set(id, seq);
      const poll = state.polls.get(id);
      if (poll) {
        poll.turnout = event.turnout as Turnout;
        poll.results = (event.results as Results | null) ?? null;
      }
      return "tally";
    }
    default:
      return null;
  }
}

function cancellation(event: LiveEvent): Cancellation | null {
  const at = event.cancelled_at;
  return typeof at === "string" && at ? { at, reason: typeof event.cancel_reason === "string" && event.cancel_reason ? event.cancel_reason : null } : null;
}

function closing(at: unknown, reason: unknown): Closing | null {
  return typeof at === "string" && at ? { at, reason: typeof reason === "string" && reason ? reason : null } : null;
}

export function follow(
  identity: Identity,
  sessionId: string,
  state: SeanceState,
  onChange: (what: string, event: LiveEvent) => void,
  onState: (state: LiveState) => void,
): LiveChannel {
  return new LiveChannel(
    sessionId,
    identity.token,
    (event) => {
      const what = applyEvent(state, event);
      if (what) onChange(what, event);
    },
    onState,
  );
}
