// One handed-over proposal, at the council staff's desk (/conseil/proposition/{id}): what to do
// next by status (« Prendre en instruction », the decision, the follow-up of an adopted one), its
// frozen versions (read, download as Markdown, HTML or PDF), what changed between two of them,
// the check of the fingerprint chain, and its way so far (parcours). The server decides what
// is allowed; the screen offers only what the status allows, and shows the server's word when
// it refuses.
import { api, download, errorText } from "../api";
import { clear, h, newId } from "../dom";
import { formatDate, formatDateTime, t, tn } from "../i18n";
import { roleLabel } from "../roles";
import { errorRegion, loading, pageTitle } from "../ui";
import { councilScreen, type CouncilSession } from "./council";
import { projectCard } from "./council-project";
import { diffView, frozenArticle, shortHash, type Decision, type Version, type VersionDiff, type VersionList } from "./versions";

interface HistoryEvent {
  step: string;
  status: string;
  by: string;
  role: string;
  at: string;
  version?: number;
  outcome?: string;
  title?: string;
  on?: string;
  from_version?: number;
}

interface Verification {
  valid: boolean;
  versions: number;
  first_broken: number | null;
  head: string | null;
}

const OUTCOMES = (): [string, string][] => [
  ["adoptee", t("decision.adoptee")],
  ["ajournee", t("decision.ajournee")],
  ["rejetee", t("decision.rejetee")],
];
const outcomeName = (outcome: string) => OUTCOMES().find(([value]) => value === outcome)?.[1] ?? outcome;

export const councilProposal = councilScreen((main, { proposalId }, session) => {
  const base = `/api/proposals/${encodeURIComponent(proposalId)}`;
  const get = <T>(path: string) => api<T>("GET", base + path, undefined, session.token);
  const status = loading();
  main.append(h("p", {}, h("a", { href: "/conseil" }, t("council.back"))), status);
  let alive = true;
  Promise.all([get<VersionList>("/versions"), get<HistoryEvent[]>("/history")])
    .then(async ([list, events]) => {
      const last = list.versions[list.versions.length - 1];
      const latest = last ? await get<Version>(`/versions/${last.number}`) : null;
      if (!alive) return;
      status.remove();
      draw(main, session, base, list, events, latest);
    })
    .catch((e) => {
      if (!alive || session.refused(e)) return;
      status.remove();
      const problem = errorRegion();
      main.append(pageTitle(t("council.proposal")), session.bar(), problem.el);
      problem.show(errorText(e));
    });
  return () => {
    alive = false;
  };
});

