// /atelier/{id}/nouvelle-seance — the facilitator schedules a séance (issue 19, item 3): date
// and times (the city's time zone: what is typed is what the invitation prints), mode, place
// and/or video link as the mode needs (domain/sessions.py refuses the superfluous one too),
// objectives, agenda points with their durations, method steps, the next séance's agenda. A date
// in the past is warned about, not refused (a séance already held may be recorded). Once
// scheduled, its join code shows as it is read aloud: XXXX-XXXX.
//
// /seance/{id}/modifier — the same form, prefilled, for the atelier's facilitators. Until the
// séance starts every field changes; once started only the next séance's agenda does (the
// server answers 409 seance_started otherwise, server/services/ateliers.py edit_session): the
// other fields are disabled with the reason, and what is sent for them is what is stored.
// Below the form, « Annuler la séance » (seance-cancel.ts); a cancelled séance shows no form
// (the server refuses to move it: 409 session_cancelled) but why, and « Rétablir ».
import "../organise.css";
import { cityTimeZone, knownTimeZone, wallClockInstant } from "../city";
import { api, ApiError, errorText, type Seance } from "../api";
import { append, h, newId } from "../dom";
import { formatDate, t } from "../i18n";
import { identityFor, identityForPlace, remember, save, type Identity } from "../identity";
import { canRunSession } from "../roles";
import { navigate, type Screen } from "../router";
import { errorRegion, focusNextTitle, formatCode, loading, pageTitle } from "../ui";
import { checkText, field, lines, once, oneLine, type Field } from "../forms";
import { cancelSection } from "./seance-cancel";

type Mode = "presentiel" | "distanciel" | "hybride";
const MODES: Mode[] = ["presentiel", "hybride", "distanciel"];
const ITEM_MAX = 500;
const PLACE_MAX = 200;
const LINK_MAX = 500;
const MINUTES_MAX = 600;
const LIMITS = { objectives: 30, agenda: 50, method_steps: 50, next_agenda: 30 };

type Writing = "" | "libre" | "amendements";
const WRITINGS: Writing[] = ["", "libre", "amendements"];
const WRITING_LABEL = { "": "organise.seance.writing_same", libre: "organise.seance.writing_libre", amendements: "organise.seance.writing_amendements" } as const;

interface Row {
  title: string;
  minutes: string;
  /** The writing mode its step sets when it starts (issue 20, #4); "" leaves it unchanged. */
  writing: Writing;
}

interface Draft {
  atelierId: string;
  date: string;
  start: string;
  end: string;
  mode: Mode;
  place: string;
  link: string;
  objectives: string;
  agenda: Row[];
  steps: string;
  next: string;
}

function blankDraft(atelierId: string): Draft {
  return { atelierId, date: "", start: "", end: "", mode: "presentiel", place: "", link: "", objectives: "", agenda: [{ title: "", minutes: "", writing: "" }], steps: "", next: "" };
}

/** The form's fields from a séance as the server gives it. */
function draftOf(seance: Seance): Draft {
  const d = seance.details;
  const time = (value: string | null | undefined) => (value ? (value.endsWith(":00") && value.length === 8 ? value.slice(0, 5) : value) : "");
  const agenda = (d.agenda ?? []).map((item) => ({ title: item.title, minutes: item.minutes == null ? "" : String(item.minutes), writing: (item.writing ?? "") as Writing }));
  return {
    atelierId: seance.atelier_id,
    date: d.date ?? "",
    start: time(d.start_time),
    end: time(d.end_time),
    mode: MODES.includes(d.mode as Mode) ? (d.mode as Mode) : "presentiel",
    place: d.place ?? "",
    link: d.remote_link ?? "",
    objectives: (d.objectives ?? []).join("\n"),
    agenda: agenda.length ? agenda : [{ title: "", minutes: "", writing: "" as Writing }],
    steps: (d.method_steps ?? []).join("\n"),
    next: (d.next_agenda ?? []).join("\n"),
  };
}

// What was typed survives a language switch (which redraws the screen), not a reload.
const draft = blankDraft("");
// The same for the edit form, as long as the séance it started from has not changed since.
let editing: { sessionId: string; from: string; draft: Draft } | null = null;

