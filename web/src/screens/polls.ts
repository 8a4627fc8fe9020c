// The facilitator's polls: prepare one (question, method and its parameters — a grade scale for
// majority judgment —, options typed or taken from the atelier's proposals, who votes, quorum,
// secret or public, results hidden until the close), open it, close it (in two steps: it is
// final), publish hidden results, start the one run-off a tie may have. Results follow live
// (`tally` events). The running vote is drawn in the console's dashboard (`running`), the
// others and the form below it (`section`).
import { ApiError, api, errorText, type Participant, type Proposal } from "../api";
import { h, newId } from "../dom";
import { t } from "../i18n";
import type { Identity } from "../identity";
import { remember } from "../identity";
import type { LiveEvent } from "../live";
import { METHODS, mergePoll, ordered, type Method, type Poll } from "../polls";
import { byRoleView, pollAnnouncer, resultsView } from "../results";
import { roleLabel } from "../roles";
import { inputsFor } from "./ballot";
import type { SeanceState } from "../seance";
import { errorRegion, twoStep } from "../ui";

export interface PollConsole {
  /** The dashboard's tile: the open polls, else the last one closed. */
  running: HTMLElement;
  /** The other polls and the form to prepare one. */
  section: HTMLElement;
  onEvent: (what: string, event: LiveEvent) => void;
  /** A proposal created in the console: offered at once as an option. */
  proposalAdded: (proposal: Proposal) => void;
  /** The atelier's proposals as they are now: an archived one is no longer offered. */
  proposalsChanged: (rows: Proposal[]) => void;
  /** The atelier is closed: polls are neither prepared, opened, closed, published nor run
   * off, and no paper ballot is entered (409 atelier_closed); their results stay. */
  closed: (on: boolean) => void;
  stop: () => void;
}

type Call = (path: string, focus?: boolean) => Promise<Poll | null>;

interface Card {
  el: HTMLElement;
  update: (poll: Poll, hasRunoff: boolean) => void;
  focus: () => void;
}

