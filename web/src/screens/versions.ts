// A proposal's frozen versions, readable by everyone (READ_FROZEN): status, each version's
// number, date and fingerprint, and its text drawn from the stored blocks (never from HTML).
import { api, errorText } from "../api";
import { h } from "../dom";
import { pick, t } from "../i18n";
import type { Identity } from "../identity";
import { errorRegion } from "../ui";

interface VersionSummary {
  number: number;
  created_at: string;
  hash: string;
}

interface VersionList {
  status: string;
  locked: boolean;
  versions: VersionSummary[];
}

type Run = [string, string[]];
interface Block {
  type: string;
  level?: number;
  runs?: Run[];
  items?: Block[][];
}

interface Version extends VersionSummary {
  content: { sections: { key: string; title_fr: string; title_en: string; blocks: Block[] }[] };
}

const MARK_TAGS: Record<string, keyof HTMLElementTagNameMap> = { bold: "strong", italic: "em", strike: "s", code: "code", underline: "u" };

function runs(block: Block): Node[] {
  return (block.runs ?? []).map(([text, marks]) => {
    let node: Node = document.createTextNode(text);
    for (const mark of marks) {
      const tag = MARK_TAGS[mark];
      if (tag) node = h(tag, {}, node);
    }
    return node;
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
                return h("li", {}, t("versions.line", { n: v.number, date: new Date(v.created_at).toLocaleString() }), " ", h("code", { title: v.hash }, `${v.hash.slice(0, 12)}…`), open);
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
      reader.replaceChildren(
        h(
          "article",
          { class: "frozen", "aria-labelledby": "frozen-title" },
          h("h3", { id: "frozen-title" }, t("versions.heading", { n: v.number })),
          v.content.sections.map((s) => h("section", {}, h("h4", {}, pick(s.title_fr, s.title_en)), s.blocks.length ? s.blocks.map(blockView) : h("p", { class: "muted" }, t("versions.empty")))),
          h("p", { class: "hash" }, t("versions.hash"), " ", h("code", {}, v.hash)),
        ),
      );
    } catch (e) {
      error.show(errorText(e));
    }
  };
  return box;
}
