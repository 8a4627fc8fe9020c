// Freezing the séance's proposals: each becomes version n+1, its exact text hash-chained to
// the previous one (what the council receives). Optionally locked: the live texts turn
// read-only until a new draft. Then each frozen proposal can be transmitted to the conseil
// municipal: the council reads its latest version, which cannot be frozen again. Both in
// two steps, so that a stray tap neither freezes nor transmits.
import { api, download, errorText, type Proposal } from "../api";
import { h, newId } from "../dom";
import { t } from "../i18n";
import type { Identity } from "../identity";
import { errorRegion, twoStep } from "../ui";

interface VersionSummary {
  proposal_id: string;
  number: number;
  hash: string;
}

export function freezeSection(identity: Identity, sessionId: string): { el: HTMLElement; reload: () => void } {
  const handOver = handOverList(identity, sessionId);
  const lockId = newId("freeze-lock");
  const lock = h("input", { type: "checkbox", id: lockId });
  const error = errorRegion();
  const outcome = h("div", { "aria-live": "polite" });
  const start = h("button", { type: "button" }, t("freeze.start"));
  const confirm = h("button", { type: "button", class: "primary", hidden: true }, t("freeze.confirm"));
  const cancel = h("button", { type: "button", hidden: true }, t("freeze.cancel"));
  const ask = h("p", { class: "notice", hidden: true, id: newId("freeze-ask") });
  const asking = twoStep(start, ask, confirm, cancel, (on) => {
    ask.textContent = on ? t(lock.checked ? "freeze.ask_lock" : "freeze.ask") : "";
  });
  confirm.addEventListener("click", async () => {
    error.show(null);
    confirm.disabled = true;
    try {
      const versions = await api<VersionSummary[]>("POST", `/api/sessions/${encodeURIComponent(sessionId)}/freeze`, { lock: lock.checked }, identity.token);
      const names = new Map((await handOver.reload()).map((p) => [p.id, p.title]));
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
  const minutes = (format: "pdf" | "markdown" | "odt", extension: string) => async () => {
    minutesError.show(null);
    try {
      await download(`/api/sessions/${encodeURIComponent(sessionId)}/compte-rendu?format=${format}`, `compte-rendu.${extension}`, identity.token);
    } catch (e) {
      minutesError.show(errorText(e));
    }
  };
  const el = h(
    "section",
    { class: "card", "aria-labelledby": "freeze-title" },
    h("h2", { id: "freeze-title" }, t("freeze.title")),
    h("p", {}, t("freeze.intro")),
    h("p", { class: "check" }, lock, h("label", { for: lockId }, t("freeze.lock"))),
    ask,
    h("p", { class: "actions" }, start, confirm, cancel),
    error.el,
    outcome,
    handOver.el,
    h("h3", {}, t("minutes.title")),
    h("p", { class: "hint" }, t("minutes.hint")),
    h(
      "p",
      { class: "actions" },
      h("button", { type: "button", onclick: minutes("pdf", "pdf") }, t("minutes.pdf")),
      h("button", { type: "button", onclick: minutes("odt", "odt") }, t("minutes.odt")),
      h("button", { type: "button", onclick: minutes("markdown", "md") }, t("minutes.markdown")),
    ),
    minutesError.el,
  );
  return { el, reload: () => void handOver.reload() };
}

/** The séance's proposals with their status; « Transmettre au conseil municipal » on each
 * frozen one. */
function handOverList(identity: Identity, sessionId: string): { el: HTMLElement; reload: () => Promise<Proposal[]> } {
  const list = h("ul", { class: "links hand-over" });
  const error = errorRegion();
  const done = h("p", { class: "counted", tabindex: "-1", hidden: true });
  const el = h("div", {}, h("h3", {}, t("transmit.title")), h("p", { class: "hint" }, t("transmit.hint")), list, error.el, done);
  let rows: Proposal[] = [];
  const item = (p: Proposal): HTMLElement => {
    const li = h("li", {}, h("span", {}, t("transmit.line", { title: p.title, status: t(`proposal_status.${p.status}`) })));
    if (p.status !== "figee") return li;
    const start = h("button", { type: "button", class: "small" }, t("transmit.start"));
    const ask = h("p", { class: "notice", hidden: true }, t("transmit.ask", { title: p.title }));
    const confirm = h("button", { type: "button", class: "primary small", hidden: true }, t("transmit.confirm"));
    const cancel = h("button", { type: "button", class: "small", hidden: true }, t("transmit.cancel"));
    const asking = twoStep(start, ask, confirm, cancel);
    confirm.addEventListener("click", async () => {
      error.show(null);
      confirm.disabled = true;
      try {
        await api("POST", `/api/proposals/${encodeURIComponent(p.id)}/transmit`, undefined, identity.token);
        await reload();
        // The buttons pressed are gone: focus goes to what happened.
        done.hidden = false;
        done.textContent = t("transmit.done", { title: p.title });
        done.focus();
      } catch (e) {
        confirm.disabled = false;
        asking(false);
        error.show(errorText(e));
      }
    });
    li.append(" ", start, ask, confirm, " ", cancel);
    return li;
  };
  const reload = async (): Promise<Proposal[]> => {
    try {
      const all = await api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, undefined, identity.token);
      rows = all.filter((p) => p.session_id === sessionId && !p.archived_at); // archived: never handed over
      list.replaceChildren(...(rows.length ? rows.map(item) : [h("li", { class: "muted" }, t("transmit.none"))]));
    } catch (e) {
      error.show(errorText(e));
    }
    return rows;
  };
  void reload();
  return { el, reload };
}