function facilitatorOnly(main: HTMLElement, title: string, atelierId: string | null): void {
  append(main, [
    pageTitle(title),
    h("p", { class: "notice" }, t("organise.seance.facilitator_only")),
    atelierId ? h("p", {}, h("a", { href: `/atelier/${encodeURIComponent(atelierId)}` }, t("organise.seance.back"))) : null,
  ]);
}

export const newSeance: Screen = (main, { atelierId }) => {
  const identity = identityFor(atelierId);
  if (!identity || !canRunSession(identity.role)) {
    facilitatorOnly(main, t("organise.seance.page_title"), atelierId);
    return;
  }
  if (draft.atelierId !== atelierId) Object.assign(draft, blankDraft(atelierId));
  drawForm(main, identity, null, draft);
};

export const editSeance: Screen = (main, { sessionId }) => {
  const identity = identityForPlace(sessionId);
  if (!identity || !canRunSession(identity.role)) {
    facilitatorOnly(main, t("organise.edit_seance.title_plain"), identity?.atelierId ?? null);
    return;
  }
  let alive = true;
  const status = loading();
  main.append(status);
  api<Seance>("GET", `/api/sessions/${encodeURIComponent(sessionId)}`, undefined, identity.token)
    .then((seance) => {
      if (!alive) return;
      status.remove();
      drawEdit(main, identity, seance);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("organise.edit_seance.title_plain")), region.el);
      region.show(errorText(error));
    });
  return () => void (alive = false);
};

/** The edit screen: the form and « Annuler la séance » below it; a cancelled séance shows
 * why, and « Rétablir » while its date is ahead (seance-cancel.ts). `done` is said at once. */
function drawEdit(main: HTMLElement, identity: Identity, seance: Seance, done: string | null = null): void {
  const changed = (fresh: Seance) => {
    editing = null;
    main.replaceChildren();
    drawEdit(main, identity, fresh, t(fresh.details.cancelled_at ? "organise.cancel.done" : "organise.cancel.restored"));
  };
  const said = done ? h("p", { class: "notice", role: "status", tabindex: "-1" }, done) : null;
  const section = cancelSection(identity, seance, changed);
  if (seance.details.cancelled_at) {
    const back = `/atelier/${encodeURIComponent(seance.atelier_id)}?seance=${encodeURIComponent(seance.id)}`;
    append(main, [pageTitle(t("organise.edit_seance.page_title", { n: seance.number }), identity.atelierTitle), h("p", {}, h("a", { href: back }, t("organise.seance.back"))), said, section]);
  } else {
    const { attendance_by_role: _, ...kept } = seance;
    const from = JSON.stringify(kept);
    // A language switch keeps what was typed; a séance changed meanwhile starts afresh.
    if (!editing || editing.sessionId !== seance.id || editing.from !== from) editing = { sessionId: seance.id, from, draft: draftOf(seance) };
    drawForm(main, identity, seance, editing.draft);
    if (said) main.querySelector("form")?.before(said);
    if (section) main.append(section);
  }
  said?.focus();
}

