// Frozen versions, as everyone reads them: the participants' "Versions figées" box on the
// proposal screen, and the pieces the council staff's screens reuse (a version's text drawn from
// its stored blocks — never from HTML —, a fingerprint, a word diff). Nothing here renders what
// someone typed as markup: text nodes only.
import { api, errorText, type Decision } from "../api";
import { h } from "../dom";
import { formatDateTime, pick, t, tn } from "../i18n";
import type { Identity } from "../identity";
import { linkOf } from "../links";
import { errorRegion } from "../ui";

export interface VersionSummary {
  number: number;
  created_at: string;
  hash: string;
}

/** GET /api/proposals/{id}/versions */
export interface VersionList {
  id: string;
  atelier_id: string;
  title: string;
  kind: string;
  status: string;
  locked: boolean;
  decision: Decision | null;
  versions: VersionSummary[];
}

export type { Decision, Milestone } from "../api";

type Run = [string, string[]];
interface Block {
  type: string;
  level?: number;
  runs?: Run[];
  items?: Block[][];
}

export interface Version extends VersionSummary {
  content: {
    atelier?: { title: string; instances?: string[] };
    sections: { key: string; title_fr: string; title_en: string; blocks: Block[] }[];
  };
}

/** One operation of a word diff; `format`: the same words, their formatting changed (`runs`
 * after, `before`). */
interface DiffOp {
  op: "equal" | "insert" | "delete" | "format";
  text: string;
  runs?: Run[];
  before?: Run[];
}

/** GET /api/proposals/{id}/diff?from=&to= : per section, word operations on its words and their
 * formatting. */
export interface VersionDiff {
  from: number;
  to: number;
  sections: { key: string; title_fr: string; title_en?: string; changed: boolean; ops: DiffOp[] }[];
}

const MARK_TAGS: Record<string, keyof HTMLElementTagNameMap> = { bold: "strong", italic: "em", strike: "s", code: "code", underline: "u" };

function runs(block: Block): Node[] {
  return (block.runs ?? []).map(([text, marks]) => {
    let node: Node = document.createTextNode(text);
    for (const mark of marks) {
      const tag = MARK_TAGS[mark];
      if (tag) node = h(tag, {}, node);
    }
    const href = linkOf(marks);
    return href ? h("a", { href, rel: "noopener noreferrer nofollow" }, node) : node;
  });
}

function blockView(block: Block): HTMLElement {
  switch (block.type) {
    case "heading":
      return h("h5", {}, runs(block));
    case "blockquote":
      return h("blockquote", {}, runs(block));
    case "bullet_list":
    case "ordered_list":
      return h(block.type === "bullet_list" ? "ul" : "ol", {}, (block.items ?? []).map((item) => h("li", {}, item.map(blockView))));
    default:
      return h("p", {}, runs(block));
  }
}

/** A fingerprint's first characters, the whole of it on hover and for copying. */
export function shortHash(hash: string): HTMLElement {
  return h("code", { title: hash }, `${hash.slice(0, 12)}…`);
}

/** One version's text, section by section, with its full fingerprint. */
export function frozenArticle(v: Version): HTMLElement {
  const titleId = `frozen-title-${v.number}`;
  return h(
    "article",
    { class: "frozen", "aria-labelledby": titleId },
    h("h3", { id: titleId, tabindex: "-1" }, t("versions.heading", { n: v.number })),
    v.content.sections.map((s) => h("section", {}, h("h4", {}, pick(s.title_fr, s.title_en)), s.blocks.length ? s.blocks.map(blockView) : h("p", { class: "muted" }, t("versions.empty")))),
    h("p", { class: "hash" }, t("versions.hash"), " ", h("code", {}, v.hash)),
  );
}

/** A word diff between two versions. Insertions and deletions are <ins> and <del>, underlined
 * or struck through (not told by colour alone), and each says what it is to screen readers,
 * which mostly do not announce those elements. */