function draw(main: HTMLElement, session: CouncilSession, base: string, first: VersionList, firstEvents: HistoryEvent[], latest: Version | null): void {
  const get = <T>(path: string) => api<T>("GET", base + path, undefined, session.token);
  const post = <T>(path: string, body?: unknown) => api<T>("POST", base + path, body, session.token);
  const failed = (region: { show: (text: string | null) => void }) => (e: unknown) => {
    if (!session.refused(e)) region.show(errorText(e));
  };

  // --- what to do next, by status ------------------------------------------------------------
  const next = h("section", { class: "card next", "aria-labelledby": "next-title" });
  const history = h("section", { class: "card", "aria-labelledby": "history-title" });
  let list = first;
  const refresh = async (done: string) => {
    const [fresh, events] = await Promise.all([get<VersionList>("/versions"), get<HistoryEvent[]>("/history")]);
    list = fresh;
    drawNext(done);
    drawHistory(events);
  };
  const drawNext = (done: string | null) => {
    const problem = errorRegion();
    // Where focus goes after an action: the button pressed is gone, this says what happened.
    const doneLine = h("p", { class: "counted", tabindex: "-1", hidden: !done }, done ?? "");
    const s = list.status;
    clear(
      next,
      h("h2", { id: "next-title" }, t("council.next")),
      doneLine,
      h("p", { class: "status-line" }, t("versions.status", { status: t(`proposal_status.${s}`) })),
      list.decision?.outcome ? decisionView(list.decision) : null,
      s === "transmise" ? instructAction(problem) : null,
      s === "transmise" || s === "en_instruction" ? decisionForm(problem) : null,
      // An adoption is a project (issue 22, #3): its card moves it; the older follow-up steps
      // stay for a decision recorded without one.
      s === "adoptee" ? (list.decision?.project_id ? projectCard(list.decision.project_id, session) : milestones(list.decision, problem)) : null,
      problem.el,
    );
    if (done) doneLine.focus();
  };

  const instructAction = (problem: ReturnType<typeof errorRegion>) => {
    const button = h("button", { type: "button", class: "primary" }, t("council.instruct"));
    button.addEventListener("click", async () => {
      problem.show(null);
      button.disabled = true;
      try {
        await post("/instruct");
        await refresh(t("council.instructed"));
      } catch (e) {
        button.disabled = false;
        failed(problem)(e);
      }
    });
    return h("div", {}, h("p", {}, t("council.instruct_hint")), h("p", { class: "actions" }, button));
  };

  const decisionForm = (problem: ReturnType<typeof errorRegion>) => {
    const ids = { ref: newId("decision-ref"), refHint: newId("decision-ref-hint"), date: newId("decision-date"), answer: newId("decision-answer"), answerHint: newId("decision-answer-hint"), budget: newId("decision-budget"), budgetHint: newId("decision-budget-hint") };
    const radios = OUTCOMES().map(([value, label]) => {
      const id = newId(`decision-${value}`);
      const input = h("input", { type: "radio", name: "outcome", value, id });
      return { input, el: h("div", { class: "choice" }, input, h("label", { for: id }, label)) };
    });
    const ref = h("input", { id: ids.ref, maxlength: "200", autocomplete: "off", "aria-describedby": ids.refHint });
    const date = h("input", { id: ids.date, type: "date" });
    const answer = h("textarea", { id: ids.answer, rows: "6", maxlength: "20000", required: true, "aria-describedby": ids.answerHint });
    const budget = h("input", { id: ids.budget, maxlength: "200", autocomplete: "off", "aria-describedby": ids.budgetHint });
    const outcomes = h("fieldset", {}, h("legend", {}, t("decision.outcome")), radios.map((r) => r.el));
    const ask = h("p", { class: "notice", hidden: true });
    const submit = h("button", { type: "submit", class: "primary" }, t("decision.record"));
    const confirm = h("button", { type: "button", class: "primary", hidden: true }, t("decision.confirm"));
    const cancel = h("button", { type: "button", hidden: true }, t("decision.cancel"));
    const chosen = () => radios.find((r) => r.input.checked)?.input.value ?? "";
    const asking = (on: boolean) => {
      submit.hidden = on;
      confirm.hidden = !on;
      cancel.hidden = !on;
      ask.hidden = !on;
      ask.textContent = on ? t("decision.ask", { outcome: t(`proposal_status.${chosen()}`) }) : "";
      (on ? confirm : submit).focus();
    };
    const invalid = (field: HTMLElement, text: string) => {
      problem.show(text);
      field.setAttribute("aria-invalid", "true");
      field.focus();
    };
    const form = h(
      "form",
      { class: "decision stacked", novalidate: true, "aria-labelledby": "decision-title" },
      h("h3", { id: "decision-title" }, t("decision.title")),
      outcomes,
      h("div", { class: "field" }, h("label", { for: ids.ref }, t("decision.reference")), h("p", { id: ids.refHint, class: "hint" }, t("decision.reference_hint")), ref),
      h("div", { class: "field" }, h("label", { for: ids.date }, t("decision.date")), date),
      h("div", { class: "field" }, h("label", { for: ids.answer }, t("decision.answer")), h("p", { id: ids.answerHint, class: "hint" }, t("decision.answer_hint")), answer),
      h("div", { class: "field" }, h("label", { for: ids.budget }, t("decision.budget")), h("p", { id: ids.budgetHint, class: "hint" }, t("decision.budget_hint")), budget),
      ask,
      h("p", { class: "actions" }, submit, confirm, cancel),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      problem.show(null);
      for (const field of [ref, answer, ...radios.map((r) => r.input)]) field.removeAttribute("aria-invalid");
      // The server's rules (domain.proposals.check_decision), said before a round trip.
      if (!chosen()) return invalid(radios[0].input, t("decision.outcome_missing"));
      if (chosen() === "adoptee" && !ref.value.trim()) return invalid(ref, t("decision.reference_missing"));
      if (!answer.value.trim()) return invalid(answer, t("decision.answer_missing"));
      asking(true);
    });
    cancel.addEventListener("click", () => asking(false));
    // A change after the question voids it (the question named what was chosen then); focus
    // stays in the field being changed.
    form.addEventListener("input", () => {
      if (confirm.hidden) return;
      submit.hidden = false;
      confirm.hidden = cancel.hidden = ask.hidden = true;
    });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      const outcome = chosen();
      try {
        await post("/decision", {
          outcome,
          answer: answer.value.trim(),
          deliberation_ref: ref.value.trim() || null,
          decided_on: date.value || null,
          budget_line: budget.value.trim() || null,
        });
        await refresh(t("decision.recorded", { outcome: t(`proposal_status.${outcome}`) }));
      } catch (e) {
        confirm.disabled = false;
        asking(false);
        failed(problem)(e);
      }
    });
    return form;
  };

  const milestones = (decision: Decision | null, problem: ReturnType<typeof errorRegion>) => {
    const done = decision?.milestones ?? [];
    const ids = { title: newId("milestone-title"), on: newId("milestone-on"), note: newId("milestone-note") };
    const title = h("input", { id: ids.title, maxlength: "200", required: true, autocomplete: "off" });
    const on = h("input", { id: ids.on, type: "date", required: true });
    const note = h("textarea", { id: ids.note, rows: "3", maxlength: "2000" });
    const form = h(
      "form",
      { class: "stacked", novalidate: true, "aria-labelledby": "milestone-add" },
      h("h4", { id: "milestone-add" }, t("milestone.add_title")),
      h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.title }, t("milestone.title")), title), h("div", { class: "field" }, h("label", { for: ids.on }, t("milestone.on")), on)),
      h("div", { class: "field" }, h("label", { for: ids.note }, t("milestone.note")), note),
      h("button", { type: "submit" }, t("milestone.add")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.show(null);
      if (!title.value.trim()) return void (problem.show(t("milestone.title_missing")), title.focus());
      if (!on.value) return void (problem.show(t("milestone.on_missing")), on.focus());
      try {
        await post("/milestones", { title: title.value.trim(), on: on.value, note: note.value.trim() || null });
        await refresh(t("milestone.added", { title: title.value.trim() }));
      } catch (e) {
        failed(problem)(e);
      }
    });
    return h(
      "div",
      {},
      h("h3", {}, t("milestone.heading")),
      done.length
        ? h("ol", { class: "milestones" }, done.map((m) => h("li", {}, h("strong", {}, formatDate(m.on)), ` — ${m.title}`, m.note ? h("p", { class: "hint" }, m.note) : null)))
        : h("p", { class: "muted" }, t("milestone.none")),
      form,
    );
  };

  const drawHistory = (events: HistoryEvent[]) => {
    history.replaceChildren(
      h("h2", { id: "history-title" }, t("council.history")),
      events.length
        ? h(
            "ol",
            { class: "history" },
            events.map((e) => h("li", {}, h("time", { datetime: e.at }, formatDateTime(e.at)), " — ", historyLine(e), " ", h("span", { class: "muted" }, t("council.by", { name: e.by, role: roleLabel(e.role) })))),
          )
        : h("p", { class: "muted" }, t("council.history_none")),
    );
  };

  // --- the versions: read, download ---------------------------------------------------------
  const reader = h("div", {});
  const readProblem = errorRegion();
  const read = async (n: number, focus: boolean) => {
    readProblem.show(null);
    try {
      const v = latest?.number === n ? latest : await get<Version>(`/versions/${n}`);
      const article = frozenArticle(v);
      reader.replaceChildren(article);
      if (focus) article.querySelector<HTMLElement>("h3")?.focus();
    } catch (e) {
      failed(readProblem)(e);
    }
  };
  const save = (n: number, path: string, extension: string) => () =>
    void download(`${base}/versions/${n}/${path}`, `proposition-${first.id}-v${n}.${extension}`, session.token).catch(failed(readProblem));
  const versions = h(
    "section",
    { class: "card", "aria-labelledby": "versions-title" },
    h("h2", { id: "versions-title" }, t("versions.title")),
    h(
      "ul",
      { class: "version-list" },
      first.versions.map((v) =>
        h(
          "li",
          {},
          h("p", {}, t("versions.line", { n: v.number, date: formatDateTime(v.created_at) }), " ", shortHash(v.hash)),
          h(
            "div",
            { class: "actions" },
            h("button", { type: "button", class: "small", onclick: () => void read(v.number, true) }, t("versions.read", { n: v.number })),
            h(
              "span",
              { role: "group", "aria-label": t("council.download", { n: v.number }), class: "downloads" },
              h("span", { "aria-hidden": "true" }, t("council.download_short")),
              h("button", { type: "button", class: "small", onclick: save(v.number, "markdown", "md") }, "Markdown"),
              h("button", { type: "button", class: "small", onclick: save(v.number, "html", "html") }, "HTML"),
              h("button", { type: "button", class: "small", onclick: save(v.number, "pdf", "pdf") }, "PDF"),
              h("button", { type: "button", class: "small", onclick: save(v.number, "odt", "odt"), title: t("council.odt_hint") }, "ODT"),
            ),
          ),
        ),
      ),
    ),
    readProblem.el,
    reader,
  );

  // --- what changed between two versions ------------------------------------------------------
  const compare = h("section", { class: "card", "aria-labelledby": "compare-title" }, h("h2", { id: "compare-title" }, t("council.compare")));
  if (first.versions.length < 2) {
    compare.append(h("p", { class: "muted" }, t("council.compare_one")));
  } else {
    const numbers = first.versions.map((v) => v.number);
    const pick = (id: string, label: string, chosen: number) => {
      const el = h("select", { id }, numbers.map((n) => h("option", { value: String(n), selected: n === chosen }, t("versions.heading", { n }))));
      return { el, field: h("div", { class: "field" }, h("label", { for: id }, label), el) };
    };
    const from = pick(newId("diff-from"), t("council.compare_from"), numbers[numbers.length - 2]);
    const to = pick(newId("diff-to"), t("council.compare_to"), numbers[numbers.length - 1]);
    const problem = errorRegion();
    const result = h("div", {});
    const form = h("form", { class: "stacked", novalidate: true }, h("div", { class: "field-row" }, from.field, to.field), h("button", { type: "submit" }, t("council.compare_go")), problem.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.show(null);
      if (from.el.value === to.el.value) return problem.show(t("council.compare_same"));
      try {
        const diff = await get<VersionDiff>(`/diff?from=${from.el.value}&to=${to.el.value}`);
        const view = diffView(diff);
        result.replaceChildren(view);
        view.querySelector<HTMLElement>("h3")?.focus();
      } catch (e) {
        failed(problem)(e);
      }
    });
    compare.append(form, result);
  }

  // --- the fingerprint chain ----------------------------------------------------------------
  const verifyProblem = errorRegion();
  const verdict = h("div", { role: "status" });
  const verify = h("button", { type: "button" }, t("council.verify"));
  verify.addEventListener("click", async () => {
    verifyProblem.show(null);
    verdict.replaceChildren();
    try {
      const check = await get<Verification>("/verify");
      verdict.replaceChildren(
        check.valid
          ? h(
              "p",
              { class: "verdict ok" },
              h("span", { "aria-hidden": "true" }, "✓ "),
              h("strong", {}, t("council.chain_ok")),
              " ",
              tn("council.chain_ok_detail", check.versions),
              check.head ? h("span", { class: "head" }, " ", t("council.chain_head"), " ", h("code", {}, check.head)) : null,
            )
          : h("p", { class: "verdict broken" }, h("span", { "aria-hidden": "true" }, "✗ "), h("strong", {}, t("council.chain_broken")), " ", t("council.chain_broken_detail", { n: check.first_broken ?? "?" })),
      );
    } catch (e) {
      failed(verifyProblem)(e);
    }
  });

  main.append(
    pageTitle(first.title, latest?.content.atelier?.title ? t("council.from_atelier", { atelier: latest.content.atelier.title }) : undefined),
    session.bar(),
    next,
    versions,
    compare,
    h("section", { class: "card", "aria-labelledby": "verify-title" }, h("h2", { id: "verify-title" }, t("council.integrity")), h("p", { class: "hint" }, t("council.integrity_hint")), h("p", { class: "actions" }, verify), verifyProblem.el, verdict),
    history,
  );
  drawNext(null);
  drawHistory(firstEvents);
}

