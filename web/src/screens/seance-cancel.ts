// « Annuler la séance » and « Rétablir la séance », on the séance's edit screen (seance-form.ts).
// Cancelling keeps the séance and its agenda: the atelier's public page and the calendars show
// it « annulée » with the reason given (public, optional), and its followers are e-mailed
// (server/services/ateliers.py cancel_seance). A séance that started is not cancelled.
// Restoring is offered while its date is ahead (the city's day): after that, a new séance is
// scheduled instead, so that no one is told of a meeting that cannot happen. Both in two
// steps, so that a stray tap neither cancels nor restores.
import { api, errorText, type Seance } from "../api";
import { h, newId } from "../dom";
import { formatDate, t } from "../i18n";
import type { Identity } from "../identity";
import { knownTimeZone, wallClockInstant } from "../city";
import { errorRegion, twoStep } from "../ui";
import { checkText, field, oneLine } from "../forms";

const REASON_MAX = 500;

/** The section for ``seance``, or null when there is nothing to offer (it started). ``changed``
 * gets the séance as the server now has it. */
export function cancelSection(identity: Identity, seance: Seance, changed: (fresh: Seance) => void): HTMLElement | null {
  const d = seance.details;
  if (d.current_step != null) return null;
  const path = `/api/sessions/${encodeURIComponent(seance.id)}`;
  const error = errorRegion();
  const titleId = newId("cancel-title");
  const title = h("h2", { id: titleId, tabindex: "-1" }, t(d.cancelled_at ? "organise.cancel.cancelled_title" : "organise.cancel.title"));
  const when = d.date ? formatDate(d.date) : "";
  const askId = newId("cancel-ask");
  const ask = h("p", { class: "notice", hidden: true, id: askId });
  const send = async (button: HTMLButtonElement, method: string, body: unknown): Promise<void> => {
    error.show(null);
    button.disabled = true;
    try {
      changed(await api<Seance>("POST", `${path}/${method}`, body, identity.token));
    } catch (e) {
      button.disabled = false;
      error.show(errorText(e));
    }
  };

  if (d.cancelled_at) {
    const ahead = !d.date || wallClockInstant(d.date, "23:59", knownTimeZone()) >= Date.now();
    const parts: (HTMLElement | null)[] = [
      h("p", { "data-testid": "seance-cancelled" }, h("strong", {}, t("organise.cancel.cancelled_on", { date: formatDate(cityDay(d.cancelled_at)) }))),
      d.cancel_reason ? h("p", {}, t("organise.cancel.reason_shown", { reason: d.cancel_reason })) : null,
    ];
    if (ahead) {
      const start = h("button", { type: "button" }, t("organise.cancel.restore"));
      const confirm = h("button", { type: "button", class: "primary", hidden: true, "aria-describedby": askId }, t("organise.cancel.restore_confirm"));
      const keep = h("button", { type: "button", hidden: true }, t("organise.cancel.restore_keep"));
      twoStep(start, ask, confirm, keep, (on) => (ask.textContent = on ? t("organise.cancel.restore_ask", { n: seance.number, date: when }) : ""));
      confirm.addEventListener("click", () => void send(confirm, "restore", undefined));
      parts.push(h("p", { class: "hint" }, t("organise.cancel.restore_hint")), ask, h("p", { class: "actions" }, start, confirm, keep));
    } else {
      parts.push(
        h("p", { class: "hint" }, t("organise.cancel.past")),
        h("p", {}, h("a", { href: `/atelier/${encodeURIComponent(seance.atelier_id)}/nouvelle-seance` }, t("organise.cancel.schedule"))),
      );
    }
    return h("section", { class: "card cancel-seance", "aria-labelledby": titleId }, title, ...parts, error.el);
  }

  const reason = field(t("organise.cancel.reason"), h("input", { name: "cancel_reason", maxlength: String(REASON_MAX), autocomplete: "off" }), t("organise.cancel.reason_hint"));
  const start = h("button", { type: "button", class: "danger" }, t("organise.cancel.start"));
  const confirm = h("button", { type: "button", class: "danger-strong", hidden: true, "aria-describedby": askId }, t("organise.cancel.confirm"));
  const keep = h("button", { type: "button", hidden: true }, t("organise.cancel.keep"));
  const asking = twoStep(start, ask, confirm, keep, (on) => (ask.textContent = on ? t("organise.cancel.ask", { n: seance.number, date: when }) : ""));
  confirm.addEventListener("click", () => {
    const text = oneLine(reason.control.value);
    const problem = text ? checkText(text, t("organise.cancel.reason_label"), REASON_MAX, true) : null;
    if (problem) {
      reason.error(problem);
      asking(false);
      reason.control.focus();
      return;
    }
    void send(confirm, "cancel", { reason: text || null });
  });
  return h("section", { class: "card cancel-seance", "aria-labelledby": titleId }, title, h("p", {}, t("organise.cancel.intro")), reason.el, ask, h("p", { class: "actions" }, start, confirm, keep), error.el);
}

/** An instant's day in the city (« YYYY-MM-DD »), as its people read the date. */
function cityDay(instant: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: knownTimeZone(), year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(instant));
}
