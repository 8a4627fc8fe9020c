// Two small forms of the console (issue 19, #3 and #5), over routes that had no screen:
// « Nouvelle proposition » creates a proposal of this séance from a template (fiche-action or
// synthèse des échanges: POST /api/ateliers/{id}/proposals); « Programmer la séance suivante »
// schedules séance n+1 (POST /api/sessions/{id}/next): its objectives and agenda are this
// séance's « ordre du jour de la séance suivante », shown here, and its déroulé is this one's;
// the facilitator gives the date, the start time, the mode and the place or the video link.
// Their messages are the main catalog's (the console does not load the organise part); the
// server checks the rest (length, invisible characters) and its words are shown as they come.
import { api, errorText, type Proposal, type Seance } from "../api";
import { h, newId } from "../dom";
import { formatDate, t } from "../i18n";
import { remember, type Identity } from "../identity";
import { field, once, oneLine } from "../forms";
import { errorRegion, formatCode } from "../ui";

const TITLE_MAX = 200;
const PLACE_MAX = 200;
const LINK_MAX = 500;

/** « Nouvelle proposition »: a title and a template; then the way to the editor. `created`
 * tells the console (the poll form's options, the hand-over list). */
export function newProposalSection(identity: Identity, sessionId: string, created: (proposal: Proposal) => void): HTMLElement {
  const title = field(t("followup.proposal_title"), h("input", { name: "proposal_title", maxlength: String(TITLE_MAX), autocomplete: "off" }));
  const kind = field(
    t("followup.template"),
    h("select", { name: "kind" }, h("option", { value: "fiche_action" }, t("kind.fiche_action")), h("option", { value: "synthese" }, t("kind.synthese"))),
    t("followup.template_hint"),
  );
  const summary = errorRegion();
  const done = h("p", { class: "counted", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, t("followup.proposal_submit"));
  const form = h("form", { class: "new-proposal", novalidate: true }, title.el, kind.el, summary.el, submit);
  form.addEventListener("input", () => summary.show(null));
  const send = once(submit, t("followup.sending"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(async () => {
      summary.show(null);
      const text = oneLine(title.control.value);
      const problem = text ? null : t("followup.check_title");
      title.error(problem);
      if (problem) {
        summary.show(problem);
        title.control.focus();
        return false;
      }
      try {
        const row = await api<Proposal>("POST", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, { title: text, kind: kind.control.value, session_id: sessionId }, identity.token);
        remember(row.id, identity.atelierId);
        title.control.value = "";
        done.hidden = false;
        done.replaceChildren(t("followup.proposal_done", { title: row.title }), " ", h("a", { href: `/proposition/${encodeURIComponent(row.id)}` }, t("followup.open_editor", { title: row.title })));
        done.focus();
        created(row);
      } catch (e) {
        summary.show(errorText(e));
      }
      return false; // the form stays, for another proposal
    });
  });
  return h("section", { class: "card", "aria-labelledby": "new-proposal-title" }, h("h2", { id: "new-proposal-title" }, t("followup.proposal_heading")), form, done);
}

/** « Programmer la séance suivante », from this séance's next agenda. */
export function nextSeanceSection(identity: Identity, seance: Seance): HTMLElement {
  const carried = seance.details.next_agenda ?? [];
  const date = field(t("followup.date"), h("input", { type: "date", name: "date", class: "narrow-date" }));
  const start = field(t("followup.start"), h("input", { type: "time", name: "start_time", class: "narrow" }));
  const mode = field(
    t("followup.mode"),
    h("select", { name: "mode" }, h("option", { value: "presentiel" }, t("followup.presentiel")), h("option", { value: "hybride" }, t("followup.hybride")), h("option", { value: "distanciel" }, t("followup.distanciel"))),
  );
  const place = field(t("followup.place"), h("input", { name: "place", maxlength: String(PLACE_MAX), autocomplete: "off", value: seance.details.place ?? "" }));
  const link = field(t("followup.link"), h("input", { type: "url", name: "remote_link", maxlength: String(LINK_MAX), autocomplete: "off", spellcheck: "false", value: seance.details.remote_link ?? "" }), t("followup.link_hint"));
  const syncMode = () => {
    place.el.hidden = mode.control.value === "distanciel";
    link.el.hidden = mode.control.value === "presentiel";
  };
  mode.control.value = seance.details.mode ?? "presentiel";
  mode.control.addEventListener("change", syncMode);
  syncMode();
  const summary = errorRegion();
  const done = h("div", { class: "counted", tabindex: "-1", hidden: true, "data-testid": "next-seance" });
  const submit = h("button", { type: "submit", class: "primary" }, t("followup.next_submit"));
  const listId = newId("carried");
  const form = h(
    "form",
    { class: "next-seance", novalidate: true, "aria-describedby": listId },
    h("div", { class: "field-row" }, date.el, start.el, mode.el),
    place.el,
    link.el,
    summary.el,
    submit,
  );
  const check = (): HTMLElement | null => {
    const m = mode.control.value;
    const placeText = oneLine(place.control.value);
    const linkText = link.control.value.trim();
    const problems: [typeof date | typeof place, string | null][] = [
      [date, /^\d{4}-\d{2}-\d{2}$/.test(date.control.value) ? null : t("followup.check_date")],
      [start, /^\d{2}:\d{2}/.test(start.control.value) ? null : t("followup.check_start")],
      [place, m === "distanciel" || placeText ? null : t("followup.check_place")],
      [link, m === "presentiel" ? null : /^https?:\/\/\S+$/.test(linkText) && linkText.length <= LINK_MAX ? null : t("followup.check_link")],
    ];
    let first: HTMLElement | null = null;
    for (const [f, problem] of problems) {
      f.error(problem);
      if (problem && !first) {
        first = f.control;
        summary.show(problem);
      }
    }
    return first;
  };
  // The summary repeats the first problem; once the person types, the fields say what is left.
  form.addEventListener("input", () => summary.show(null));
  const send = once(submit, t("followup.sending"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(async () => {
      summary.show(null);
      const invalid = check();
      if (invalid) {
        invalid.focus();
        return false;
      }
      const m = mode.control.value;
      const body = {
        date: date.control.value,
        start_time: start.control.value.length === 5 ? `${start.control.value}:00` : start.control.value,
        mode: m,
        place: m === "distanciel" ? null : oneLine(place.control.value),
        remote_link: m === "presentiel" ? null : link.control.value.trim(),
      };
      try {
        const next = await api<Seance>("POST", `/api/sessions/${encodeURIComponent(seance.id)}/next`, body, identity.token);
        remember(next.id, identity.atelierId);
        form.hidden = true;
        done.hidden = false;
        done.replaceChildren(
          h("p", {}, t("followup.next_done", { n: next.number, date: next.details.date ? formatDate(next.details.date) : "" })),
          h("p", {}, t("followup.next_code"), " ", h("strong", { class: "code" }, formatCode(next.join_code))),
          h(
            "p",
            { class: "actions" },
            h("a", { href: `/atelier/${encodeURIComponent(identity.atelierId)}?seance=${encodeURIComponent(next.id)}`, class: "button" }, t("followup.open_next", { n: next.number })),
            h("a", { href: `/animation/${encodeURIComponent(next.id)}`, class: "button" }, t("followup.console_next", { n: next.number })),
          ),
        );
        done.focus();
        return true;
      } catch (e) {
        summary.show(errorText(e));
        return false;
      }
    });
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "next-seance-title" },
    h("h2", { id: "next-seance-title" }, t("followup.next_heading")),
    h("div", { id: listId }, h("p", {}, carried.length ? t("followup.carried") : t("followup.nothing_carried")), carried.length ? h("ul", { "data-testid": "carried" }, carried.map((item) => h("li", {}, item))) : null),
    form,
    done,
  );
}
