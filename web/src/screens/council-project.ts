// The project card on an adopted proposal, at the council staff's desk (issue 22, #3): its
// state (changed with a note), the service in charge and the budget line, the atelier de projet
// the city opened for it, and its milestones — added with a planned date, edited, marked done.
// Every change goes to /api/projects/{id} (the server records it in the project's history and
// tells the back office); the card draws what the server answers, and says what was done in a
// status line that takes focus (the button pressed may be gone).
import { api, errorText } from "../api";
import { clear, h, newId } from "../dom";
import { formatDate, t } from "../i18n";
import { errorRegion } from "../ui";
import type { CouncilSession } from "./council";

interface ProjectMilestone {
  id: string;
  label: string;
  planned_on: string | null;
  done_on: string | null;
  note: string | null;
}

interface Project {
  id: string;
  title: string;
  state: string;
  service: string | null;
  budget_line: string | null;
  ap: { id: string; title: string } | null;
  url: string;
  milestones: ProjectMilestone[];
}

// Where each state may lead (domain/projects.py MOVES): only those are offered; the server
// says the rest (« réalisée » with milestones not done).
const MOVES: Record<string, string[]> = {
  a_l_etude: ["adoptee", "en_cours", "abandonnee"],
  adoptee: ["a_l_etude", "en_cours", "abandonnee"],
  en_cours: ["adoptee", "realisee", "abandonnee"],
  realisee: [],
  abandonnee: ["a_l_etude"],
};

