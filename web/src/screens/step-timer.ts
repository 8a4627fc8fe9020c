// The console's step timer: the countdown (timer.ts) and what the facilitator does with it —
// start (the agenda's minutes for the current step, which they may change), pause, resume,
// +1 / +5 minutes, stop. Every screen hears `timer_changed` and counts down the same.
import { api, errorText, type Seance } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import type { Identity } from "../identity";
import type { SeanceState } from "../seance";
import { timerView, type TimerData } from "../timer";
import { errorRegion } from "../ui";

export function stepTitle(state: SeanceState, step: number | null): string | null {
  return step === null ? null : (state.steps[step] ?? null);
}

export function timerControls(identity: Identity, sessionId: string, seance: Seance, state: SeanceState): { el: HTMLElement; update: () => void; stop: () => void } {
  const view = timerView({ stepTitle: (step) => stepTitle(state, step) });
  const error = errorRegion();
  const minutes = h("input", { id: "timer-minutes", type: "number", min: "1", max: "240", inputmode: "numeric", class: "minutes" });
  const controls = h("div", { class: "timer-controls" });
  let sending = false;
  let typed = false;
  minutes.addEventListener("input", () => (typed = true));
  const send = async (body: { action: string; minutes?: number }) => {
    if (sending) return; // a double click is one action
    sending = true;
    error.show(null);
    try {
      const answer = await api<{ timer: TimerData | null }>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/timer`, body, identity.token);
      state.timer = answer.timer;
      typed = false;
      update(true);
    } catch (e) {
      error.show(errorText(e));
    } finally {
      sending = false;
    }
  };
  // The agenda's minutes for the current step (the server's default too).
  const planned = (): number => {
    const step = state.currentStep;
    const item = step === null ? undefined : seance.details.agenda?.[step];
    return item?.minutes && item.minutes > 0 ? item.minutes : 10;
  };
  let shown = "";
  let plannedFor: number | null | undefined;
  const update = (focus = false) => {
    view.set(state.timer);
    const timer = state.timer;
    const mode = !timer ? "idle" : timer.ends_at ? "running" : "paused";
    // The minutes field follows the step, unless the facilitator typed in it.
    if (plannedFor !== state.currentStep && !typed) {
      plannedFor = state.currentStep;
      minutes.value = String(planned());
    }
    if (mode === shown) return;
    const hadFocus = controls.contains(document.activeElement);
    shown = mode;
    const button = (label: string, action: () => void, primary = false, aria?: string) =>
      h("button", { type: "button", class: primary ? "primary" : null, "aria-label": aria ?? null, onclick: action }, label);
    const add = (n: number) => button(t("timer.add", { n }), () => void send({ action: "add", minutes: n }));
    if (mode === "idle") {
      controls.replaceChildren(
        h(
          "form",
          { class: "inline-form timer-start", onsubmit: (event: Event) => {
            event.preventDefault();
            const n = Number(minutes.value);
            if (!Number.isInteger(n) || n < 1 || n > 240) {
              minutes.setAttribute("aria-invalid", "true");
              error.show(t("timer.minutes_invalid"));
              minutes.focus();
              return;
            }
            minutes.removeAttribute("aria-invalid");
            void send({ action: "start", minutes: n });
          } },
          h("label", { for: "timer-minutes" }, t("timer.minutes")),
          minutes,
          h("button", { type: "submit", class: "primary" }, t("timer.start")),
        ),
      );
    } else {
      controls.replaceChildren(
        h(
          "p",
          { class: "actions" },
          mode === "running" ? button(t("timer.pause"), () => void send({ action: "pause" }), true) : button(t("timer.resume"), () => void send({ action: "resume" }), true),
          add(1),
          add(5),
          button(t("timer.stop"), () => void send({ action: "stop" })),
        ),
      );
    }
    // The pressed button may be gone: focus stays in the timer.
    if (focus || hadFocus) controls.querySelector<HTMLElement>("button")?.focus();
  };
  const el = h("div", { class: "step-timer" }, view.el, controls, error.el);
  update();
  return { el, update: () => update(false), stop: view.stop };
}
