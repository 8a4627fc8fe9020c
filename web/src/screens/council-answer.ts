// The council's answer, where the participants are (issue 21, #3): on the proposal page, what
// the city council decided, its official answer, the deliberation, the budget line and the
// steps of its implementation; while it waits, where it stands. Drawn from the proposal as the
// atelier's list gives it (`decision`), again when the live channel says it changed. Text
// nodes only: the answer is the council's words, shown as written.
import type { Proposal } from "../api";
import { h } from "../dom";
import { formatDate, formatDateTime, t } from "../i18n";

const WAITING: Record<string, string> = {
  transmise: "answer.waiting_transmise",
  en_instruction: "answer.waiting_instruction",
};

function date(iso: string | undefined): string {
  return iso && /^\d{4}-\d{2}-\d{2}$/.test(iso) ? formatDate(iso) : (iso ?? "");
}

function body(p: Proposal): (HTMLElement | null)[] {
  const d = p.decision;
  if (!d || !d.outcome) return [h("p", {}, t(WAITING[p.status] ?? "answer.waiting_transmise"))];
  return [
    h("p", { class: "verdict" }, h("strong", {}, t("answer.outcome", { outcome: t(`proposal_status.${d.outcome}`) })), d.decided_on ? ` — ${t("answer.decided_on", { date: date(d.decided_on) })}` : ""),
    d.deliberation_ref ? h("p", {}, t("answer.deliberation", { ref: d.deliberation_ref })) : null,
    d.budget_line ? h("p", {}, t("answer.budget_line", { line: d.budget_line })) : null,
    d.answer ? h("h3", {}, t("answer.official")) : null,
    d.answer ? h("blockquote", { class: "official-answer" }, d.answer) : null,
    d.milestones?.length
      ? h(
          "div",
          {},
          h("h3", {}, t("answer.milestones")),
          h(
            "ol",
            { class: "milestones" },
            d.milestones.map((m) => h("li", {}, h("strong", {}, date(m.on)), m.done_on === null ? ` (${t("answer.planned")})` : "", ` — ${m.title}`, m.note ? h("span", { class: "muted" }, ` (${m.note})`) : null)),
          ),
        )
      : null,
    d.project_id ? h("p", {}, h("a", { href: `/decouvrir/projets/${encodeURIComponent(d.project_id)}` }, t("answer.project_link"))) : null,
    d.recorded_by ? h("p", { class: "muted" }, t("answer.recorded", { who: d.recorded_by, date: d.recorded_at ? formatDateTime(d.recorded_at) : "" })) : null,
  ];
}

/** The card, shown once the proposal is on its way to the council; `update` redraws it. */
export function answerCard(initial: Proposal): { el: HTMLElement; update: (p: Proposal) => void } {
  const content = h("div", { "aria-live": "polite" });
  const el = h("section", { class: "card answer", "aria-labelledby": "answer-title", "data-testid": "council-answer" }, h("h2", { id: "answer-title" }, t("answer.title")), content);
  const update = (p: Proposal) => {
    const shown = Boolean(p.decision?.outcome) || p.status in WAITING;
    el.hidden = !shown;
    content.replaceChildren(...(shown ? body(p).filter((n): n is HTMLElement => n !== null) : []));
  };
  update(initial);
  return { el, update };
}

/** One line for the atelier's list of proposals: where it stands with the council. */
export function answerLine(p: Proposal): HTMLElement | null {
  if (p.decision?.outcome) return h("span", { class: "answer-line" }, t("answer.list_decided", { outcome: t(`proposal_status.${p.decision.outcome}`) }));
  if (p.status in WAITING) return h("span", { class: "answer-line muted" }, t(`proposal_status.${p.status}`));
  return null;
}