export function diffView(diff: VersionDiff): HTMLElement {
  const titleId = `diff-title-${diff.from}-${diff.to}`;
  const changed = diff.sections.filter((s) => s.changed);
  const same = diff.sections.filter((s) => !s.changed);
  const marked = (op: DiffOp) =>
    op.op === "insert"
      ? h("ins", {}, h("span", { class: "sr-only" }, t("diff.ins_start")), op.text, h("span", { class: "sr-only" }, t("diff.ins_end")))
      : op.op === "delete"
        ? h("del", {}, h("span", { class: "sr-only" }, t("diff.del_start")), op.text, h("span", { class: "sr-only" }, t("diff.del_end")))
        : h("span", { class: "format-changed" }, h("span", { class: "sr-only" }, t("diff.fmt_start")), runs({ type: "paragraph", runs: op.runs ?? [[op.text, []]] }), h("span", { class: "sr-only" }, t("diff.fmt_end")));
  return h(
    "section",
    { class: "diff", "aria-labelledby": titleId },
    h("h3", { id: titleId, tabindex: "-1" }, t("diff.heading", { from: diff.from, to: diff.to })),
    h("p", { class: "legend-line" }, t("diff.legend"), " ", h("ins", {}, t("diff.legend_ins")), " ", h("del", {}, t("diff.legend_del")), " ", h("span", { class: "format-changed" }, t("diff.legend_fmt"))),
    changed.length
      ? changed.map((s) => {
          const added = s.ops.filter((op) => op.op === "insert").length;
          const removed = s.ops.filter((op) => op.op === "delete").length;
          const formatted = s.ops.filter((op) => op.op === "format").length;
          return h(
            "div",
            { class: "diff-section" },
            h("h4", {}, pick(s.title_fr, s.title_en ?? s.title_fr)),
            h("p", { class: "hint" }, [added ? tn("diff.added", added) : null, removed ? tn("diff.removed", removed) : null, formatted ? tn("diff.formatted", formatted) : null].filter(Boolean).join(", ")),
            h("div", { class: "diff-text" }, s.ops.map((op) => (op.op === "equal" ? op.text : marked(op)))),
          );
        })
      : h("p", {}, t("diff.none")),
    same.length ? h("p", { class: "muted" }, t("diff.unchanged", { sections: same.map((s) => pick(s.title_fr, s.title_en ?? s.title_fr)).join(", ") })) : null,
  );
}

/** The participants' box on the proposal screen: status, the versions, one read at a time. */
export function versionsSection(identity: Identity, proposalId: string): HTMLElement {
  const body = h("div", {});
  const error = errorRegion();
  const reader = h("div", { "aria-live": "polite" });
  const box = h("details", { class: "card versions" }, h("summary", {}, t("versions.title")), error.el, body, reader);
  let loaded = false;
  box.addEventListener("toggle", async () => {
    if (!box.open || loaded) return;
    loaded = true;
    try {
      const list = await api<VersionList>("GET", `/api/proposals/${encodeURIComponent(proposalId)}/versions`, undefined, identity.token);
      body.replaceChildren(
        h("p", {}, t("versions.status", { status: t(`proposal_status.${list.status}`) }), list.locked ? ` ${t("versions.locked")}` : ""),
        list.versions.length
          ? h(
              "ul",
              { class: "links" },
              list.versions.map((v) => {
                const open = h("button", { type: "button", class: "small" }, t("versions.read", { n: v.number }));
                open.addEventListener("click", () => void read(v.number));
                return h("li", {}, t("versions.line", { n: v.number, date: formatDateTime(v.created_at) }), " ", shortHash(v.hash), open);
              }),
            )
          : h("p", { class: "muted" }, t("versions.none")),
      );
    } catch (e) {
      loaded = false;
      error.show(errorText(e));
    }
  });
  const read = async (n: number) => {
    error.show(null);
    try {
      const v = await api<Version>("GET", `/api/proposals/${encodeURIComponent(proposalId)}/versions/${n}`, undefined, identity.token);
      reader.replaceChildren(frozenArticle(v));
    } catch (e) {
      error.show(errorText(e));
    }
  };
  return box;
}
