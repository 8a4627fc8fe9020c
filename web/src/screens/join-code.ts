// The séance's join code in the console: read aloud in groups (XXXX-XXXX), its link, its QR
// code and the invitations to print; « Nouveau code » replaces it after a confirmation that says
// what stops working (the old code, its QR code, what was printed with them). The projector and
// the other consoles hear of the new code on the live channel (join_code_changed).
import { api, errorText, type Seance } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import type { Identity } from "../identity";
import { errorRegion, formatCode, twoStep } from "../ui";

export interface JoinCode {
  el: HTMLElement;
  /** The séance has a new code (this console's, or another's, from the live channel). */
  changed: (code: string, url: string) => void;
  /** The séance is cancelled (or restored): its code opens nothing, so no QR code is shown
   * (the server has none: 410); the invitations to print are its notice of cancellation. */
  cancelled: (on: boolean) => void;
  /** The atelier is closed: the same, for good, and the notice says « Atelier clos ». */
  closed: (on: boolean) => void;
}

export function joinCodeSection(identity: Identity, sessionId: string, seance: Seance): JoinCode {
  const code = h("strong", { class: "code", "data-testid": "join-code" });
  const link = h("a", { class: "url" });
  const qr = h("img", { class: "qr", width: "200", height: "200" });
  const a4 = h("a", { target: "_blank", rel: "noopener" }, t("console.print_a4"));
  const a5 = h("a", { target: "_blank", rel: "noopener" }, t("console.print_a5"));
  const a3 = h("a", { target: "_blank", rel: "noopener" }, t("console.print_a3"));
  const said = h("p", { class: "saved", role: "status" });
  const cancelledNote = h("p", { class: "notice", hidden: true, "data-testid": "join-cancelled" }, t("console.join_cancelled"));
  const closedNote = h("p", { class: "notice", hidden: true, "data-testid": "join-closed" }, t("console.join_closed"));
  let isCancelled = Boolean(seance.details.cancelled_at);
  let isClosed = false;
  const error = errorRegion();
  const draw = () => {
    const path = `/api/join/${encodeURIComponent(seance.join_code)}`;
    code.textContent = formatCode(seance.join_code);
    link.textContent = seance.join_url;
    link.setAttribute("href", seance.join_url);
    // A cancelled séance's code, or a closed atelier's, has no QR code (the server answers
    // 410): none is asked for, and no new code is offered (the server refuses it: 409).
    const shut = isCancelled || isClosed;
    if (shut) qr.removeAttribute("src");
    else qr.setAttribute("src", `${path}/qr.svg`);
    qr.hidden = shut;
    closedNote.hidden = !isClosed;
    cancelledNote.hidden = !isCancelled || isClosed;
    qr.setAttribute("alt", t("console.qr_alt", { url: seance.join_url }));
    a4.setAttribute("href", `${path}/invitation.pdf?format=A4`);
    a5.setAttribute("href", `${path}/invitation.pdf?format=A5`);
    a3.setAttribute("href", `${path}/invitation.pdf?format=A3`);
    ask.textContent = t("console.new_code_ask", { code: formatCode(seance.join_code) });
  };
  const changed = (next: string, url: string) => {
    if (next === seance.join_code) return;
    // The slip of a walk-in and the invitation links read the séance: they follow too.
    seance.join_code = next;
    seance.join_url = url;
    draw();
    said.textContent = t("console.new_code_done", { code: formatCode(next) });
  };

  const start = h("button", { type: "button" }, t("console.new_code"));
  const ask = h("p", { class: "notice", hidden: true });
  const confirm = h("button", { type: "button", class: "danger-strong", hidden: true }, t("console.new_code_confirm"));
  const cancel = h("button", { type: "button", hidden: true }, t("console.new_code_cancel"));
  const asking = twoStep(start, ask, confirm, cancel, (on) => {
    if (on) said.textContent = "";
  });
  confirm.addEventListener("click", async () => {
    error.show(null);
    confirm.disabled = true; // one click, one new code
    try {
      const row = await api<Seance>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/join-code`, {}, identity.token);
      asking(false);
      changed(row.join_code, row.join_url);
    } catch (e) {
      error.show(errorText(e));
    } finally {
      confirm.disabled = false;
    }
  });
  const offerNewCode = () => {
    const shut = isCancelled || isClosed;
    // « Nouveau code » goes, and so does its question if it was open; back when restored.
    if (shut) ask.hidden = confirm.hidden = cancel.hidden = true;
    start.hidden = shut;
  };
  const cancelled = (on: boolean) => {
    if (on === isCancelled) return;
    isCancelled = on;
    draw();
    offerNewCode();
  };
  const closed = (on: boolean) => {
    if (on === isClosed) return;
    isClosed = on;
    draw();
    offerNewCode();
  };
  draw();
  start.hidden = isCancelled;
  const el = h(
    "div",
    { class: "join-code-box" },
    h("p", {}, t("console.join_code"), " ", code),
    h("p", {}, link),
    cancelledNote,
    closedNote,
    qr,
    h("p", {}, a4, " · ", a5, " · ", a3),
    h("p", { class: "actions" }, start, confirm, cancel),
    ask,
    said,
    error.el,
  );
  return { el, changed, cancelled, closed };
}
