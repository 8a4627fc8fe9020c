// A proposal's history (issue 20, #5), like Etherpad's time slider: a slider over the revisions
// of the live text (consecutive edits of the same people, each within a minute of the last),
// read-only; the text as it was at the chosen revision, coloured by who wrote each passage
// (switchable, remembered); and per section « Restaurer cette section », which makes that past
// content the live content by a new edit — every open editor shows it, and the history goes on;
// not offered where nobody changes the text (locked, archived, handed to the council, the
// atelier closed), where one line says why, as the editor does.
// Authors are named only when they chose to be; otherwise « Participant·e 3 », stable per
// proposal. Text is drawn as text nodes, never as markup.
import { FOR_EVERYONE, READ_ONLY_BECAUSE, type DocAccess } from "../access";
import { api, errorText } from "../api";
import { h } from "../dom";
import { lang, pick, t } from "../i18n";
import { identityForPlace, type Identity } from "../identity";
import { linkOf } from "../links";
import { canEdit } from "../roles";
import type { Screen } from "../router";
import { errorRegion, loading, pageTitle, twoStep } from "../ui";
import "../history.css";

interface Author {
  n: number;
  name: string | null;
}

interface RevisionSummary {
  n: number;
  at: string;
  authors: Author[];
  size: number;
}

/** GET /api/proposals/{id}/history/revisions */
interface RevisionList {
  proposal_id: string;
  title: string;
  revisions: RevisionSummary[];
  authors: Author[];
}

/** A run: text, its marks, its author's number (0: no one known). */
type Run = [string, string[], number];
interface Block {
  type: string;
  level?: number;
  runs?: Run[];
  items?: Block[][];
}

/** GET /api/proposals/{id}/history/revisions/{n} */
interface RevisionContent extends RevisionSummary {
  count: number;
  sampled: boolean;
  sections: { key: string; title_fr: string; title_en: string; blocks: Block[] }[];
}

const COLOURS_KEY = "atelier.history.colours";
/** Light backgrounds dark text reads on (contrast above 7:1 with #1a1a1a), one per author. */
const PALETTE = ["#ffe08a", "#b8e6c1", "#c6dcff", "#ffc9d6", "#e3d1ff", "#ffd3a8", "#bfeff0", "#e6e6a1"];

export function authorColour(n: number): string {
  return PALETTE[(n - 1) % PALETTE.length];
}

export function authorLabel(author: Author): string {
  return author.name || t("history.participant", { n: author.n });
}

/** « 19 h 25 » in French, "7:25 PM" in English; with the day when it is not today. */
function when(iso: string): string {
  const at = new Date(iso);
  const today = new Date().toDateString() === at.toDateString();
  const time =
    lang() === "fr"
      ? `${at.getHours()} h ${String(at.getMinutes()).padStart(2, "0")}`
      : new Intl.DateTimeFormat("en", { timeStyle: "short" }).format(at);
  if (today) return time;
  const day = new Intl.DateTimeFormat(lang(), { day: "numeric", month: "long" }).format(at);
  return t("history.day_time", { day, time });
}

const MARK_TAGS: Record<string, keyof HTMLElementTagNameMap> = { bold: "strong", italic: "em", strike: "s", code: "code", underline: "u" };

function runsView(runs: Run[], authors: Map<number, Author>): Node[] {
  return runs.map(([text, marks, who]) => {
    let node: Node = document.createTextNode(text);
    for (const mark of marks) {
      const tag = MARK_TAGS[mark];
      if (tag) node = h(tag, {}, node);
    }
    const href = linkOf(marks);
    if (href) node = h("a", { href, rel: "noopener noreferrer nofollow" }, node);
    const author = authors.get(who);
    if (!author) return node;
    return h("span", { class: "by-author", "data-author": String(who), style: `--author: ${authorColour(who)}`, title: authorLabel(author) }, node);
  });
}

function blocksView(blocks: Block[], authors: Map<number, Author>): HTMLElement[] {
  return blocks.map((block) => {
    if (block.type === "bullet_list" || block.type === "ordered_list") {
      const items = (block.items ?? []).map((item) => h("li", {}, ...blocksView(item, authors)));
      return block.type === "bullet_list" ? h("ul", {}, ...items) : h("ol", {}, ...items);
    }
    const runs = runsView(block.runs ?? [], authors);
    if (block.type === "heading") {
      const level = Math.min(6, Math.max(3, (block.level ?? 1) + 2)) as 3 | 4 | 5 | 6;
      return h(`h${level}`, {}, ...runs);
    }
    if (block.type === "blockquote") return h("blockquote", {}, h("p", {}, ...runs));
    return h("p", {}, ...runs);
  });
}