export function pollConsole(identity: Identity, sessionId: string, state: SeanceState): PollConsole {
  const error = errorRegion();
  const list = h("div", { class: "poll-list" });
  const runningList = h("div", { class: "poll-list" });
  const announcer = pollAnnouncer(() => state.polls.values());
  const cards = new Map<string, Card>();
  let focusWanted: string | null = null;
  const call: Call = async (path, focus = true) => {
    error.show(null);
    try {
      const poll = await api<Poll>("POST", path, {}, identity.token);
      state.polls.set(poll.id, mergePoll(state.polls.get(poll.id), poll));
      remember(poll.id, identity.atelierId);
      if (focus) focusWanted = poll.id; // the pressed button is gone: focus follows the poll
      draw();
      return poll;
    } catch (e) {
      error.show(errorText(e));
      return null;
    }
  };
  const create = async (body: unknown): Promise<Poll | null> => {
    error.show(null);
    try {
      const poll = await api<Poll>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/polls`, body, identity.token);
      state.polls.set(poll.id, poll);
      remember(poll.id, identity.atelierId);
      focusWanted = poll.id;
      draw();
      return poll;
    } catch (e) {
      error.show(errorText(e));
      return null;
    }
  };
  const hasRunoff = (poll: Poll) => [...state.polls.values()].some((p) => p.runoff_of === poll.id);
  const form = newPollForm(identity, create);
  let isClosed = false;
  const prepare = h("button", { type: "button", onclick: () => form.focus() }, t("polls.prepare_new"));
  const none = h("p", { class: "muted" }, t("polls.none_open"));
  const draw = () => {
    const polls = ordered(state.polls.values());
    const open = polls.filter((p) => p.status === "open");
    const last = polls.find((p) => p.status === "closed" || p.status === "published");
    const featured = open.length ? open : last ? [last] : [];
    const cardOf = (poll: Poll): HTMLElement => {
      let card = cards.get(poll.id);
      if (!card) {
        card = pollCard(poll, identity, call, () => isClosed);
        cards.set(poll.id, card);
      }
      card.update(poll, hasRunoff(poll));
      return card.el;
    };
    none.hidden = open.length > 0;
    runningList.replaceChildren(...featured.map(cardOf));
    const rest = polls.filter((p) => !featured.includes(p));
    list.replaceChildren(...(rest.length ? rest.map(cardOf) : [h("p", { class: "muted" }, t(polls.length ? "polls.no_other" : "polls.none"))]));
    if (focusWanted) {
      cards.get(focusWanted)?.focus();
      focusWanted = null;
    }
  };
  const running = h("div", {}, announcer.el, none, runningList, h("p", { class: "actions" }, prepare));
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "polls-title" },
    h("h2", { id: "polls-title" }, t("polls.title")),
    error.el,
    list,
    form.el,
  );
  draw();
  return {
    running,
    section,
    proposalAdded: (proposal) => form.add(proposal),
    proposalsChanged: (rows) => form.offer(rows),
    closed: (on) => {
      isClosed = on;
      form.el.hidden = prepare.hidden = on;
      for (const poll of state.polls.values()) cards.get(poll.id)?.update(poll, hasRunoff(poll));
    },
    onEvent: (what) => {
      if (what === "snapshot" || what === "polls" || what === "tally") {
        for (const id of state.polls.keys()) remember(id, identity.atelierId);
        draw();
        announcer.update(what !== "tally");
      }
    },
    stop: announcer.stop,
  };
}

/** One poll, kept across redraws (tallies stream in while the facilitator is pressing buttons,
 * filling a paper ballot or reading the results by role): its actions are rebuilt only when what
 * can be done changes. */
function pollCard(first: Poll, identity: Identity, call: Call, shut: () => boolean = () => false): Card {
  const path = `/api/polls/${encodeURIComponent(first.id)}`;
  const heading = h("h3", { id: `poll-${first.id}`, tabindex: "-1" }, first.title);
  const meta = h("p", { class: "muted" });
  const body = h("div", {});
  const actions = h("div", {});
  let paper: HTMLElement | null = null;
  let key = "";
  const el = h("article", { class: "poll", "data-poll-id": first.id, "aria-labelledby": `poll-${first.id}` }, heading, meta, body, actions);
  const closing = (poll: Poll): HTMLElement[] => {
    const start = h("button", { type: "button", class: "primary" }, t("polls.close"));
    const ask = h("p", { class: "notice", hidden: true }, t("polls.close_ask", { title: poll.title }));
    const confirm = h("button", { type: "button", class: "primary", hidden: true }, t("polls.close_confirm"));
    const cancel = h("button", { type: "button", hidden: true }, t("polls.close_cancel"));
    twoStep(start, ask, confirm, cancel);
    confirm.addEventListener("click", () => {
      confirm.disabled = true;
      void call(`${path}/close`).finally(() => (confirm.disabled = false));
    });
    return [ask, h("p", { class: "actions" }, start, confirm, cancel, h("a", { href: `/vote/${encodeURIComponent(poll.id)}`, class: "button" }, t("polls.ballot_link")))];
  };
  const update = (poll: Poll, hasRunoff: boolean) => {
    meta.textContent = [
      t(`method.${poll.method}`),
      t(`poll_status.${poll.status}`),
      t("polls.voters", { roles: poll.voter_roles.map(roleLabel).join(", ") }),
      t(poll.secret ? "polls.secret" : "polls.public"),
      poll.hide_results ? t("polls.hidden_results") : null,
      poll.quorum ? t("polls.quorum_of", { n: poll.quorum }) : null,
      poll.runoff_of ? t("polls.is_runoff") : null,
    ]
      .filter(Boolean)
      .join(" · ");
    const byRoleOpen = body.querySelector<HTMLDetailsElement>("details.by-role-results")?.open ?? false;
    if (poll.status === "draft") body.replaceChildren(h("ul", {}, poll.options.map((o) => h("li", {}, o.label))));
    else {
      const byRole = byRoleView(poll);
      if (byRole && byRoleOpen) (byRole as HTMLDetailsElement).open = true;
      body.replaceChildren(...[resultsView(poll), byRole].filter((x): x is HTMLElement => !!x));
    }
    const tie = (poll.results?.total.ranking[0]?.length ?? 0) >= 2;
    const runoff = (poll.status === "closed" || poll.status === "published") && tie && !!poll.results?.final && !poll.runoff_of && !hasRunoff;
    const now = `${poll.status}|${runoff}`;
    if (now !== key) {
      key = now;
      const row = h("p", { class: "actions" });
      if (poll.status === "draft") row.append(h("button", { type: "button", class: "primary", onclick: () => void call(`${path}/open`) }, t("polls.open")));
      if (poll.status === "closed" && poll.hide_results) row.append(h("button", { type: "button", class: "primary", onclick: () => void call(`${path}/publish`) }, t("polls.publish")));
      if (runoff) row.append(h("button", { type: "button", onclick: () => void call(`${path}/runoff`) }, t("polls.runoff")));
      if (poll.status === "open") actions.replaceChildren(...closing(poll));
      else actions.replaceChildren(...(row.childNodes.length ? [row] : []));
    }
    actions.hidden = shut();
    if (poll.status === "open" && !paper) {
      // Once a paper ballot is in, a blank form for the next one.
      const fresh = (): HTMLElement => h("details", { class: "paper" }, h("summary", {}, t("polls.paper_title")), paperBallotForm(poll, identity, () => {
        const next = fresh();
        paper?.replaceWith(next);
        paper = next;
      }));
      paper = fresh();
      el.append(paper);
    } else if (poll.status !== "open" && paper) {
      paper.remove();
      paper = null;
    }
    if (paper) paper.hidden = shut();
  };
  return {
    el,
    update,
    focus: () => (actions.querySelector<HTMLElement>("button:not([hidden])") ?? heading).focus(),
  };
}

/** A ballot entered by the facilitator for someone without a device (paper, or a proxy):
 * the same form as on the phones, plus for whom — a participant by name (registered at the
 * door, or absent and voting by proxy: one ballot for them, and their phone says so), or
 * someone unnamed of a role, within the room's headcount — and where the ballot comes from. */
function paperBallotForm(poll: Poll, identity: Identity, done: () => void): HTMLElement {
  const inputs = inputsFor(poll);
  const whoId = newId("paper-who");
  const roleId = newId("paper-role");
  const originId = newId("paper-origin");
  const who = h("select", { id: whoId }, h("option", { value: "" }, t("polls.paper_nameless")));
  const role = h("select", { id: roleId }, poll.voter_roles.map((r) => h("option", { value: r }, roleLabel(r))));
  const roleField = h("div", { class: "field" }, h("label", { for: roleId }, t("polls.paper_role")), role);
  who.addEventListener("change", () => (roleField.hidden = who.value !== ""));
  // The participants who may vote in this poll, by name; the list is read when the form opens.
  void api<Participant[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/participants`, undefined, identity.token)
    .then((people) => {
      const voters = people.filter((p) => !p.revoked && poll.voter_roles.includes(p.role)).sort((a, b) => a.display_name.localeCompare(b.display_name, "fr"));
      who.append(...voters.map((p) => h("option", { value: p.id }, `${p.display_name} — ${roleLabel(p.role)}`)));
    })
    .catch(() => undefined); // without the list, a nameless ballot can still be entered
  const origin = h("select", { id: originId }, h("option", { value: "papier" }, t("polls.origin_papier")), h("option", { value: "procuration" }, t("polls.origin_procuration")));
  const error = errorRegion();
  const form = h(
    "form",
    { class: "paper-ballot", novalidate: true },
    h("div", { class: "field" }, h("label", { for: whoId }, t("polls.paper_who")), who),
    h("div", { class: "field-row" }, roleField, h("div", { class: "field" }, h("label", { for: originId }, t("polls.paper_origin")), origin)),
    inputs.el,
    error.el,
    h("button", { type: "submit", class: "primary" }, t("polls.paper_submit")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    const ballot = inputs.value();
    if (!ballot) {
      error.show(t("ballot.incomplete"));
      return;
    }
    try {
      const person = who.value ? { on_behalf_of: who.value } : { role: role.value };
      await api("POST", `/api/polls/${encodeURIComponent(poll.id)}/proxy-ballots`, { ballot, ...person, origin: origin.value }, identity.token);
      done();
    } catch (e) {
      // A ballot without a name needs the room's headcount, and stays within it: say so in the
      // facilitator's words, with the way to the field (at the door, in this console).
      const room = e instanceof ApiError && (e.code === "headcount_required" || e.code === "over_headcount");
      error.show(e instanceof ApiError && e.code === "headcount_required" ? t("polls.headcount_required") : errorText(e));
      if (room) {
        const field = document.getElementById("headcount");
        if (field) {
          error.el.append(
            " ",
            h("button", { type: "button", class: "small", onclick: () => {
              field.scrollIntoView({ block: "center" });
              field.focus();
            } }, t(e.code === "headcount_required" ? "polls.go_headcount" : "polls.recount")),
          );
        }
      }
    }
  });
  return form;
}

/** The form to prepare a vote; ``focus()`` brings the facilitator to its first field. */
function newPollForm(
  identity: Identity,
  create: (body: unknown) => Promise<Poll | null>,
): { el: HTMLElement; focus: () => void; add: (proposal: Proposal) => void; offer: (rows: Proposal[]) => void } {
  const ids = { title: newId("poll-title"), method: newId("poll-method"), options: newId("poll-options"), dots: newId("poll-dots"), cap: newId("poll-cap"), min: newId("poll-min"), max: newId("poll-max"), grades: newId("poll-grades"), everyone: newId("poll-everyone"), secret: newId("poll-secret"), hidden: newId("poll-hidden"), quorum: newId("poll-quorum") };
  const title = h("input", { id: ids.title, required: true, maxlength: "200" });
  const method = h("select", { id: ids.method }, METHODS.map((m) => h("option", { value: m }, t(`method.${m}`))));
  const options = h("textarea", { id: ids.options, rows: "4", "aria-describedby": `${ids.options}-hint` });
  const dots = h("input", { id: ids.dots, type: "number", min: "1", max: "100", value: "5", inputmode: "numeric" });
  const cap = h("input", { id: ids.cap, type: "number", min: "1", max: "100", value: "3", inputmode: "numeric" });
  const min = h("input", { id: ids.min, type: "number", value: "0", inputmode: "numeric" });
  const max = h("input", { id: ids.max, type: "number", value: "5", inputmode: "numeric" });
  const scales = GRADE_SCALES.map((n) => ({ n, grades: t(`polls.grades_${n}`).split(",").map((g) => g.trim()) }));
  const grades = h(
    "select",
    { id: ids.grades, "aria-describedby": `${ids.grades}-hint` },
    scales.map(({ n, grades: labels }) => h("option", { value: String(n), selected: n === DEFAULT_SCALE }, t("polls.grade_scale", { n, grades: [...labels].reverse().join(", ") }))),
  );
  const everyone = h("input", { id: ids.everyone, type: "checkbox", "aria-describedby": `${ids.everyone}-hint` });
  const secret = h("input", { id: ids.secret, type: "checkbox", checked: true });
  const hidden = h("input", { id: ids.hidden, type: "checkbox" });
  const quorum = h("input", { id: ids.quorum, type: "number", min: "1", inputmode: "numeric" });
  const dotsBox = h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.dots }, t("polls.dots_per_voter")), dots), h("div", { class: "field" }, h("label", { for: ids.cap }, t("polls.max_per_option")), cap));
  const scoreBox = h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.min }, t("polls.score_min")), min), h("div", { class: "field" }, h("label", { for: ids.max }, t("polls.score_max")), max));
  const gradesBox = h("div", { class: "field" }, h("label", { for: ids.grades }, t("polls.grade_scale_label")), h("p", { class: "hint", id: `${ids.grades}-hint` }, t("polls.grade_scale_hint")), grades);
  const sync = () => {
    dotsBox.hidden = method.value !== "dots";
    scoreBox.hidden = method.value !== "score";
    gradesBox.hidden = method.value !== "majority_judgment";
  };
  method.addEventListener("change", sync);
  sync();
  // The atelier's proposals, to be voted on as they are (each option keeps its proposal's id).
  const fromProposals = h("fieldset", { class: "from-proposals", hidden: true }, h("legend", {}, t("polls.from_proposals")));
  const picked = new Map<HTMLInputElement, Proposal>();
  const add = (p: Proposal) => {
    if ([...picked.values()].some((known) => known.id === p.id)) return;
    const id = newId("poll-from");
    const box = h("input", { type: "checkbox", id });
    picked.set(box, p);
    fromProposals.append(h("p", { class: "check" }, box, h("label", { for: id }, p.title)));
    fromProposals.hidden = false;
  };
  // The atelier's proposals as they are now: an archived one is no longer offered (the server
  // refuses it), a renamed one is offered under its new title.
  const offer = (rows: Proposal[]) => {
    const active = new Map(rows.filter((p) => !p.archived_at).map((p) => [p.id, p]));
    for (const [box, known] of [...picked]) {
      const now = active.get(known.id);
      if (!now) {
        box.closest("p")?.remove();
        picked.delete(box);
        continue;
      }
      picked.set(box, now);
      if (box.nextElementSibling) box.nextElementSibling.textContent = now.title;
      active.delete(now.id);
    }
    active.forEach(add);
    fromProposals.hidden = picked.size === 0;
  };
  api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, undefined, identity.token)
    .then(offer)
    .catch(() => undefined); // typed options still work
  const error = errorRegion();
  const form = h(
    "form",
    { class: "new-poll", novalidate: true, "aria-labelledby": "new-poll-title" },
    h("h3", { id: "new-poll-title" }, t("polls.new")),
    h("div", { class: "field" }, h("label", { for: ids.title }, t("polls.question")), title),
    h("div", { class: "field" }, h("label", { for: ids.method }, t("polls.method")), method),
    gradesBox,
    dotsBox,
    scoreBox,
    fromProposals,
    h("div", { class: "field" }, h("label", { for: ids.options }, t("polls.options")), h("p", { class: "hint", id: `${ids.options}-hint` }, t("polls.options_hint")), options),
    h("div", { class: "check" }, everyone, h("div", {}, h("label", { for: ids.everyone }, t("polls.everyone_label")), h("p", { class: "hint", id: `${ids.everyone}-hint` }, t("polls.everyone_hint")))),
    h("p", { class: "check" }, secret, h("label", { for: ids.secret }, t("polls.secret_label"))),
    h("p", { class: "check" }, hidden, h("label", { for: ids.hidden }, t("polls.hide_label"))),
    h("div", { class: "field" }, h("label", { for: ids.quorum }, t("polls.quorum")), quorum),
    error.el,
    h("button", { type: "submit", class: "primary" }, t("polls.create")),
  );
  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return; // a double click prepares one vote
    error.show(null);
    title.removeAttribute("aria-invalid");
    options.removeAttribute("aria-invalid");
    const chosen = [...picked].filter(([box]) => box.checked).map(([, p]) => ({ label: p.title, proposal_id: p.id }));
    const typed = options.value.split("\n").map((s) => s.trim()).filter(Boolean).map((label) => ({ label }));
    const all = [...chosen, ...typed];
    if (!title.value.trim()) {
      error.show(t("polls.question_missing"));
      title.setAttribute("aria-invalid", "true");
      title.focus();
      return;
    }
    if (all.length < 2) {
      error.show(t("polls.incomplete"));
      options.setAttribute("aria-invalid", "true");
      options.focus();
      return;
    }
    const m = method.value as Method;
    const params: Record<string, unknown> = {};
    if (m === "dots") {
      params.dots_per_voter = Number(dots.value);
      if (cap.value) params.max_per_option = Number(cap.value);
    }
    if (m === "score") Object.assign(params, { min: Number(min.value), max: Number(max.value) });
    if (m === "majority_judgment") params.grades = scales.find((s) => String(s.n) === grades.value)?.grades;
    sending = true;
    const created = await create({
      title: title.value.trim(),
      method: m,
      options: all,
      params,
      voter_roles: everyone.checked ? ["habitant", "elu", "agent"] : ["habitant"],
      secret: secret.checked,
      hide_results: hidden.checked,
      quorum: quorum.value ? Number(quorum.value) : null,
    });
    sending = false;
    if (created) {
      form.reset();
      secret.checked = true;
      sync();
    }
  });
  return {
    el: form,
    add,
    offer,
    focus: () => {
      title.scrollIntoView({ block: "center" });
      title.focus();
    },
  };
}

// Majority judgment's grade scales, worst to best, in the catalogs (French first): 6 is the
// server's default; 5 for a quick vote, 7 (with « Excellent ») as Mieux Voter proposes.
const GRADE_SCALES = [5, 6, 7] as const;
const DEFAULT_SCALE = 6;
