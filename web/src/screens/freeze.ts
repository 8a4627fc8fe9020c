// Freezing the séance's proposals: each becomes version n+1, its exact text hash-chained to
// the previous one (what the council receives). Optionally locked: the live texts turn
// read-only until a new draft. Two steps, so a stray tap never freezes.
import { api, download, errorText } from "../api";
import { h, newId } from "../dom";
import { t } from "../i18n";
import type { Identity } from "../identity";
import { errorRegion } from "../ui";

interface VersionSummary {
  proposal_id: string;
  number: number;
  hash: string;
}

export function freezeSection(identity: Identity, sessionId: string, titles: () => Map<string, string>): HTMLElement {
  const lockId = newId("freeze-lock");
  const lock = h("input", { type: "checkbox", id: lockId });
  const error = errorRegion();
  const outcome = h("div", { "aria-live": "polite" });
  const start = h("button", { type: "button" }, t("freeze.start"));
  const confirm = h("button", { type: "button", class: "primary", hidden: true }, t("freeze.confirm"));
  const cancel = h("button", { type: "button", hidden: true }, t("freeze.cancel"));
  const ask = h("p", { class: "notice", hidden: true, id: newId("freeze-ask") });
  const asking = (on: boolean) => {
    start.hidden = on;
    confirm.hidden = !on;
    cancel.hidden = !on;
    ask.hidden = !on;
    ask.textContent = on ? t(lock.checked ? "freeze.ask_lock" : "freeze.ask") : "";
    (on ? confirm : start).focus();
  };
  start.addEventListener("click", () => asking(true));
  cancel.addEventListener("click", () => asking(false));
  confirm.addEventListener("click", async () => {
    error.show(null);
    confirm.disabled = true;
    try {
      const versions = await api<VersionSummary[]>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/freeze`, { lock: lock.checked }, identity.token);
      const names = titles();
      outcome.replaceChildren(
        h("p", { class: "counted" }, t("freeze.done", { n: versions.length })),
        h(
          "ul",
          {},
          versions.map((v) =>
            h("li", {}, t("freeze.version", { title: names.get(v.proposal_id) ?? v.proposal_id, n: v.number }), " ", h("code", { title: v.hash }, `${v.hash.slice(0, 12)}…`)),
          ),
        ),
      );
    } catch (e) {
      error.show(errorText(e));
    } finally {
      confirm.disabled = false;
      asking(false);
    }
  });
  // The séance's minutes (compte-rendu), built by the server from the frozen versions.
  const minutesError = errorRegion();
  const minutes = (format: "pdf" | "markdown", extension: string) => async () => {
    minutesError.show(null);
    try {
      await download(`/api/sessions/${encodeURIComponent(sessionId)}/compte-rendu?format=${format}`, `compte-rendu.${extension}`, identity.token);
    } catch (e) {
      minutesError.show(errorText(e));
    }
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "freeze-title" },
    h("h2", { id: "freeze-title" }, t("freeze.title")),
    h("p", {}, t("freeze.intro")),
    h("p", { class: "check" }, lock, h("label", { for: lockId }, t("freeze.lock"))),
    ask,
    h("p", { class: "actions" }, start, confirm, cancel),
    error.el,
    outcome,
    h("h3", {}, t("minutes.title")),
    h("p", { class: "hint" }, t("minutes.hint")),
    h(
      "p",
      { class: "actions" },
      h("button", { type: "button", onclick: minutes("pdf", "pdf") }, t("minutes.pdf")),
      h("button", { type: "button", onclick: minutes("markdown", "md") }, t("minutes.markdown")),
    ),
    minutesError.el,
  );
}
