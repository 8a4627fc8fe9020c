// The projector: what the room reads from the back — how to join (code and QR), the current
// step and its timer, how many are here, and the vote the room is on (results.ts). It fills a
// 16:9 screen and never scrolls: one poll is shown, the one the facilitator last opened,
// closed or published (the newest open one when the screen starts); the other open ones are
// named in a line.
import { api, errorText, type Atelier } from "../api";
import { h } from "../dom";
import { formatDate, t, tn } from "../i18n";
import { identityForPlace } from "../identity";
import type { LiveChannel } from "../live";
import type { Screen } from "../router";
import { follow, initialState, loadSeance } from "../seance";
import { errorRegion, formatCode, loading, pageTitle } from "../ui";
import { cancelBanner, liveBadge } from "./common";
import { ordered } from "../polls";
import { pollAnnouncer, resultsView } from "../results";
import { timerView } from "../timer";
import { cityDay } from "../constitution";

/** Scale the poll's question and chart down (never up) until they fit their box: the screen
 * never scrolls, so a two-line question with six options of a line or two was cut after its
 * second option at 1280×720. `zoom` scales the sizes the stylesheet gives in vh too; a smaller
 * chart also has more room across, so its labels wrap less and it fits in a step or two. */
function fitInto(box: HTMLElement, content: HTMLElement): void {
  content.style.zoom = "";
  let zoom = 1;
  for (let i = 0; i < 6 && box.scrollHeight > box.clientHeight + 1 && zoom > 0.4; i++) {
    const style = getComputedStyle(box);
    const room = box.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    const used = content.getBoundingClientRect().height;
    if (used <= 0) return;
    zoom = Math.max(0.4, zoom * Math.min(0.97, room / used));
    content.style.zoom = String(zoom);
  }
}

/** « Plein écran »: the projected page without the browser's bars, and back (Escape too). */
function fullScreenButton(): HTMLElement | null {
  if (!document.fullscreenEnabled) return null;
  const button = h("button", { type: "button", class: "small full-screen", "aria-pressed": "false" }, t("projection.full_screen"));
  const sync = () => button.setAttribute("aria-pressed", String(document.fullscreenElement !== null));
  button.addEventListener("click", () => {
    const done = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
    done.catch(() => undefined).finally(sync);
  });
  document.addEventListener("fullscreenchange", sync);
  return button;
}

