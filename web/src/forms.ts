// Form pieces for the organisers' screens (new atelier, new séance): a labelled field with its
// hint and its own error message (tied by aria-describedby, marked aria-invalid), and the
// checks the server makes, with its French-first wording (domain/errors.py check_text,
// domain/ateliers.py, domain/sessions.py), so that a person hears the same thing from both.
import { h, newId } from "./dom";
import { t } from "./i18n";

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export interface Field<C extends Control = Control> {
  el: HTMLElement;
  control: C;
  /** Show (or clear, with null) this field's own problem. */
  error(text: string | null): void;
}

export function field<C extends Control>(label: string, control: C, hint?: string | null, extra?: HTMLElement | null): Field<C> {
  const id = control.id || newId("f");
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const message = h("p", { id: errorId, class: "field-error", hidden: true });
  const describedBy = () => [hint ? hintId : null, message.hidden ? null : errorId].filter(Boolean).join(" ");
  const sync = () => {
    const ids = describedBy();
    if (ids) control.setAttribute("aria-describedby", ids);
    else control.removeAttribute("aria-describedby");
  };
  sync();
  // Once the person changes the field, its old problem no longer describes it.
  control.addEventListener("input", () => {
    if (!message.hidden) {
      message.hidden = true;
      message.textContent = "";
      control.removeAttribute("aria-invalid");
      sync();
    }
  });
  const el = h("div", { class: "field" }, h("label", { for: id }, label), hint ? h("p", { id: hintId, class: "hint" }, hint) : null, message, control, extra ?? null);
  return {
    el,
    control,
    error(text) {
      message.hidden = !text;
      message.textContent = text ?? "";
      if (text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      sync();
    },
  };
}

/** One line as the server keeps it: trimmed, runs of spaces made one (domain normalize_line). */
export function oneLine(value: string): string {
  return value.normalize("NFC").trim().replace(/\s+/g, " ");
}

/** The lines of a multi-line box, blank ones dropped (a list typed one item per line). */
export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map(oneLine)
    .filter((line) => line);
}

// U+0000–U+001F but tab and line breaks, U+007F–U+009F, U+2028/2029, bidi embeddings and
// isolates: what the server refuses in any string (server/schemas.py check_json).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;

/** The server's check_text: required, length, invisible characters. `label` is the field's
 * name as the server says it, lower case with its article (« le titre »). */
export function checkText(value: string, label: string, max: number, required: boolean): string | null {
  if (required && !value) return t("organise.check.empty", { label: capitalize(label) });
  if (value.length > max) return t("organise.check.too_long", { label: capitalize(label), max, n: value.length });
  const bad = CONTROL.exec(value);
  if (bad) return t("organise.check.control", { label: capitalize(label), code: bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") });
  return null;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A button that sends once: disabled (and saying so) while its request is in flight, so a
 * double click or a second Enter creates one object. `work` answers true when it succeeded (the
 * button stays disabled: the screen moves on), false to let the person try again. */
export function once(button: HTMLButtonElement, busyText: string): (work: () => Promise<boolean>) => Promise<void> {
  const idle = button.textContent ?? "";
  let busy = false;
  return async (work) => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = busyText;
    let done = false;
    try {
      done = await work();
    } finally {
      button.removeAttribute("aria-busy");
      if (!done) {
        busy = false;
        button.disabled = false;
        button.textContent = idle;
      }
    }
  };
}
