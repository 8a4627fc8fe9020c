// The facilitator's polls: prepare one (title, method, options, its parameters, who votes,
// secret or public, results hidden until the close), open it, close it, publish hidden
// results, start a run-off on a tie for first. Results follow live (`tally` events).
import { api, errorText } from "../api";
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
import { errorRegion } from "../ui";

export function pollConsole(
  box: HTMLElement,
  identity: Identity,
  sessionId: string,
  state: SeanceState,
): { onEvent: (what: string, event: LiveEvent) => void; stop: () => void } {
  const error = errorRegion();
  const list = h("div", { class: "poll-list" });
  const announcer = pollAnnouncer(() => state.polls.values());
  const call = async (method: "POST", path: string, body?: unknown): Promise<Poll | null> => {
    error.show(null);
    try {
      const poll = await api<Poll>(method, path, body ?? {}, identity.token);
      state.polls.set(poll.id, mergePoll(state.polls.get(poll.id), poll));
      remember(poll.id, identity.atelierId);
      draw();
      return poll;
    } catch (e) {
      error.show(errorText(e));
      return null;
    }
  };
  // The paper-ballot form stays open across redraws (tallies arrive while it is being filled).
  const paperForms = new Map<string, HTMLElement>();
  const openPaper = (poll: Poll): HTMLElement => {
    let box = paperForms.get(poll.id);
    if (!box) {
      box = h(
        "details",
        { class: "paper" },
        h("summary", {}, t("polls.paper_title")),
        paperBallotForm(poll, identity, () => {
          paperForms.delete(poll.id);
          draw();
        }),
      );
      paperForms.set(poll.id, box);
    }
    return box;
  };
  const draw = () => {
    for (const [id] of paperForms) if (state.polls.get(id)?.status !== "open") paperForms.delete(id);
    const polls = ordered(state.polls.values());
    list.replaceChildren(
      ...(polls.length
        ? polls.map((poll) => pollCard(poll, call, openPaper))
        : [h("p", { class: "muted" }, t("polls.none"))]),
    );
  };
  box.append(
    h(
      "section",
      { class: "card", "aria-labelledby": "polls-title" },
      h("h2", { id: "polls-title" }, t("polls.title")),
      error.el,
      announcer.el,
      list,
      newPollForm(sessionId, call),
    ),
  );
  draw();
  return {
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

type Call = (method: "POST", path: string, body?: unknown) => Promise<Poll | null>;

function pollCard(poll: Poll, call: Call, openPaper: (poll: Poll) => HTMLElement): HTMLElement {
  const path = `/api/polls/${encodeURIComponent(poll.id)}`;
  const tie = (poll.results?.total.ranking[0]?.length ?? 0) >= 2;
  const actions = h("p", { class: "actions" });
  if (poll.status === "draft") actions.append(h("button", { type: "button", class: "primary", onclick: () => void call("POST", `${path}/open`) }, t("polls.open")));
  if (poll.status === "open") actions.append(h("button", { type: "button", class: "primary", onclick: () => void call("POST", `${path}/close`) }, t("polls.close")));
  if (poll.status === "closed" && poll.hide_results) actions.append(h("button", { type: "button", class: "primary", onclick: () => void call("POST", `${path}/publish`) }, t("polls.publish")));
  if ((poll.status === "closed" || poll.status === "published") && tie && poll.results?.final) actions.append(h("button", { type: "button", onclick: () => void call("POST", `${path}/runoff`) }, t("polls.runoff")));
  if (poll.status === "open") actions.append(h("a", { href: `/vote/${encodeURIComponent(poll.id)}`, class: "button" }, t("polls.ballot_link")));
  const paper = poll.status === "open" ? openPaper(poll) : null;
  return h(
    "article",
    { class: "poll", "data-poll-id": poll.id, "aria-labelledby": `poll-${poll.id}` },
    h("h3", { id: `poll-${poll.id}` }, poll.title),
    h(
      "p",
      { class: "muted" },
      [t(`method.${poll.method}`), t(`poll_status.${poll.status}`), t(poll.secret ? "polls.secret" : "polls.public"), poll.hide_results ? t("polls.hidden_results") : null, poll.runoff_of ? t("polls.is_runoff") : null]
        .filter(Boolean)
        .join(" · "),
    ),
    poll.status === "draft" ? h("ul", {}, poll.options.map((o) => h("li", {}, o.label))) : [resultsView(poll), byRoleView(poll)],
    actions,
    paper,
  );
}

/** A ballot entered by the facilitator for someone without a device (paper, or a proxy):
 * the same form as on the phones, plus the voter's role and where the ballot comes from. */
function paperBallotForm(poll: Poll, identity: Identity, done: () => void): HTMLElement {
  const inputs = inputsFor(poll);
  const roleId = newId("paper-role");
  const originId = newId("paper-origin");
  const role = h("select", { id: roleId }, poll.voter_roles.map((r) => h("option", { value: r }, roleLabel(r))));
  const origin = h("select", { id: originId }, h("option", { value: "papier" }, t("polls.origin_papier")), h("option", { value: "procuration" }, t("polls.origin_procuration")));
  const error = errorRegion();
  const form = h(
    "form",
    { class: "paper-ballot", novalidate: true },
    h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: roleId }, t("polls.paper_role")), role), h("div", { class: "field" }, h("label", { for: originId }, t("polls.paper_origin")), origin)),
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
      await api("POST", `/api/polls/${encodeURIComponent(poll.id)}/proxy-ballots`, { ballot, role: role.value, origin: origin.value }, identity.token);
      done();
    } catch (e) {
      error.show(errorText(e));
    }
  });
  return form;
}