export const projection: Screen = (main, { sessionId }) => {
  const identity = identityForPlace(sessionId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")));
    return;
  }
  document.body.classList.add("projecting");
  const status = loading();
  main.append(status);
  let channel: LiveChannel | null = null;
  let alive = true;
  let stopAnnouncing = () => undefined as void;
  let stopTimer = () => undefined as void;
  let onResize: (() => void) | null = null;
  loadSeance(identity, sessionId)
    .then((seance) => {
      if (!alive) return;
      status.remove();
      const state = initialState(seance);
      const badge = liveBadge();
      const step = h("p", { class: "projected-step", "aria-live": "polite" });
      const here = h("p", { class: "projected-here" });
      // How to join: a new code (the console's « Nouveau code ») replaces the old one at once.
      const qr = h("img", { class: "qr-large" });
      const bigCode = h("p", { class: "big-code" });
      const joinUrl = h("p", { class: "join-url" });
      // Cancelled: the way to join gives way to the banner, in its place (the code opens
      // nothing, and the server has no QR code for it); restored, it comes back.
      const cancelled = cancelBanner();
      const joinText = h("div", {}, h("p", { class: "join-at" }, t("projection.join_at")), bigCode, joinUrl);
      // A closed atelier's code opens nothing either (410 atelier_closed): the way to join gives
      // way to « Atelier clos » and its reason, read on load and told live (atelier_closed,
      // atelier_reopened). It says why alone: a séance the closing cancelled shows no banner.
      let closed: { at: string; reason: string | null } | null = null;
      const closedNote = h("div", { "data-testid": "projection-closed", role: "status" });
      const drawJoin = (told = true) => {
        qr.hidden = joinText.hidden = state.cancelled !== null || closed !== null;
        cancelled.set(closed ? null : state.cancelled, told && !closed);
        closedNote.replaceChildren(
          ...(closed
            ? [h("p", { class: "notice" }, h("strong", {}, t("atelier.closed", { date: formatDate(cityDay(closed.at)) })), closed.reason ? [h("br", {}), t("atelier.closed_reason", { reason: closed.reason })] : null)]
            : []),
        );
        if (qr.hidden) return;
        qr.setAttribute("src", `/api/join/${encodeURIComponent(seance.join_code)}/qr.svg`);
        qr.setAttribute("alt", t("console.qr_alt", { url: seance.join_url }));
        bigCode.textContent = formatCode(seance.join_code);
        joinUrl.textContent = seance.join_url;
      };
      const results = h("div", { class: "projected-polls" });
      const announcer = pollAnnouncer(() => state.polls.values());
      stopAnnouncing = announcer.stop;
      const clock = timerView({ large: true, stepTitle: (n) => (n === null || n === state.currentStep ? null : (state.steps[n] ?? null)) });
      stopTimer = clock.stop;
      // The poll the room is on: the last one the facilitator acted on. Its result stays in
      // words once it closes, until the séance moves on to another step: then the screen is
      // the step and its timer again, with the way to join at full size.
      let featuredId: string | null = null;
      let movedOn = false;
      const projection = h("div", { class: "projection" });
      const drawPolls = () => {
        const visible = ordered(state.polls.values()).filter((p) => p.status !== "draft");
        let featured: (typeof visible)[number] | undefined = visible.find((p) => p.id === featuredId) ?? visible[0];
        if (featured && featured.status !== "open" && movedOn) featured = visible.find((p) => p.status === "open");
        const others = visible.filter((p) => p.status === "open" && p !== featured);
        // During a vote the question and its chart take the screen; the code goes to a corner.
        projection.classList.toggle("voting", Boolean(featured));
        results.replaceChildren(
          ...(featured
            ? [
                h(
                  "section",
                  { class: "projected-poll", "aria-labelledby": `proj-${featured.id}`, "data-poll-id": featured.id },
                  h(
                    "div",
                    { class: "projected-fit" },
                    h("h2", { id: `proj-${featured.id}` }, featured.title, h("span", { class: "sub" }, `${t(`method.${featured.method}`)} · ${t(`poll_status.${featured.status}`)}`)),
                    resultsView(featured, { large: true }),
                  ),
                ),
              ]
            : []),
          ...(others.length ? [h("p", { class: "other-polls" }, t("projection.other_open", { titles: others.map((p) => `« ${p.title} »`).join(", ") }))] : []),
        );
        fit();
      };
      const fit = () => {
        const box = results.querySelector<HTMLElement>(".projected-poll");
        const content = box?.querySelector<HTMLElement>(".projected-fit");
        if (box && content) fitInto(box, content);
      };
      onResize = fit;
      window.addEventListener("resize", fit);
      const drawStep = () => {
        const current = state.currentStep;
        step.textContent = current === null ? t("seance.not_started") : t("seance.current_step", { n: current + 1, title: state.steps[current] ?? "" });
      };
      const drawHere = () => {
        const total = Object.values(state.attendance).reduce((a, b) => a + b, 0);
        const online = Object.values(state.presence).reduce((a, b) => a + b, 0);
        here.textContent = `${tn("projection.checked_in", total)} · ${tn("projection.connected", online)}`;
      };
      projection.append(
        h("div", { class: "projection-head" }, pageTitle(t("projection.title"), t("seance.title", { n: seance.number })), h("div", { class: "head-tools" }, badge.el, fullScreenButton())),
        h("div", { class: "projected-join" }, cancelled.el, closedNote, qr, joinText, here),
        h("div", { class: "projected-now" }, step, clock.el),
        results,
        announcer.el,
      );
      main.append(projection);
      cancelled.set(state.cancelled);
      drawJoin();
      drawStep();
      drawHere();
      drawPolls();
      clock.set(state.timer);
      api<Atelier>("GET", `/api/ateliers/${encodeURIComponent(seance.atelier_id)}`, undefined, identity.token)
        .then((row) => {
          // The channel may have said it first (its snapshot, or an event since): it is newer.
          if (row.status !== "close" || !row.closed_at || state.atelierClosed !== undefined) return;
          closed = { at: row.closed_at, reason: row.close_reason ?? null };
          drawJoin(false);
        })
        .catch(() => undefined); // the code stays shown; joining with it says why (410)
      channel = follow(
        identity,
        sessionId,
        state,
        (what, event) => {
          if (what === "snapshot" || what === "step") drawStep();
          if (what === "snapshot" || what === "timer" || what === "step") clock.set(state.timer);
          if (what === "polls") {
            featuredId = String((event.poll as { id?: string } | undefined)?.id ?? featuredId);
            movedOn = false;
          }
          if (what === "step") {
            movedOn = true;
            drawPolls();
          }
          if (what === "snapshot" || what === "attendance" || what === "presence") drawHere();
          if (what === "cancelled" || what === "snapshot") drawJoin();
          // Closed or reopened, told live or in the snapshot after a reconnection.
          if ((what === "atelier" || what === "snapshot") && state.atelierClosed !== undefined) {
            closed = state.atelierClosed;
            drawJoin(false);
          }
          if (what === "join_code" || (what === "snapshot" && event.join_code && event.join_code !== seance.join_code)) {
            seance.join_code = String(event.join_code);
            seance.join_url = String(event.join_url);
            drawJoin();
          }
          if (what === "snapshot" || what === "polls" || what === "tally") {
            drawPolls();
            announcer.update(what !== "tally");
          }
        },
        badge.set,
      );
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("projection.title")), region.el);
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    channel?.close();
    stopAnnouncing();
    stopTimer();
    if (onResize) window.removeEventListener("resize", onResize);
    document.body.classList.remove("projecting");
  };
};
