// The step timer (issue 19, #3), as the console and the projector show it. The server keeps it
// (domain/timer.py) and sends it in the séance's snapshot and in `timer_changed`; each screen
// counts down by itself from `ends_at`, corrected by the difference between the server's clock
// (`at`, when it sent the timer) and this device's, so a laptop whose clock is two minutes off
// shows the same seconds as the projector. Past the end it counts the overrun (« +02:15 »); the
// end itself is a discreet visual signal (no sound) and one polite announcement.
import { h } from "./dom";
import { formatNumber, t } from "./i18n";

export interface TimerData {
  step: number | null;
  duration: number; // seconds planned
  elapsed: number; // seconds counted before running_since
  running_since: string | null; // null while paused
  ends_at: string | null; // when the time runs out, while it runs
  remaining: number; // seconds left at `at` (negative: overrun)
  at: string; // the server's clock when it sent this
}

/** Seconds left now (negative once the time is up), by this device's clock corrected by the
 * server's. */
export function secondsLeft(timer: TimerData, offsetMs: number, nowMs = Date.now()): number {
  if (!timer.ends_at) return timer.remaining;
  return (Date.parse(timer.ends_at) - (nowMs + offsetMs)) / 1000;
}

/** « 12:05 », « 1:02:05 » past an hour; the overrun gets a « + ». */
export function clock(seconds: number): string {
  const over = seconds < 0;
  // Counting down, a started second still shows (« 0:01 » until the end); counting up, a
  // second shows once it is complete.
  const whole = over ? Math.floor(-seconds) : Math.ceil(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  const mm = String(minutes).padStart(2, "0");
  const text = `${hours ? `${hours}:` : ""}${mm}:${String(secs).padStart(2, "0")}`;
  return over && whole > 0 ? `+${text}` : text;
}

/** Minutes and seconds in words, for screen readers (« 12 min 5 s »). */
function spoken(seconds: number): string {
  const whole = Math.max(0, Math.round(Math.abs(seconds)));
  const minutes = Math.floor(whole / 60);
  const secs = whole % 60;
  return t("timer.spoken", { m: formatNumber(minutes), s: formatNumber(secs) });
}

export interface TimerView {
  el: HTMLElement;
  /** The timer as the server sent it (or null: none). Call it when the event arrives. */
  set: (timer: TimerData | null) => void;
  stop: () => void;
}

/** The countdown: large digits, what state it is in, the overrun; `stepTitle` names the step
 * it was started for. */
export function timerView(options: { large?: boolean; stepTitle?: (step: number | null) => string | null } = {}): TimerView {
  const digits = h("span", { class: "timer-digits", "aria-hidden": "true" });
  const words = h("span", { class: "sr-only" });
  const label = h("span", { class: "timer-label" });
  const stateText = h("span", { class: "timer-state" });
  const bar = h("span", { class: "timer-bar" });
  const track = h("span", { class: "timer-track", "aria-hidden": "true" }, bar);
  // What changes (started, paused, time up) is said once; the ticking seconds are not.
  const said = h("span", { class: "sr-only", role: "status", "aria-live": "polite" });
  const el = h(
    "div",
    { class: `timer${options.large ? " large" : ""}`, "data-testid": "timer", "data-state": "none" },
    h("p", { class: "timer-head" }, label, stateText),
    h("p", { class: "timer-face" }, digits, words),
    track,
    said,
  );
  let timer: TimerData | null = null;
  let offset = 0;
  let ticking: number | undefined;
  let lastText = "";
  let wasOver: boolean | null = null;
  const draw = () => {
    if (!timer) {
      el.dataset.state = "none";
      digits.textContent = "";
      words.textContent = "";
      label.textContent = t("timer.none");
      stateText.textContent = "";
      bar.style.width = "0";
      return;
    }
    const left = secondsLeft(timer, offset);
    const over = left < 0 || (left <= 0 && !!timer.ends_at);
    const text = clock(left);
    const state = over ? "over" : timer.ends_at ? "running" : "paused";
    if (el.dataset.state !== state) el.dataset.state = state;
    if (text !== lastText) {
      lastText = text;
      digits.textContent = text;
      words.textContent = over ? t("timer.over_by", { time: spoken(left) }) : t("timer.left", { time: spoken(left) });
    }
    const step = options.stepTitle?.(timer.step) ?? null;
    label.textContent = step ? t("timer.for_step", { title: step }) : t("timer.title");
    stateText.textContent = over ? t("timer.state_over") : timer.ends_at ? "" : t("timer.state_paused");
    const share = timer.duration > 0 ? Math.min(1, Math.max(0, left / timer.duration)) : 0;
    bar.style.width = `${(100 * share).toFixed(2)}%`;
    // The end, once: the face changes colour (CSS, a short pulse unless motion is reduced) and
    // screen readers hear it. A timer that was already over when the screen opened is said too.
    if (wasOver === false && over) said.textContent = t("timer.ended");
    wasOver = over;
  };
  const schedule = () => {
    window.clearInterval(ticking);
    ticking = undefined;
    if (timer?.ends_at) ticking = window.setInterval(draw, 250);
  };
  return {
    el,
    set(next) {
      const before = timer;
      if (next === before) {
        // The same timer drawn again (the step moved): its clock offset stays as measured.
        draw();
        return;
      }
      timer = next;
      if (next) offset = Date.parse(next.at) - Date.now();
      lastText = "";
      if (!next) said.textContent = before ? t("timer.stopped") : "";
      else if (!before || before.step !== next.step || (!before.ends_at && next.ends_at && before.elapsed === 0)) {
        said.textContent = t("timer.started", { time: spoken(secondsLeft(next, offset)) });
        wasOver = null;
      } else if (before.ends_at && !next.ends_at) said.textContent = t("timer.paused", { time: spoken(secondsLeft(next, offset)) });
      else if (!before.ends_at && next.ends_at) said.textContent = t("timer.resumed");
      else if (next.duration !== before.duration) said.textContent = t("timer.added", { time: spoken(secondsLeft(next, offset)) });
      if (next && secondsLeft(next, offset) > 0) wasOver = false;
      draw();
      schedule();
    },
    stop() {
      window.clearInterval(ticking);
    },
  };
}