/** The form: a new séance (`seance` null) or one to change; `problem` is said at once. */
function drawForm(main: HTMLElement, identity: Identity, seance: Seance | null, draft: Draft, problem: string | null = null): HTMLElement | null {
  const atelierId = draft.atelierId;
  // Once started, every field but the next agenda is as stored (the server compares them).
  let started = seance !== null && seance.details.current_step != null;
  const back = `/atelier/${encodeURIComponent(atelierId)}` + (seance ? `?seance=${encodeURIComponent(seance.id)}` : "");
  const summary = errorRegion();

  const bind = <C extends HTMLInputElement | HTMLTextAreaElement>(control: C, key: "date" | "start" | "end" | "place" | "link" | "objectives" | "steps" | "next") => {
    control.value = draft[key];
    control.addEventListener("input", () => (draft[key] = control.value));
    return control;
  };
  const date = field(t("organise.seance.date"), bind(h("input", { type: "date", name: "date", class: "narrow-date" }), "date"), t("organise.seance.date_hint", { zone: knownTimeZone() }));
  const start = field(t("organise.seance.start"), bind(h("input", { type: "time", name: "start_time", class: "narrow" }), "start"));
  const end = field(t("organise.seance.end"), bind(h("input", { type: "time", name: "end_time", class: "narrow" }), "end"), t("organise.seance.end_hint"));
  const past = h("p", { class: "notice", role: "status", hidden: true });
  const checkPast = () => {
    const day = date.control.value;
    if (started || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      past.hidden = true;
      return;
    }
    // The city's wall-clock, not the browser's: a laptop set to another zone warns alike.
    const when = wallClockInstant(day, start.control.value || "23:59", knownTimeZone());
    const inPast = when < Date.now();
    // Today, at an hour already gone: say the hour, not « the day is past ».
    const dayGone = wallClockInstant(day, "23:59", knownTimeZone()) < Date.now();
    past.hidden = !inPast;
    past.textContent = !inPast ? "" : dayGone ? t("organise.seance.past", { date: formatDate(day) }) : t("organise.seance.past_time", { time: start.control.value });
  };
  date.control.addEventListener("change", checkPast);
  start.control.addEventListener("change", checkPast);
  void cityTimeZone().then((zone) => {
    const hint = date.el.querySelector(".hint");
    if (hint) hint.textContent = t("organise.seance.date_hint", { zone });
    checkPast();
  });

  const modeRadio = (mode: Mode) => {
    const id = newId("mode");
    const radio = h("input", { type: "radio", name: "mode", id, value: mode, checked: draft.mode === mode });
    radio.addEventListener("change", () => {
      draft.mode = mode;
      syncMode();
    });
    return h("div", { class: "choice" }, radio, h("label", { for: id }, h("strong", {}, t(`organise.mode.${mode}`)), h("span", { class: "hint" }, t(`organise.mode.${mode}_hint`))));
  };
  const place = field(t("organise.seance.place"), bind(h("input", { name: "place", maxlength: String(PLACE_MAX), autocomplete: "off" }), "place"), t("organise.seance.place_hint"));
  const link = field(t("organise.seance.link"), bind(h("input", { type: "url", name: "remote_link", maxlength: String(LINK_MAX), autocomplete: "off", inputmode: "url", spellcheck: "false" }), "link"), t("organise.seance.link_hint"));
  const modeBox = h("fieldset", {}, h("legend", {}, t("organise.seance.mode")), MODES.map(modeRadio), place.el, link.el);
  const syncMode = () => {
    place.el.hidden = draft.mode === "distanciel";
    link.el.hidden = draft.mode === "presentiel";
  };
  syncMode();

  const objectives = field(t("organise.seance.objectives"), bind(h("textarea", { name: "objectives", rows: "3" }), "objectives"), t("organise.seance.one_per_line"));

  // --- agenda: points with their durations -------------------------------------------------
  const agendaList = h("ol", { class: "agenda-rows" });
  const total = h("p", { class: "agenda-total", "aria-live": "polite" });
  const rowFields: { title: Field<HTMLInputElement>; minutes: Field<HTMLInputElement> }[] = [];
  const drawTotal = () => {
    const minutes = draft.agenda.reduce((sum, row) => sum + (/^\d+$/.test(row.minutes.trim()) ? Number(row.minutes) : 0), 0);
    total.textContent = minutes ? t("organise.seance.total", { time: duration(minutes) }) : "";
  };
  const drawAgenda = (focusIndex: number | null = null) => {
    rowFields.length = 0;
    agendaList.replaceChildren(
      ...draft.agenda.map((row, i) => {
        const title = field(t("organise.seance.point", { n: i + 1 }), h("input", { name: "agenda_title", maxlength: String(ITEM_MAX), autocomplete: "off", value: row.title }));
        const minutes = field(t("organise.seance.minutes"), h("input", { type: "number", name: "agenda_minutes", inputmode: "numeric", min: "1", max: String(MINUTES_MAX), step: "1", value: row.minutes }));
        title.control.addEventListener("input", () => (row.title = title.control.value));
        minutes.control.addEventListener("input", () => {
          row.minutes = minutes.control.value;
          drawTotal();
        });
        const writing = field(
          t("organise.seance.writing"),
          h("select", { name: "agenda_writing" }, ...WRITINGS.map((mode) => h("option", { value: mode, selected: mode === row.writing }, t(WRITING_LABEL[mode])))),
        );
        writing.control.addEventListener("change", () => (row.writing = writing.control.value as Writing));
        title.el.classList.add("grow");
        minutes.el.classList.add("minutes");
        writing.el.classList.add("writing");
        rowFields.push({ title, minutes });
        const remove = h("button", { type: "button", class: "small", "aria-label": t("organise.seance.remove_point", { n: i + 1 }) }, t("organise.seance.remove"));
        remove.addEventListener("click", () => {
          draft.agenda.splice(i, 1);
          if (!draft.agenda.length) draft.agenda.push({ title: "", minutes: "", writing: "" });
          drawAgenda(Math.min(i, draft.agenda.length - 1));
          drawTotal();
        });
        return h("li", { class: "agenda-row" }, title.el, minutes.el, writing.el, remove);
      }),
    );
    if (focusIndex !== null) rowFields[focusIndex]?.title.control.focus();
  };
  const addPoint = h("button", { type: "button" }, t("organise.seance.add_point"));
  addPoint.addEventListener("click", () => {
    if (draft.agenda.length >= LIMITS.agenda) {
      summary.show(t("organise.check.too_many", { max: LIMITS.agenda }));
      return;
    }
    draft.agenda.push({ title: "", minutes: "", writing: "" });
    drawAgenda(draft.agenda.length - 1);
  });
  drawAgenda();
  drawTotal();
  const agendaError = h("p", { class: "field-error", hidden: true, id: newId("agenda-error") });
  const agendaBox = h("fieldset", {}, h("legend", {}, t("organise.seance.agenda")), h("p", { class: "hint" }, t("organise.seance.agenda_hint")), h("p", { class: "hint" }, t("organise.seance.writing_hint")), agendaError, agendaList, total, h("p", {}, addPoint));

  const steps = field(t("organise.seance.steps"), bind(h("textarea", { name: "method_steps", rows: "7" }), "steps"), t("organise.seance.steps_hint"));
  const next = field(t("organise.seance.next"), bind(h("textarea", { name: "next_agenda", rows: "3" }), "next"), t("organise.seance.next_hint"));

  // Edit, once started: the reason, and every field but the next agenda disabled together.
  const reasonId = newId("started");
  const reason = h("p", { class: "notice", id: reasonId, "data-testid": "seance-started" }, t("organise.edit_seance.started"));
  const locked = h("fieldset", { class: "bare" }, h("legend", { class: "sr-only" }, t("organise.edit_seance.details")), h("div", { class: "field-row" }, date.el, start.el, end.el), past, modeBox, objectives.el, agendaBox, steps.el);
  const syncStarted = () => {
    reason.hidden = !started;
    locked.disabled = started;
    if (started) locked.setAttribute("aria-describedby", reasonId);
    else locked.removeAttribute("aria-describedby");
  };
  syncStarted();

  const submit = h("button", { type: "submit", class: "primary" }, t(seance ? "organise.edit_seance.submit" : "organise.seance.submit"));
  const form = h("form", { class: "card new-seance", novalidate: true, "aria-labelledby": "page-title" }, seance ? reason : null, locked, next.el, summary.el, submit);

  const listProblem = (items: string[], max: number, label: string): string | null => {
    if (items.length > max) return t("organise.check.too_many", { max });
    for (const item of items) {
      const problem = checkText(item, label, ITEM_MAX, true);
      if (problem) return problem;
    }
    return null;
  };

  const check = (): HTMLElement | null => {
    if (started) {
      const problem = listProblem(lines(next.control.value), LIMITS.next_agenda, t("organise.label.next"));
      next.error(problem);
      summary.show(problem);
      return problem ? next.control : null;
    }
    const problems: [Field | null, HTMLElement | null, string | null][] = [];
    problems.push([date, null, /^\d{4}-\d{2}-\d{2}$/.test(date.control.value) ? null : t("organise.check.date")]);
    problems.push([start, null, /^\d{2}:\d{2}/.test(start.control.value) ? null : t("organise.check.start")]);
    problems.push([end, null, end.control.value && start.control.value && end.control.value <= start.control.value ? t("organise.check.end_before_start") : null]);
    const modeLabel = t(`organise.mode.${draft.mode}_label`);
    const placeText = oneLine(place.control.value);
    problems.push([place, null, draft.mode === "distanciel" ? null : placeText ? checkText(placeText, t("organise.label.place"), PLACE_MAX, true) : t("organise.check.place", { mode: modeLabel })]);
    const linkText = link.control.value.trim();
    problems.push([
      link,
      null,
      draft.mode === "presentiel" ? null : !linkText ? t("organise.check.link", { mode: modeLabel }) : linkText.length > LINK_MAX || !/^https?:\/\/\S+$/.test(linkText) ? t("organise.check.link_web") : null,
    ]);
    problems.push([objectives, null, listProblem(lines(objectives.control.value), LIMITS.objectives, t("organise.label.objective"))]);
    // Agenda: a row with neither title nor duration is dropped; otherwise both are needed.
    let agendaProblem: string | null = null;
    let agendaAt: HTMLElement | null = null;
    rowFields.forEach(({ title, minutes }) => {
      title.error(null);
      minutes.error(null);
    });
    draft.agenda.forEach((row, i) => {
      if (agendaProblem) return;
      const title = oneLine(row.title);
      const minutes = row.minutes.trim();
      if (!title && !minutes) return;
      const titleProblem = checkText(title, t("organise.label.point"), ITEM_MAX, true);
      // A point may have no planned duration (one carried from the previous séance has none).
      const minutesProblem = !minutes || (/^\d+$/.test(minutes) && +minutes >= 1 && +minutes <= MINUTES_MAX) ? null : t("organise.check.minutes", { max: MINUTES_MAX });
      if (titleProblem) {
        rowFields[i].title.error(titleProblem);
        agendaProblem = titleProblem;
        agendaAt = rowFields[i].title.control;
      } else if (minutesProblem) {
        rowFields[i].minutes.error(minutesProblem);
        agendaProblem = minutesProblem;
        agendaAt = rowFields[i].minutes.control;
      }
    });
    problems.push([null, agendaAt, agendaProblem]);
    problems.push([steps, null, listProblem(lines(steps.control.value), LIMITS.method_steps, t("organise.label.step"))]);
    problems.push([next, null, listProblem(lines(next.control.value), LIMITS.next_agenda, t("organise.label.next"))]);
    let first: HTMLElement | null = null;
    for (const [f, at, problem] of problems) {
      f?.error(problem);
      if (problem && !first) {
        first = f ? f.control : at;
        summary.show(problem);
      }
    }
    return first;
  };

  // The summary repeats the first problem; once the person types, the fields say what is left.
  form.addEventListener("input", () => summary.show(null));
  const send = once(submit, t(seance ? "organise.edit_seance.submitting" : "organise.seance.submitting"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(async () => {
      summary.show(null);
      const invalid = check();
      if (invalid) {
        invalid.focus();
        return false;
      }
      if (seance) return saveEdit(seance);
      const body = {
        date: date.control.value,
        start_time: start.control.value.length === 5 ? `${start.control.value}:00` : start.control.value,
        end_time: end.control.value ? (end.control.value.length === 5 ? `${end.control.value}:00` : end.control.value) : null,
        mode: draft.mode,
        place: draft.mode === "distanciel" ? null : oneLine(place.control.value),
        remote_link: draft.mode === "presentiel" ? null : link.control.value.trim(),
        objectives: lines(objectives.control.value),
        agenda: agendaOf(),
        method_steps: lines(steps.control.value),
        next_agenda: lines(next.control.value),
      };
      try {
        const seance = await api<Seance>("POST", `/api/ateliers/${encodeURIComponent(atelierId)}/sessions`, body, identity.token);
        remember(seance.id, atelierId);
        identity.sessionId = seance.id;
        save(identity);
        draft.atelierId = "";
        focusNextTitle();
        main.replaceChildren();
        scheduled(main, atelierId, seance);
        // The address becomes the séance's own page (where « Ouvrir la séance » leads): a reload
        // or a return by « Précédent » no longer shows an empty form, ready for a second séance.
        history.replaceState(history.state, "", seancePage(atelierId, seance.id));
        return true;
      } catch (e) {
        summary.show(errorText(e));
        return false;
      }
    });
  });

  function agendaOf() {
    return draft.agenda.filter((row) => oneLine(row.title) || row.minutes.trim()).map((row) => ({ title: oneLine(row.title), minutes: row.minutes.trim() ? Number(row.minutes.trim()) : null, ...(row.writing ? { writing: row.writing } : {}) }));
  }

  /** The séance whole, as the form has it; once started, as stored but for the next agenda. */
  const saveEdit = async (current: Seance): Promise<boolean> => {
    const hhmmss = (value: string) => (value.length === 5 ? `${value}:00` : value);
    const stored = current.details;
    const body = started
      ? {
          date: stored.date,
          start_time: stored.start_time,
          end_time: stored.end_time ?? null,
          mode: stored.mode,
          place: stored.place ?? null,
          remote_link: stored.remote_link ?? null,
          objectives: stored.objectives ?? [],
          agenda: (stored.agenda ?? []).map((item) => ({ title: item.title, minutes: item.minutes ?? null, ...(item.writing ? { writing: item.writing } : {}) })),
          method_steps: stored.method_steps ?? [],
          next_agenda: lines(next.control.value),
        }
      : {
          date: date.control.value,
          start_time: hhmmss(start.control.value),
          end_time: end.control.value ? hhmmss(end.control.value) : null,
          mode: draft.mode,
          place: draft.mode === "distanciel" ? null : oneLine(place.control.value),
          remote_link: draft.mode === "presentiel" ? null : link.control.value.trim(),
          objectives: lines(objectives.control.value),
          agenda: agendaOf(),
          method_steps: lines(steps.control.value),
          next_agenda: lines(next.control.value),
        };
    try {
      await api<Seance>("PUT", `/api/sessions/${encodeURIComponent(current.id)}`, body, identity.token);
      editing = null;
      navigate(back);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === "seance_started" && !started) {
        // It started while this form was open: the other fields go back to what is stored,
        // the next agenda keeps what was typed, and the reason is said as on arrival.
        try {
          const fresh = await api<Seance>("GET", `/api/sessions/${encodeURIComponent(current.id)}`, undefined, identity.token);
          const typedNext = next.control.value;
          Object.assign(draft, draftOf(fresh), { next: typedNext });
          editing = null;
          main.replaceChildren();
          drawForm(main, identity, fresh, draft, t("organise.edit_seance.started_now"))?.focus();
        } catch (reload) {
          started = true;
          syncStarted();
          summary.show(errorText(reload));
        }
        return false;
      }
      summary.show(errorText(e));
      return false;
    }
  };

  append(main, [
    seance ? pageTitle(t("organise.edit_seance.page_title", { n: seance.number }), identity.atelierTitle) : pageTitle(t("organise.seance.page_title"), identity.atelierTitle),
    h("p", {}, h("a", { href: back }, t("organise.seance.back"))),
    form,
  ]);
  checkPast();
  summary.show(problem);
  return problem ? next.control : null;
}

