// The projector: what the room reads from the back — how to join (code and QR), the current
// step, how many are here, and the polls' live results (results.ts).
import { errorText } from "../api";
import { h } from "../dom";
import { t, tn } from "../i18n";
import { identityForPlace } from "../identity";
import type { LiveChannel } from "../live";
import type { Screen } from "../router";
import { follow, initialState, loadSeance } from "../seance";
import { errorRegion, formatCode, loading, pageTitle } from "../ui";
import { liveBadge } from "./common";
import { ordered } from "../polls";
import { pollAnnouncer, resultsView } from "../results";

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
  loadSeance(identity, sessionId)
    .then((seance) => {
      if (!alive) return;
      status.remove();
      const state = initialState(seance);
      const badge = liveBadge();
      const step = h("p", { class: "projected-step", "aria-live": "polite" });
      const here = h("p", { class: "projected-here" });
      const results = h("div", { class: "projected-polls" });
      const announcer = pollAnnouncer(() => state.polls.values());
      stopAnnouncing = announcer.stop;
      const drawPolls = () => {
        const shown = ordered(state.polls.values()).filter((p) => p.status !== "draft");
        results.replaceChildren(
          ...shown.map((poll) =>
            h(
              "section",
              { class: "projected-poll", "aria-labelledby": `proj-${poll.id}`, "data-poll-id": poll.id },
              h("h2", { id: `proj-${poll.id}` }, poll.title, h("span", { class: "sub" }, `${t(`method.${poll.method}`)} · ${t(`poll_status.${poll.status}`)}`)),
              resultsView(poll, { large: true }),
            ),
          ),
        );
      };
      const drawStep = () => {
        const current = state.currentStep;
        step.textContent = current === null ? t("seance.not_started") : t("seance.current_step", { n: current + 1, title: state.steps[current] ?? "" });
      };
      const drawHere = () => {
        const total = Object.values(state.attendance).reduce((a, b) => a + b, 0);
        const online = Object.values(state.presence).reduce((a, b) => a + b, 0);
        here.textContent = `${tn("projection.checked_in", total)} · ${tn("projection.connected", online)}`;
      };
      main.append(
        pageTitle(t("projection.title"), t("seance.title", { n: seance.number })),
        h(
          "div",
          { class: "projected-join" },
          h("img", { src: `/api/join/${encodeURIComponent(seance.join_code)}/qr.svg`, alt: t("console.qr_alt", { url: seance.join_url }), class: "qr-large" }),
          h("div", {}, h("p", {}, t("projection.join_at")), h("p", { class: "big-code" }, formatCode(seance.join_code)), h("p", { class: "join-url" }, seance.join_url)),
        ),
        step,
        here,
        results,
        announcer.el,
        badge.el,
      );
      drawStep();
      drawHere();
      drawPolls();
      channel = follow(
        identity,
        sessionId,
        state,
        (what) => {
          if (what === "snapshot" || what === "step") drawStep();
          if (what === "snapshot" || what === "attendance" || what === "presence") drawHere();
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
    document.body.classList.remove("projecting");
  };
};