function newPollForm(sessionId: string, call: Call): HTMLElement {
  const ids = { title: newId("poll-title"), method: newId("poll-method"), options: newId("poll-options"), dots: newId("poll-dots"), cap: newId("poll-cap"), min: newId("poll-min"), max: newId("poll-max"), secret: newId("poll-secret"), hidden: newId("poll-hidden"), quorum: newId("poll-quorum") };
  const title = h("input", { id: ids.title, required: true, maxlength: "200" });
  const method = h("select", { id: ids.method }, METHODS.map((m) => h("option", { value: m }, t(`method.${m}`))));
  const options = h("textarea", { id: ids.options, rows: "4", required: true, "aria-describedby": `${ids.options}-hint` });
  const dots = h("input", { id: ids.dots, type: "number", min: "1", max: "100", value: "5", inputmode: "numeric" });
  const cap = h("input", { id: ids.cap, type: "number", min: "1", max: "100", value: "3", inputmode: "numeric" });
  const min = h("input", { id: ids.min, type: "number", value: "0", inputmode: "numeric" });
  const max = h("input", { id: ids.max, type: "number", value: "5", inputmode: "numeric" });
  const secret = h("input", { id: ids.secret, type: "checkbox", checked: true });
  const hidden = h("input", { id: ids.hidden, type: "checkbox" });
  const quorum = h("input", { id: ids.quorum, type: "number", min: "1", inputmode: "numeric" });
  const dotsBox = h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.dots }, t("polls.dots_per_voter")), dots), h("div", { class: "field" }, h("label", { for: ids.cap }, t("polls.max_per_option")), cap));
  const scoreBox = h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.min }, t("polls.score_min")), min), h("div", { class: "field" }, h("label", { for: ids.max }, t("polls.score_max")), max));
  const sync = () => {
    dotsBox.hidden = method.value !== "dots";
    scoreBox.hidden = method.value !== "score";
  };
  method.addEventListener("change", sync);
  sync();
  const error = errorRegion();
  const form = h(
    "form",
    { class: "new-poll", novalidate: true },
    h("h3", {}, t("polls.new")),
    h("div", { class: "field" }, h("label", { for: ids.title }, t("polls.question")), title),
    h("div", { class: "field" }, h("label", { for: ids.method }, t("polls.method")), method),
    h("div", { class: "field" }, h("label", { for: ids.options }, t("polls.options")), h("p", { class: "hint", id: `${ids.options}-hint` }, t("polls.options_hint")), options),
    dotsBox,
    scoreBox,
    h("p", { class: "check" }, secret, h("label", { for: ids.secret }, t("polls.secret_label"))),
    h("p", { class: "check" }, hidden, h("label", { for: ids.hidden }, t("polls.hide_label"))),
    h("div", { class: "field" }, h("label", { for: ids.quorum }, t("polls.quorum")), quorum),
    error.el,
    h("button", { type: "submit", class: "primary" }, t("polls.create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    const labels = options.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!title.value.trim() || labels.length < 2) {
      error.show(t("polls.incomplete"));
      (title.value.trim() ? options : title).focus();
      return;
    }
    const m = method.value as Method;
    const params: Record<string, number> = {};
    if (m === "dots") {
      params.dots_per_voter = Number(dots.value);
      if (cap.value) params.max_per_option = Number(cap.value);
    }
    if (m === "score") Object.assign(params, { min: Number(min.value), max: Number(max.value) });
    const created = await call("POST", `/api/sessions/${encodeURIComponent(sessionId)}/polls`, {
      title: title.value.trim(),
      method: m,
      options: labels.map((label) => ({ label })),
      params,
      secret: secret.checked,
      hide_results: hidden.checked,
      quorum: quorum.value ? Number(quorum.value) : null,
    });
    if (created) {
      form.reset();
      secret.checked = true;
      sync();
    }
  });
  return form;
}