export const proposalHistory: Screen = (main, { proposalId }) => {
  const identity = identityForPlace(proposalId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const status = loading();
  main.append(status);
  let alive = true;
  let stop: (() => void) | null = null;
  const path = `/api/proposals/${encodeURIComponent(proposalId)}`;
  Promise.all([
    api<RevisionList>("GET", `${path}/history/revisions`, undefined, identity.token),
    // Whether its text may still change (as the editor asks): not known, « Restaurer » is
    // offered and the server's 409 says why.
    api<DocAccess>("GET", `${path}/token`, undefined, identity.token).catch(() => null),
  ])
    .then(([list, access]) => {
      if (!alive) return;
      status.remove();
      stop = open(main, identity, proposalId, list, access);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("history.title")), region.el, backLink(proposalId));
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    stop?.();
  };
};

function backLink(proposalId: string): HTMLElement {
  return h("p", {}, h("a", { href: `/proposition/${encodeURIComponent(proposalId)}` }, t("history.back")));
}

function open(main: HTMLElement, identity: Identity, proposalId: string, first: RevisionList, access: DocAccess | null): () => void {
  const base = `/api/proposals/${encodeURIComponent(proposalId)}/history`;
  let list = first;
  let authors = new Map(list.authors.map((a) => [a.n, a]));
  let current = list.revisions.length;
  let playing: number | null = null;
  let asked = 0; // the latest revision asked for: older answers are dropped
  const errors = errorRegion();
  const told = h("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": "history-told" });

  if (!list.revisions.length) {
    main.append(pageTitle(t("history.title"), list.title), h("p", {}, t("history.empty")), backLink(proposalId));
    return () => undefined;
  }

  // --- the slider and its buttons ------------------------------------------------------------
  const sliderId = "history-slider";
  const slider = h("input", { type: "range", id: sliderId, min: 1, max: list.revisions.length, step: 1, value: current, "data-testid": "history-slider" });
  const position = h("p", { class: "history-position", id: "history-position", "aria-hidden": "true" });
  const previous = h("button", { type: "button", class: "secondary" }, t("history.previous"));
  const next = h("button", { type: "button", class: "secondary" }, t("history.next"));
  const play = h("button", { type: "button", class: "secondary", "aria-pressed": "false" }, t("history.play"));

  const colours = h("button", { type: "button", class: "secondary", "aria-pressed": "true", "data-testid": "history-colours" }, t("history.colours"));
  const legend = h("ul", { class: "history-legend", "aria-label": t("history.legend") });
  const sectionsEl = h("div", { class: "history-sections", "data-testid": "history-sections" });

  const coloured = () => localStorage.getItem(COLOURS_KEY) !== "off";
  const drawColours = () => {
    const on = coloured();
    colours.setAttribute("aria-pressed", String(on));
    sectionsEl.classList.toggle("coloured", on);
    legend.hidden = !on;
  };
  colours.addEventListener("click", () => {
    localStorage.setItem(COLOURS_KEY, coloured() ? "off" : "on");
    drawColours();
  });

  const drawLegend = () => {
    legend.replaceChildren(
      ...list.authors.map((a) =>
        h("li", {}, h("span", { class: "swatch", style: `background: ${authorColour(a.n)}`, "aria-hidden": "true" }), authorLabel(a)),
      ),
    );
  };

  const describe = (rev: RevisionSummary): string => {
    const by = rev.authors.length ? rev.authors.map(authorLabel).join(", ") : t("history.nobody");
    return t("history.valuetext", { n: rev.n, count: list.revisions.length, time: when(rev.at), by });
  };

  // Locked, archived, handed to the council, the atelier closed: nobody changes the text, so
  // no revision is offered to restore, and one line says why (the editor's words).
  const settled = access?.reason && FOR_EVERYONE.has(access.reason) ? access.reason : null;
  const mayRestore = canEdit(identity.role) && !settled;
  const why = settled ? h("p", { class: "notice", "data-testid": "history-read-only" }, t(READ_ONLY_BECAUSE[settled], { n: access?.version ?? "?" })) : null;
  const drawSections = (content: RevisionContent) => {
    sectionsEl.replaceChildren(
      ...content.sections.map((section) => {
        const titleId = `history-${section.key}-title`;
        const body = h("div", { class: "history-text", "data-section": section.key }, ...blocksView(section.blocks, authors));
        if (!section.blocks.length) body.append(h("p", { class: "hint" }, t("history.section_empty")));
        const card = h("section", { class: "card section", "aria-labelledby": titleId }, h("h2", { id: titleId }, pick(section.title_fr, section.title_en)), body);
        if (mayRestore && content.n < list.revisions.length) card.append(restoreControl(section.key, pick(section.title_fr, section.title_en), content.n));
        return card;
      }),
    );
  };

  const restoreControl = (key: string, title: string, n: number): HTMLElement => {
    const start = h("button", { type: "button", class: "secondary", "data-testid": `restore-${key}` }, t("history.restore"));
    const ask = h("p", { hidden: true }, t("history.restore_ask", { title, n }));
    const confirm = h("button", { type: "button", hidden: true, "data-testid": `restore-${key}-confirm` }, t("history.restore_confirm"));
    const cancel = h("button", { type: "button", class: "secondary", hidden: true }, t("history.cancel"));
    const asking = twoStep(start, ask, confirm, cancel);
    confirm.addEventListener("click", async () => {
      confirm.setAttribute("disabled", "");
      errors.show(null);
      try {
        await api("POST", `${base}/restore`, { revision: n, section: key }, identity.token);
        asking(false);
        told.textContent = t("history.restored", { title, n });
        await reload();
      } catch (error) {
        errors.show(errorText(error));
      } finally {
        confirm.removeAttribute("disabled");
      }
    });
    return h("div", { class: "history-restore" }, start, ask, confirm, cancel);
  };

  const show = async (n: number) => {
    current = Math.min(Math.max(1, n), list.revisions.length);
    const rev = list.revisions[current - 1];
    slider.value = String(current);
    const text = describe(rev);
    slider.setAttribute("aria-valuetext", text);
    position.textContent = text;
    previous.toggleAttribute("disabled", current <= 1);
    next.toggleAttribute("disabled", current >= list.revisions.length);
    const mine = ++asked;
    sectionsEl.setAttribute("aria-busy", "true");
    // A key held down moves many revisions: only the one it stops on is fetched.
    await new Promise((resolve) => window.setTimeout(resolve, 150));
    if (mine !== asked) return;
    try {
      const content = await api<RevisionContent>("GET", `${base}/revisions/${current}`, undefined, identity.token);
      if (mine !== asked) return;
      errors.show(null);
      drawSections(content);
      sectionsEl.dataset.revision = String(content.n);
    } catch (error) {
      if (mine === asked) errors.show(errorText(error));
    } finally {
      if (mine === asked) sectionsEl.removeAttribute("aria-busy");
    }
  };

  const reload = async () => {
    list = await api<RevisionList>("GET", `${base}/revisions`, undefined, identity.token);
    authors = new Map(list.authors.map((a) => [a.n, a]));
    slider.max = String(list.revisions.length);
    drawLegend();
    await show(list.revisions.length);
  };

  const stopPlaying = () => {
    if (playing !== null) window.clearInterval(playing);
    playing = null;
    play.setAttribute("aria-pressed", "false");
    play.textContent = t("history.play");
  };

  slider.addEventListener("input", () => void show(Number(slider.value)));
  previous.addEventListener("click", () => void show(current - 1));
  next.addEventListener("click", () => void show(current + 1));
  play.addEventListener("click", () => {
    if (playing !== null) return stopPlaying();
    if (current >= list.revisions.length) void show(1);
    play.setAttribute("aria-pressed", "true");
    play.textContent = t("history.pause");
    playing = window.setInterval(() => {
      if (current >= list.revisions.length) return stopPlaying();
      void show(current + 1);
    }, 1200);
  });

  main.append(
    pageTitle(t("history.title"), list.title),
    h("p", { class: "hint" }, t("history.intro")),
    ...(why ? [why] : []),
    h(
      "section",
      { class: "card history-controls", "aria-label": t("history.controls") },
      h("label", { for: sliderId }, t("history.slider")),
      slider,
      position,
      h("div", { class: "history-buttons" }, previous, next, play, colours),
      legend,
    ),
    errors.el,
    told,
    sectionsEl,
    backLink(proposalId),
  );
  drawLegend();
  drawColours();
  void show(current);
  return stopPlaying;
}