/** The card, drawn once the project is read; `projectId` from the decision (`project_id`). */
export function projectCard(projectId: string, session: CouncilSession): HTMLElement {
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  const card = h("section", { class: "project", "aria-labelledby": "project-title" });
  const problem = errorRegion();
  const failed = (e: unknown) => {
    if (!session.refused(e)) problem.show(errorText(e));
  };
  const call = async (method: "POST" | "PUT", path: string, body: unknown, done: (p: Project) => string) => {
    problem.show(null);
    try {
      const project = await api<Project>(method, base + path, body, session.token);
      draw(project, done(project));
    } catch (e) {
      failed(e);
    }
  };

  const draw = (p: Project, done: string | null) => {
    const doneLine = h("p", { class: "counted", tabindex: "-1", hidden: !done }, done ?? "");
    clear(
      card,
      h("h3", { id: "project-title" }, t("project.heading")),
      doneLine,
      h("p", { class: "status-line" }, t("project.state_line", { state: t(`project_state.${p.state}`) })),
      h("p", {}, h("a", { href: p.url }, t("project.public_page"))),
      problem.el,
      MOVES[p.state]?.length ? stateForm(p) : null,
      detailsForm(p),
      milestoneList(p),
      p.state === "realisee" || p.state === "abandonnee" ? null : addMilestone(),
      apForm(p),
    );
    if (done) doneLine.focus();
  };

  const stateForm = (p: Project) => {
    const ids = { state: newId("project-state"), note: newId("project-note") };
    const choices = MOVES[p.state] ?? [];
    const select = h("select", { id: ids.state }, choices.map((s) => h("option", { value: s }, t(`project_state.${s}`))));
    const note = h("textarea", { id: ids.note, rows: "2", maxlength: "2000" });
    const form = h(
      "form",
      { class: "stacked", novalidate: true, "aria-labelledby": "project-state-title" },
      h("h4", { id: "project-state-title" }, t("project.state_title")),
      h("div", { class: "field" }, h("label", { for: ids.state }, t("project.state_new")), select),
      h("div", { class: "field" }, h("label", { for: ids.note }, t("project.note")), note),
      h("button", { type: "submit" }, t("project.state_change")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const state = select.value;
      void call("POST", "/state", { state, note: note.value.trim() || null }, () =>
        t("project.state_changed", { state: t(`project_state.${state}`) }),
      );
    });
    return form;
  };

  const detailsForm = (p: Project) => {
    const ids = { service: newId("project-service"), budget: newId("project-budget") };
    const service = h("input", { id: ids.service, maxlength: "200", autocomplete: "off", value: p.service ?? "" });
    const budget = h("input", { id: ids.budget, maxlength: "200", autocomplete: "off", value: p.budget_line ?? "" });
    const form = h(
      "form",
      { class: "stacked", novalidate: true, "aria-labelledby": "project-details-title" },
      h("h4", { id: "project-details-title" }, t("project.details_title")),
      h(
        "div",
        { class: "field-row" },
        h("div", { class: "field" }, h("label", { for: ids.service }, t("project.service")), service),
        h("div", { class: "field" }, h("label", { for: ids.budget }, t("project.budget")), budget),
      ),
      h("button", { type: "submit" }, t("project.details_save")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void call("PUT", "/details", { service: service.value.trim() || null, budget_line: budget.value.trim() || null }, () => t("project.details_saved"));
    });
    return form;
  };

  const milestoneList = (p: Project) => {
    const closed = p.state === "realisee" || p.state === "abandonnee";
    return h(
      "div",
      {},
      h("h4", {}, t("project.milestones")),
      p.milestones.length
        ? h(
            "ol",
            { class: "milestones" },
            p.milestones.map((m) => milestoneItem(m, closed)),
          )
        : h("p", { class: "muted" }, t("project.milestones_none")),
    );
  };

  const milestoneItem = (m: ProjectMilestone, closed: boolean) => {
    const item = h("li", {});
    const show = () => {
      const planned = m.planned_on ? t("project.planned_on", { date: formatDate(m.planned_on) }) : null;
      const done = m.done_on ? t("project.done_on", { date: formatDate(m.done_on) }) : t("project.not_done");
      const complete = h("button", { type: "button" }, t("project.mark_done", { label: m.label }));
      complete.addEventListener("click", () => {
        complete.disabled = true;
        void call("POST", `/milestones/${encodeURIComponent(m.id)}/done`, {}, () => t("project.marked_done", { label: m.label }));
      });
      const edit = h("button", { type: "button", class: "link" }, t("project.edit", { label: m.label }));
      edit.addEventListener("click", () => editing());
      clear(
        item,
        h("strong", {}, m.label),
        " — ",
        [planned, done].filter(Boolean).join(" · "),
        m.note ? h("p", { class: "hint" }, m.note) : null,
        closed ? null : h("p", { class: "actions" }, m.done_on ? null : complete, edit),
      );
    };
    const editing = () => {
      const ids = { label: newId("m-label"), planned: newId("m-planned"), note: newId("m-note") };
      const label = h("input", { id: ids.label, maxlength: "200", required: true, value: m.label, autocomplete: "off" });
      const planned = h("input", { id: ids.planned, type: "date", value: m.planned_on ?? "" });
      const note = h("textarea", { id: ids.note, rows: "2", maxlength: "2000" }, m.note ?? "");
      const cancel = h("button", { type: "button" }, t("project.cancel"));
      cancel.addEventListener("click", () => show());
      const form = h(
        "form",
        { class: "stacked", novalidate: true, "aria-label": t("project.edit", { label: m.label }) },
        h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.label }, t("project.m_label")), label), h("div", { class: "field" }, h("label", { for: ids.planned }, t("project.m_planned")), planned)),
        h("div", { class: "field" }, h("label", { for: ids.note }, t("project.note")), note),
        h("p", { class: "actions" }, h("button", { type: "submit" }, t("project.m_save")), cancel),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!label.value.trim()) return void (problem.show(t("project.m_label_missing")), label.focus());
        void call(
          "PUT",
          `/milestones/${encodeURIComponent(m.id)}`,
          { label: label.value.trim(), planned_on: planned.value || null, done_on: m.done_on, note: note.value.trim() || null },
          () => t("project.m_saved", { label: label.value.trim() }),
        );
      });
      clear(item, form);
      label.focus();
    };
    show();
    return item;
  };

  const addMilestone = () => {
    const ids = { label: newId("m-label"), planned: newId("m-planned"), note: newId("m-note") };
    const label = h("input", { id: ids.label, maxlength: "200", required: true, autocomplete: "off" });
    const planned = h("input", { id: ids.planned, type: "date", required: true });
    const note = h("textarea", { id: ids.note, rows: "2", maxlength: "2000" });
    const form = h(
      "form",
      { class: "stacked", novalidate: true, "aria-labelledby": "project-add-title" },
      h("h4", { id: "project-add-title" }, t("project.add_title")),
      h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.label }, t("project.m_label")), label), h("div", { class: "field" }, h("label", { for: ids.planned }, t("project.m_planned")), planned)),
      h("div", { class: "field" }, h("label", { for: ids.note }, t("project.note")), note),
      h("button", { type: "submit" }, t("project.add")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      problem.show(null);
      if (!label.value.trim()) return void (problem.show(t("project.m_label_missing")), label.focus());
      if (!planned.value) return void (problem.show(t("project.m_planned_missing")), planned.focus());
      const text = label.value.trim();
      void call("POST", "/milestones", { label: text, planned_on: planned.value, note: note.value.trim() || null }, () => t("project.added", { label: text }));
    });
    return form;
  };

  const apForm = (p: Project) => {
    const id = newId("project-ap");
    const hint = newId("project-ap-hint");
    const input = h("input", { id, maxlength: "64", autocomplete: "off", value: p.ap?.id ?? "", "aria-describedby": hint });
    const form = h(
      "form",
      { class: "stacked", novalidate: true, "aria-labelledby": "project-ap-title" },
      h("h4", { id: "project-ap-title" }, t("project.ap_title")),
      p.ap ? h("p", {}, t("project.ap_linked"), " ", h("a", { href: `/decouvrir/ateliers/${encodeURIComponent(p.ap.id)}` }, p.ap.title)) : null,
      h("div", { class: "field" }, h("label", { for: id }, t("project.ap_id")), h("p", { id: hint, class: "hint" }, t("project.ap_hint")), input),
      h("button", { type: "submit" }, t("project.ap_save")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void call("PUT", "/ap", { atelier_id: input.value.trim() || null }, (fresh) => (fresh.ap ? t("project.ap_done", { title: fresh.ap.title }) : t("project.ap_removed")));
    });
    return form;
  };

  card.append(h("p", { class: "loading", role: "status" }, t("common.loading")));
  api<Project>("GET", base, undefined, session.token)
    .then((p) => draw(p, null))
    .catch((e) => {
      clear(card, h("h3", { id: "project-title" }, t("project.heading")), problem.el);
      failed(e);
    });
  return card;
}
