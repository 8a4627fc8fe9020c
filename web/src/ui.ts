// Pieces every screen uses: the page title (focused on arrival, so screen readers announce the
// new screen), error and status regions, loading.
import { h } from "./dom";
import { t } from "./i18n";

let focusWanted = false;

/** After a navigation, the next screen title takes focus (screens draw it once their data is
 * in, so this waits for it rather than focusing whatever is there now). */
export function focusNextTitle(): void {
  focusWanted = true;
}

/** The screen's h1; also the document title. Focus moves to it after navigation. */
export function pageTitle(text: string, extra?: string): HTMLHeadingElement {
  document.title = `${text} — ${t("app.name")}`;
  const title = h("h1", { tabindex: "-1", id: "page-title" }, text, extra ? h("span", { class: "sub" }, extra) : null);
  if (focusWanted) {
    queueMicrotask(() => {
      if (title.isConnected && focusWanted) {
        focusWanted = false;
        title.focus();
      }
    });
  }
  return title;
}

/** An alert region for errors: `show(text)` fills and announces it, `show(null)` empties it. */
export function errorRegion(): { el: HTMLElement; show: (text: string | null) => void } {
  const el = h("div", { class: "error", role: "alert", hidden: true });
  return {
    el,
    show(text) {
      el.hidden = !text;
      el.textContent = text ?? "";
    },
  };
}

export function loading(): HTMLElement {
  return h("p", { class: "loading", role: "status" }, t("common.loading"));
}

/** A code as it is read aloud: groups of four joined by dashes (`ACDE-F347`, an invitation
 * `ACDE-F347-KMNP`); typed back, the dashes and the case do not matter (domain/joining.py). */
export function formatCode(code: string): string {
  // As the server reads it: a code typed « acde-f347 » in an address shows ACDE-F347.
  const canonical = code.normalize("NFKC").toUpperCase().replace(/[\s\-\u2010-\u2015\u2212]/g, "");
  return (canonical.match(/.{1,4}/gu) ?? [canonical]).join("-");
}

/** A two-step action: ``start`` shows the question with ``confirm`` and ``cancel`` (focused on
 * ``confirm``); ``cancel`` puts ``start`` back. Returns the switch, for the caller's outcome. */
export function twoStep(
  start: HTMLElement,
  ask: HTMLElement,
  confirm: HTMLElement,
  cancel: HTMLElement,
  onAsk: (on: boolean) => void = () => {},
): (on: boolean) => void {
  const asking = (on: boolean) => {
    start.hidden = on;
    ask.hidden = confirm.hidden = cancel.hidden = !on;
    onAsk(on);
    (on ? confirm : start).focus();
  };
  start.addEventListener("click", () => asking(true));
  cancel.addEventListener("click", () => asking(false));
  return asking;
}