const seancePage = (atelierId: string, seanceId: string): string => `/atelier/${encodeURIComponent(atelierId)}?seance=${encodeURIComponent(seanceId)}`;

function scheduled(main: HTMLElement, atelierId: string, seance: Seance): void {
  const d = seance.details;
  const when = [d.date ? formatDate(d.date) : "", d.start_time ? d.start_time.slice(0, 5) + (d.end_time ? `–${d.end_time.slice(0, 5)}` : "") : ""].filter(Boolean).join(", ");
  append(main, [
    pageTitle(t("organise.seance.done_title", { n: seance.number })),
    h(
      "section",
      { class: "card", "aria-labelledby": "code-title" },
      h("p", {}, when, d.place ? ` — ${d.place}` : ""),
      h("h2", { id: "code-title" }, t("organise.seance.code")),
      h("p", { class: "join-code-big", "data-testid": "join-code" }, formatCode(seance.join_code)),
      h("p", { class: "hint" }, t("organise.seance.code_hint")),
      h("p", { class: "url" }, h("a", { href: `/rejoindre/${encodeURIComponent(seance.join_code)}` }, seance.join_url)),
      h(
        "p",
        { class: "actions" },
        h("a", { href: seancePage(atelierId, seance.id), class: "button primary-link" }, t("organise.seance.open")),
        h("a", { href: `/animation/${encodeURIComponent(seance.id)}`, class: "button" }, t("organise.seance.console")),
      ),
    ),
  ]);
}

/** 105 → « 1 h 45 » / “1 h 45”; 40 → « 40 min ». */
function duration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return t("organise.seance.min", { n: rest });
  return rest ? t("organise.seance.h_min", { h: hours, m: String(rest).padStart(2, "0") }) : t("organise.seance.h", { h: hours });
}
