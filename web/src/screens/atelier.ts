// The atelier during a séance: where the séance stands (agenda, current step, who is here by
// role), the atelier's participants, its proposals; live through /ws/sessions/{id}.
import { api, errorText, type Atelier, type Participant, type Proposal, type Seance } from "../api";
import { h } from "../dom";
import { formatDate, t } from "../i18n";
import { adoptTokenFromHash, identityFor, identityForPlace, remember, save, type Identity } from "../identity";
import type { LiveChannel } from "../live";
import { canRunSession, roleColour, roleLabel, ROLES } from "../roles";
import { navigate, type Screen } from "../router";
import { follow, initialState, loadSeance } from "../seance";
import { errorRegion, loading, pageTitle } from "../ui";
import { cancelBanner, countsByRole, liveBadge, roleBadge } from "./common";
import { ordered } from "../polls";
import { pollAnnouncer, resultsView } from "../results";
import { voteCall, votesIn } from "../announce";
import { constitutionState } from "../constitution";
import { proposalsCard } from "./proposal-list";
import { charterCard } from "../charter";

export const atelier: Screen = (main, { atelierId }) => {
  adoptTokenFromHash();
  const identity = identityFor(atelierId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const status = loading();
  main.append(status);
  let leave: (() => void) | null = null;
  let alive = true;
  const load = async () => {
    const [atelierRow, participants, proposals] = await Promise.all([
      api<Atelier>("GET", `/api/ateliers/${encodeURIComponent(atelierId)}`, undefined, identity.token),
      api<Participant[]>("GET", `/api/ateliers/${encodeURIComponent(atelierId)}/participants`, undefined, identity.token),
      api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(atelierId)}/proposals`, undefined, identity.token),
    ]);
    const me = participants.find((p) => p.id === identity.participantId);
    if (me && (me.display_name !== identity.displayName || identity.atelierTitle !== atelierRow.title)) {
      identity.displayName = me.display_name;
      identity.atelierTitle = atelierRow.title;
      save(identity);
    }
    for (const p of proposals) remember(p.id, atelierId);
    const wanted = new URLSearchParams(location.search).get("seance");
    const sessionId = wanted || identity.sessionId || latestSession(proposals);
    let seance: Seance | null = null;
    if (sessionId) {
      seance = await loadSeance(identity, sessionId);
      remember(sessionId, atelierId);
      if (identity.sessionId !== sessionId) {
        identity.sessionId = sessionId;
        save(identity);
      }
    }
    return { atelierRow, participants, proposals, seance };
  };
  load()
    .then(({ atelierRow, participants, proposals, seance }) => {
      if (!alive) return;
      status.remove();
      leave = draw(main, identity, atelierRow, participants, proposals, seance);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("atelier.title")), region.el);
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    leave?.();
  };
};

function latestSession(proposals: Proposal[]): string | null {
  const ids = proposals.map((p) => p.session_id).filter((id): id is string => !!id);
  return ids.length ? ids[ids.length - 1] : null;
}

function draw(
  main: HTMLElement,
  identity: Identity,
  atelierRow: Atelier,
  participants: Participant[],
  proposals: Proposal[],
  seance: Seance | null,
): () => void {
  main.append(
    pageTitle(atelierRow.title),
    h("p", { class: "me" }, t("atelier.you_are", { name: identity.displayName || "—" }), " ", roleBadge(identity.role)),
    charterCard(identity),
  );
  // The proposals, the archived ones apart; read again when one changes (live channel).
  const proposalList = proposalsCard(identity, atelierRow.id, proposals);
  // Where the atelier stands, for everyone; the facilitator's panel (séances, logo) loads apart.
  let constitution = constitutionState(atelierRow, participants);
  let participantsNow = participants;
  const organiserSlot = h("div", {});
  main.append(constitution.el);
  if (!seance) main.append(organiserSlot);
  const drawPanel = (row: Atelier, said: string | null = null) => {
    void import("./organiser")
      .then((m) => m.organiserPanel(identity, row, onClosed))
      .then((panel) => {
        const status = said ? h("p", { class: "notice", role: "status", tabindex: "-1", "data-testid": "closed-done" }, said) : null;
        organiserSlot.replaceChildren(...(status ? [status, panel] : [panel]));
        status?.focus();
      })
      .catch(() => undefined);
  };
  // Closed from the panel: where the atelier stands says « clos », and the panel keeps only
  // what still applies; focus goes to the line that says it is done.
  const onClosed = (fresh: Atelier) => {
    const next = constitutionState(fresh, participants);
    constitution.el.replaceWith(next.el);
    constitution = next;
    drawPanel(fresh, t("organise.close.done"));
  };
  if (canRunSession(identity.role)) drawPanel(atelierRow);
  let channel: LiveChannel | null = null;
  let stopAnnouncing = () => undefined as void;
  if (seance) {
    const state = initialState(seance);
    const badge = liveBadge();
    const stepsList = h("ol", { class: "steps" });
    const stepNow = h("p", { class: "step-now", "aria-live": "polite" });
    const attendance = h("div", { "data-testid": "checked-in" });
    const presence = h("div", { "data-testid": "connected" });
    const peopleBox = h("div", {});
    const drawSteps = () => {
      stepsList.replaceChildren(
        ...state.steps.map((title, i) =>
          h("li", { "aria-current": i === state.currentStep ? "step" : null, class: i === state.currentStep ? "current" : null }, title, i === state.currentStep ? h("span", { class: "now-tag" }, ` — ${t("seance.now")}`) : null),
        ),
      );
      stepNow.textContent =
        state.currentStep === null ? t("seance.not_started") : t("seance.current_step", { n: state.currentStep + 1, title: state.steps[state.currentStep] ?? "" });
    };
    const drawCounts = () => {
      attendance.replaceChildren(countsByRole(state.attendance, "seance.nobody_checked_in"));
      presence.replaceChildren(countsByRole(state.presence, "seance.nobody_connected"));
    };
    drawSteps();
    drawCounts();
    peopleBox.replaceChildren(peopleByRole(participants));
    const pollsBox = h("div", { "data-testid": "polls" });
    const calls = voteCall(identity);
    main.append(calls.el);
    const announcer = pollAnnouncer(() => state.polls.values());
    stopAnnouncing = announcer.stop;
    const drawPolls = () => {
      calls.update(state.polls.values());
      const shown = ordered(state.polls.values()).filter((p) => p.status !== "draft");
      for (const p of shown) remember(p.id, atelierRow.id);
      pollsBox.replaceChildren(
        ...(shown.length
          ? shown.map((poll) =>
              h(
                "article",
                { class: "poll", "aria-labelledby": `poll-${poll.id}` },
                h("h3", { id: `poll-${poll.id}` }, poll.title),
                h("p", { class: "muted" }, `${t(`method.${poll.method}`)} · ${t(`poll_status.${poll.status}`)}`),
                poll.status !== "open"
                  ? resultsView(poll)
                  : votesIn(poll, identity.role)
                    ? h("p", {}, h("a", { href: `/vote/${encodeURIComponent(poll.id)}`, class: "button primary-link" }, t("polls.vote_now", { title: poll.title })))
                    : [h("p", { class: "muted" }, t("polls.role_does_not_vote", { role: roleLabel(identity.role) })), resultsView(poll)],
              ),
            )
          : [h("p", { class: "muted" }, t("polls.none_open"))]),
      );
    };
    const d = seance.details;
    // Cancelled or restored while this screen is open: said at once (live channel).
    const cancelled = cancelBanner();
    cancelled.set(state.cancelled);
    const checkIn = h("button", { type: "button" }, t("seance.check_in"));
    const checkOut = h("button", { type: "button" }, t("seance.check_out"));
    const checkError = errorRegion();
    const attend = async (what: "check-in" | "check-out") => {
      checkError.show(null);
      try {
        const counts = await api<Record<string, number>>("POST", `/api/sessions/${encodeURIComponent(seance.id)}/${what}`, {}, identity.token);
        state.attendance = counts;
        drawCounts();
      } catch (e) {
        checkError.show(errorText(e));
      }
    };
    checkIn.addEventListener("click", () => void attend("check-in"));
    checkOut.addEventListener("click", () => void attend("check-out"));
    // A closed atelier's attendance stays as it was (the server answers 409 atelier_closed):
    // no button that would fail, and why, where they were.
    const attendClosed = h("p", { class: "hint", hidden: true, "data-testid": "check-in-closed" }, t("seance.check_in_closed"));
    const attendButtons = h("p", { class: "actions" }, checkIn, checkOut);
    let shownClosed = false;
    const showClosed = (on: boolean) => {
      shownClosed = on;
      attendButtons.hidden = on;
      attendClosed.hidden = !on;
      if (on) checkError.show(null);
    };
    showClosed(atelierRow.status === "close");
    main.append(
      badge.el,
      h(
        "section",
        { class: "card", "aria-labelledby": "seance-title" },
        h("h2", { id: "seance-title" }, t("seance.title", { n: seance.number })),
        cancelled.el,
        h("p", {}, d.date ? formatDate(d.date) : "", d.start_time ? ` — ${d.start_time.slice(0, 5)}` : "", d.end_time ? `–${d.end_time.slice(0, 5)}` : "", d.place ? ` — ${d.place}` : ""),
        d.remote_link ? h("p", {}, h("a", { href: d.remote_link, target: "_blank", rel: "noopener noreferrer" }, t("seance.remote_link"))) : null,
        d.objectives?.length ? [h("h3", {}, t("seance.objectives")), h("ul", {}, d.objectives.map((o) => h("li", {}, o)))] : null,
        d.agenda?.length ? [h("h3", {}, t("seance.agenda")), h("ol", {}, d.agenda.map((a) => h("li", {}, a.title)))] : null,
        h("h3", {}, t("seance.steps")),
        stepNow,
        stepsList,
        canRunSession(identity.role)
          ? h(
              "p",
              { class: "actions" },
              h("a", { href: `/animation/${encodeURIComponent(seance.id)}`, class: "button" }, t("seance.console")),
              h("a", { href: `/projection/${encodeURIComponent(seance.id)}`, class: "button" }, t("seance.projection")),
              h("a", { href: `/seance/${encodeURIComponent(seance.id)}/modifier`, class: "button" }, t("seance.edit")),
            )
          : null,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "here-title" },
        h("h2", { id: "here-title" }, t("seance.here")),
        h("h3", {}, t("seance.checked_in")),
        attendance,
        attendButtons,
        attendClosed,
        checkError.el,
        h("h3", {}, t("seance.connected")),
        presence,
      ),
      h("section", { class: "card", "aria-labelledby": "votes-title" }, h("h2", { id: "votes-title" }, t("polls.title")), announcer.el, pollsBox),
    );
    drawPolls();
    channel = follow(
      identity,
      seance.id,
      state,
      (what) => {
        if (what === "snapshot" || what === "step") drawSteps();
        if (what === "snapshot" || what === "attendance" || what === "presence") drawCounts();
        if (what === "snapshot" || what === "polls" || what === "tally") {
          drawPolls();
          announcer.update(what !== "tally");
        }
        if (what === "proposals") proposalList.reload();
        if (what === "snapshot" || what === "cancelled") cancelled.set(state.cancelled, true);
        // The atelier closed (or reopened) while this screen is open, its séance held already
        // or not: shown as on loading it, where it stands and what attendance still takes.
        // On reconnecting too (a phone asleep meanwhile): its snapshot says it.
        const closedNow = what === "atelier" || what === "snapshot" ? state.atelierClosed : undefined;
        if (closedNow !== undefined && (what === "atelier" || (closedNow !== null) !== shownClosed)) {
          showClosed(closedNow !== null);
          api<Atelier>("GET", `/api/ateliers/${encodeURIComponent(atelierRow.id)}`, undefined, identity.token)
            .then((row) => {
              const next = constitutionState(row, participantsNow);
              constitution.el.replaceWith(next.el);
              constitution = next;
            })
            .catch(() => undefined); // what it takes is already said (showClosed)
        }
        if (what === "joined") {
          api<Participant[]>("GET", `/api/ateliers/${encodeURIComponent(atelierRow.id)}/participants`, undefined, identity.token)
            .then((rows) => {
              participantsNow = rows;
              peopleBox.replaceChildren(peopleByRole(rows));
              constitution.update(rows);
            })
            .catch(() => undefined);
        }
      },
      badge.set,
    );
    main.append(h("section", { class: "card", "aria-labelledby": "people-title" }, h("h2", { id: "people-title" }, t("atelier.participants")), peopleBox));
  } else {
    main.append(h("p", { class: "muted" }, t("atelier.no_seance")), h("section", { class: "card", "aria-labelledby": "people-title" }, h("h2", { id: "people-title" }, t("atelier.participants")), peopleByRole(participants)));
  }
  main.append(
    proposalList.el,
    h(
      "details",
      { class: "card" },
      h("summary", {}, t("atelier.about")),
      h("p", {}, atelierRow.subject),
      h("h3", {}, t("atelier.charter", { version: atelierRow.charter_version })),
      h("div", { class: "charter" }, atelierRow.charter_text),
    ),
  );
  if (seance) main.append(organiserSlot);
  return () => {
    channel?.close();
    stopAnnouncing();
  };
}

function peopleByRole(participants: Participant[]): HTMLElement {
  const active = participants.filter((p) => !p.revoked);
  return h(
    "div",
    { class: "people" },
    ROLES.filter((r) => active.some((p) => p.role === r)).map((r) =>
      h(
        "div",
        { class: "role-group" },
        h("h3", {}, h("span", { class: "swatch", style: `background:${roleColour(r)}`, "aria-hidden": "true" }), roleLabel(r)),
        h("ul", {}, active.filter((p) => p.role === r).map((p) => h("li", {}, p.display_name))),
      ),
    ),
  );
}

/** `/seance/{id}`: a séance's own address, shown as its atelier's screen. */
export const seanceRedirect: Screen = (main, { sessionId }) => {
  const identity = identityForPlace(sessionId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  main.append(loading());
  loadSeance(identity, sessionId)
    .then((seance) => navigate(`/atelier/${encodeURIComponent(seance.atelier_id)}?seance=${encodeURIComponent(seance.id)}`, true))
    .catch((error) => {
      const region = errorRegion();
      main.replaceChildren(pageTitle(t("atelier.title")), region.el);
      region.show(errorText(error));
    });
};
