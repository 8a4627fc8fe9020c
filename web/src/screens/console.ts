// The facilitator's console: the séance's steps (start, previous, next, go to), attendance and
// presence by role, invitation codes for the invited roles, the join code and its QR code, and
// the polls (see polls.ts).
import { api, errorText, type Atelier, type Seance } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { identityForPlace } from "../identity";
import type { LiveChannel } from "../live";
import { canRunSession, roleLabel } from "../roles";
import type { Screen } from "../router";
import { follow, initialState, loadSeance } from "../seance";
import { errorRegion, formatCode, loading, pageTitle } from "../ui";
import { cancelBanner, countsByRole, liveBadge } from "./common";
import { pollConsole } from "./polls";
import { freezeSection } from "./freeze";
import { doorSection } from "./door";
import { joinCodeSection } from "./join-code";
import { peopleSection } from "./people";
import { timerControls } from "./step-timer";
import { newProposalSection, nextSeanceSection } from "./follow-up";
import { proposalsPanel } from "./console-proposals";

export const facilitatorConsole: Screen = (main, { sessionId }) => {
  const identity = identityForPlace(sessionId);
  if (!identity || !canRunSession(identity.role)) {
    main.append(pageTitle(t("console.title")), h("p", { class: "notice" }, t("console.only_facilitators")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const status = loading();
  main.append(status);
  let channel: LiveChannel | null = null;
  let stopPolls: (() => void) | null = null;
  let stopTimer: (() => void) | null = null;
  let alive = true;
  loadSeance(identity, sessionId)
    .then((seance) => {
      if (!alive) return;
      status.remove();
      const state = initialState(seance);
      const badge = liveBadge();
      const error = errorRegion();
      const announce = h("p", { class: "step-now", "aria-live": "polite" });
      const steps = h("ol", { class: "steps console-steps" });
      const attendance = h("div", { "data-testid": "checked-in" });
      const presence = h("div", { "data-testid": "connected" });
      const move = async (body: { move: string; index?: number }) => {
        error.show(null);
        try {
          const row = await api<Seance>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/step`, body, identity.token);
          state.currentStep = row.details.current_step ?? null;
          drawSteps();
          // The pressed button may be gone (« Commencer », a step's own): focus goes on to what
          // comes next rather than to the top of the page.
          if (!main.contains(document.activeElement)) (nextActions.querySelector<HTMLElement>("button") ?? nextText).focus();
        } catch (e) {
          error.show(errorText(e));
        }
      };
      const drawSteps = () => {
        const current = state.currentStep;
        announce.textContent = current === null ? t("seance.not_started") : t("seance.current_step", { n: current + 1, title: state.steps[current] ?? "" });
        steps.replaceChildren(
          ...state.steps.map((title, i) =>
            h(
              "li",
              { "aria-current": i === current ? "step" : null, class: i === current ? "current" : null },
              h("span", {}, title),
              i === current ? h("span", { class: "now-tag" }, ` — ${t("seance.now")}`) : h("button", { type: "button", class: "small", onclick: () => void move({ move: "goto", index: i }) }, t("console.goto_label", { n: i + 1 })),
            ),
          ),
        );
        // The current step in sight when the list scrolls inside its tile (laptop), without
        // moving the page (a phone's list does not scroll: nothing to do there).
        const li = steps.querySelector<HTMLElement>("li.current");
        if (li && steps.scrollHeight > steps.clientHeight) steps.scrollTop = li.offsetTop - steps.offsetTop - 8;
        prevButton.disabled = current === null || current === 0;
        nextButton.disabled = current === null || current >= state.steps.length - 1;
        drawNext();
      };
      const drawCounts = () => {
        attendance.replaceChildren(countsByRole(state.attendance, "seance.nobody_checked_in"));
        presence.replaceChildren(countsByRole(state.presence, "seance.nobody_connected"));
      };
      const startButton = h("button", { type: "button", class: "primary", onclick: () => void move({ move: "start" }) }, t("console.start"));
      const prevButton = h("button", { type: "button", onclick: () => void move({ move: "previous" }) }, t("console.previous"));
      const nextButton = h("button", { type: "button", class: "primary", onclick: () => void move({ move: "next" }) }, t("console.next"));
      document.body.classList.add("console");

      // Invitations for the roles that need one.
      const inviteRole = h("select", { id: "invite-role" }, ["elu", "agent", "animateur", "conseil"].map((r) => h("option", { value: r }, roleLabel(r))));
      const inviteOut = h("p", { class: "invite-code", "aria-live": "polite" });
      const inviteError = errorRegion();
      const inviteForm = h(
        "form",
        { class: "inline-form" },
        h("label", { for: "invite-role" }, t("console.invite_role")),
        inviteRole,
        h("button", { type: "submit" }, t("console.invite")),
      );
      inviteForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        inviteError.show(null);
        try {
          const invitation = await api<{ code: string; role: string }>("POST", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/invitations`, { role: inviteRole.value }, identity.token);
          const link = `${seance.join_url}#role=${encodeURIComponent(invitation.role)}&invitation=${encodeURIComponent(invitation.code)}`;
          inviteOut.replaceChildren(
            t("console.invite_code", { role: roleLabel(invitation.role) }),
            " ",
            h("strong", { class: "code" }, formatCode(invitation.code)),
            h("br", {}),
            t("console.invite_link"),
            " ",
            h("a", { href: link, class: "url" }, link),
          );
        } catch (e) {
          inviteError.show(errorText(e));
        }
      });

      const timer = timerControls(identity, sessionId, seance, state);
      stopTimer = timer.stop;
      // At the door and the people: the same participants, read once for both; who is here
      // comes from the API (door.ts), read again at each attendance_changed.
      const checkedIn = new Set<string>();
      let door: ReturnType<typeof doorSection> | null = null;
      const people = peopleSection(identity, checkedIn, () => door?.refresh());
      door = doorSection(identity, sessionId, seance, people.load, checkedIn);
      door.onChange(() => people.refresh());
      const joinCode = joinCodeSection(identity, sessionId, seance);
      const pollView = pollConsole(identity, sessionId, state);
      const freeze = freezeSection(identity, sessionId);
      // Rename, lock, archive, restart from or copy a version (issue 19, #5): console-proposals.ts.
      const proposals = proposalsPanel(identity, (rows) => {
        pollView.proposalsChanged(rows);
        freeze.reload();
      });
      stopPolls = pollView.stop;
      // The next action: one sentence and, when it is a move, its button.
      const nextText = h("p", { class: "next-text", tabindex: "-1" });
      const nextActions = h("p", { class: "actions" });
      const drawNext = () => {
        const current = state.currentStep;
        const open = [...state.polls.values()].filter((p) => p.status === "open");
        const last = current !== null && current >= state.steps.length - 1;
        nextActions.replaceChildren();
        if (current === null && state.cancelled) {
          // Cancelled: it cannot start (the server says 409 session_cancelled); restoring is
          // on the séance's edit screen, with its confirmation (seance-cancel.ts).
          nextText.textContent = t("console.next_cancelled");
          nextActions.append(h("a", { href: `/seance/${encodeURIComponent(sessionId)}/modifier`, class: "button" }, t("seance.edit")));
        } else if (current === null && state.steps.length === 0) {
          // No déroulé: the server refuses to start (409 no_method_steps); its steps are
          // written on the séance's edit screen, so the way there rather than a button that fails.
          nextText.textContent = t("console.next_no_steps");
          nextActions.append(h("a", { href: `/seance/${encodeURIComponent(sessionId)}/modifier`, class: "button" }, t("seance.edit")));
        } else if (current === null) {
          nextText.textContent = t("console.next_start");
          nextActions.append(startButton);
        } else if (open.length) {
          nextText.textContent = t("console.next_close", { title: open[0].title });
        } else if (!last) {
          nextText.textContent = t("console.next_step", { n: current + 2, title: state.steps[current + 1] ?? "" });
          nextActions.append(h("button", { type: "button", class: "primary", onclick: () => void move({ move: "next" }) }, t("console.go_step", { n: current + 2 })));
        } else {
          nextText.textContent = t("console.next_freeze");
          nextActions.append(h("button", { type: "button", onclick: () => document.getElementById("freeze-title")?.closest("section")?.querySelector<HTMLElement>("button")?.focus() }, t("console.go_freeze")));
        }
      };
      // Cancelled or restored (here, on the edit screen, or from another facilitator's console):
      // said at once, and the join code's QR code gives way to what the invitations now say.
      // In a closed atelier, its séances ahead were cancelled with it: the closed-atelier notice
      // below says so, once, so the banner stays empty there (one status region speaks, not
      // two). Until the atelier is read, the banner waits, so that it does not flash and speak.
      const cancelled = cancelBanner();
      let atelierKnown = false;
      let atelierIsClosed = false;
      const sayCancelled = (told: boolean) => {
        if (atelierKnown) cancelled.set(atelierIsClosed ? null : state.cancelled, told && !atelierIsClosed);
      };
      joinCode.cancelled(state.cancelled !== null);
      door.cancelled(state.cancelled !== null);
      const newProposal = newProposalSection(identity, sessionId, (proposal) => {
        pollView.proposalAdded(proposal);
        freeze.reload();
      });
      const nextSeance = nextSeanceSection(identity, seance);
      // A closed atelier: said once, here; what it refuses (409 atelier_closed) is not offered
      // below — no new proposal, poll, ballot on paper, walk-in, headcount nor next séance; what it
      // wrote stays readable.
      const closedNote = h("p", { class: "notice", role: "status", hidden: true, "data-testid": "console-closed" });
      const atelierClosed = (on: boolean) => {
        atelierKnown = true;
        atelierIsClosed = on;
        sayCancelled(false);
        closedNote.textContent = on ? t("console.atelier_closed") : "";
        closedNote.hidden = !on;
        newProposal.hidden = nextSeance.hidden = on;
        joinCode.closed(on);
        door.closed(on);
        pollView.closed(on);
        proposals.closed(on);
      };
      // A closed atelier's séance (one held before it closed): its code opens nothing either.
      // Read again when the séance is cancelled live: closing the atelier is what cancels it.
      const readAtelier = () =>
        api<Atelier>("GET", `/api/ateliers/${encodeURIComponent(seance.atelier_id)}`, undefined, identity.token)
          .then((atelier) => atelierClosed(atelier.status === "close"))
          .catch(() => {
            // The code stays as shown; the server still refuses what a closed atelier refuses.
            atelierKnown = true;
            sayCancelled(false);
          });
      void readAtelier();
      const tile = (id: string, area: string, title: string, ...content: (HTMLElement | null)[]) =>
        h("section", { class: `card tile tile-${area}`, "aria-labelledby": id, "data-testid": `tile-${area}` }, h("h2", { id }, title), ...content.filter((x): x is HTMLElement => !!x));
      main.append(
        h("div", { class: "console-head" }, pageTitle(t("console.title"), t("seance.title", { n: seance.number })), badge.el),
        cancelled.el,
        closedNote,
        h(
          "div",
          { class: "dashboard" },
          tile("next-title", "next", t("console.next_action"), nextText, nextActions),
          tile(
            "steps-title",
            "step",
            t("console.step_now"),
            announce,
            // The step timer (issue 19, #3).
            h("div", { class: "timer-slot", "data-slot": "timer" }, timer.el),
            h("p", { class: "actions" }, prevButton, nextButton),
            error.el,
            h("h3", { class: "steps-heading" }, t("seance.steps")),
            steps,
          ),
          tile("vote-title", "vote", t("console.running_vote"), pollView.running),
          tile(
            "attendance-title",
            "here",
            t("seance.here"),
            h("div", { class: "here-columns" }, h("div", {}, h("h3", {}, t("seance.checked_in")), attendance), h("div", {}, h("h3", {}, t("seance.connected")), presence)),
          ),
        ),
        door.el,
        newProposal,
        proposals.el,
        pollView.section,
        freeze.el,
        nextSeance,
        h(
          "section",
          { class: "card", "aria-labelledby": "join-title" },
          h("h2", { id: "join-title" }, t("console.join")),
          joinCode.el,
          h("h3", {}, t("console.invite_title")),
          inviteForm,
          inviteError.el,
          inviteOut,
        ),
        people.el,
        h(
          "p",
          { class: "actions" },
          h("a", { href: `/projection/${encodeURIComponent(sessionId)}`, class: "button" }, t("seance.projection")),
          h("a", { href: `/atelier/${encodeURIComponent(identity.atelierId)}?seance=${encodeURIComponent(sessionId)}`, class: "button" }, t("console.back")),
          h("a", { href: `/seance/${encodeURIComponent(sessionId)}/modifier`, class: "button" }, t("seance.edit")),
          h("a", { href: `/atelier/${encodeURIComponent(identity.atelierId)}/modifier`, class: "button" }, t("atelier.edit")),
        ),
      );
      drawSteps();
      drawCounts();
      drawNext();
      channel = follow(
        identity,
        sessionId,
        state,
        (what, event) => {
          if (what === "snapshot" || what === "step") drawSteps();
          if (what === "snapshot" || what === "step" || what === "timer") timer.update();
          if (what === "joined") {
            door?.refresh();
            people.refresh();
          }
          if (what === "snapshot" || what === "attendance" || what === "presence") drawCounts();
          if (what === "snapshot" || what === "attendance") door?.attendanceChanged();
          // A new code, told live or found in the snapshot after a reconnection.
          if (what === "join_code" || (what === "snapshot" && event.join_code)) joinCode.changed(String(event.join_code), String(event.join_url));
          pollView.onEvent(what, event);
          proposals.onEvent(what);
          // A cancellation heard live is said once the atelier is read again (readAtelier, then
          // sayCancelled): by the closed-atelier notice if closing it is why, by the banner else.
          if (what === "cancelled" && state.cancelled && !atelierIsClosed) void readAtelier();
          else if (what === "snapshot" || what === "cancelled") sayCancelled(true);
          // Closed (or reopened) while the console is open, its séance held already or not: as
          // on loading a closed atelier, the notice once and nothing offered that it refuses.
          // On reconnecting too (offline meanwhile): its snapshot says it.
          const closedNow = what === "atelier" || what === "snapshot" ? state.atelierClosed : undefined;
          if (closedNow !== undefined && (what === "atelier" || (closedNow !== null) !== atelierIsClosed)) atelierClosed(closedNow !== null);
          if (what === "snapshot" || what === "cancelled") {
            joinCode.cancelled(state.cancelled !== null);
            door.cancelled(state.cancelled !== null);
          }
          if (what === "snapshot" || what === "step" || what === "polls" || what === "cancelled") drawNext();
        },
        badge.set,
      );
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("console.title")), region.el);
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    document.body.classList.remove("console");
    channel?.close();
    stopPolls?.();
    stopTimer?.();
  };
};