function decisionView(decision: Decision): HTMLElement {
  const row = (label: string, value: Node | string | null | undefined) => (value ? [h("dt", {}, label), h("dd", {}, value)] : []);
  return h(
    "dl",
    { class: "decision-record" },
    row(t("decision.outcome"), decision.outcome ? outcomeName(decision.outcome) : null),
    row(t("decision.reference"), decision.deliberation_ref),
    row(t("decision.date"), decision.decided_on ? formatDate(decision.decided_on) : null),
    row(t("decision.budget"), decision.budget_line),
    row(t("decision.answer"), decision.answer ? h("span", { class: "answer" }, decision.answer) : null),
    row(t("decision.recorded_label"), decision.recorded_at ? t("decision.recorded_when", { date: formatDateTime(decision.recorded_at), name: decision.recorded_by ?? "" }) : null),
  );
}

function historyLine(e: HistoryEvent): string {
  switch (e.step) {
    case "freeze":
      return t("history.freeze", { n: e.version ?? "?" });
    case "transmit":
      return t("history.transmit");
    case "instruct":
      return t("history.instruct");
    case "decide":
      return t("history.decide", { outcome: e.outcome ? t(`proposal_status.${e.outcome}`) : "" });
    case "milestone":
      return t("history.milestone", { title: e.title ?? "", date: e.on ? formatDate(e.on) : "" });
    case "draft":
      return t("history.draft", { n: e.from_version ?? "?" });
    default:
      return e.step;
  }
}
