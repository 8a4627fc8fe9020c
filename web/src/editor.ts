// One ProseMirror editor bound to one Y.XmlFragment (a proposal's section), with the live
// cursors of the others. The schema writes what collab/render.py reads: `paragraph` nodes holding
// text, lists, the marks named as Tiptap names them (`bold`, `italic`, `bulletList`, …), so a
// Tiptap client would agree.
import { baseKeymap, toggleMark } from "prosemirror-commands";
import { keymap } from "prosemirror-keymap";
import { Schema } from "prosemirror-model";
import { splitListItem, liftListItem, sinkListItem } from "prosemirror-schema-list";
import { EditorState, Plugin } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { redo, undo, yCursorPlugin, ySyncPlugin, ySyncPluginKey, yUndoPlugin } from "y-prosemirror";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { t } from "./i18n";
import { roleLabel } from "./roles";
import { safeHref } from "./links";
import { formatToolbar } from "./toolbar";

export const schema = new Schema({
  nodes: {
    doc: { content: "block+" },
    paragraph: { content: "inline*", group: "block", parseDOM: [{ tag: "p" }], toDOM: () => ["p", 0] },
    // Lists as Tiptap writes them. Without them in the schema, y-prosemirror cannot build a list
    // another client wrote (or a pasted one) and deletes it from the shared document.
    bulletList: { content: "listItem+", group: "block", parseDOM: [{ tag: "ul" }], toDOM: () => ["ul", 0] },
    orderedList: {
      content: "listItem+",
      group: "block",
      attrs: { start: { default: 1 } },
      parseDOM: [{ tag: "ol", getAttrs: (dom) => ({ start: Number((dom as HTMLElement).getAttribute("start") ?? 1) || 1 }) }],
      toDOM: (node) => (node.attrs.start === 1 ? ["ol", 0] : ["ol", { start: node.attrs.start }, 0]),
    },
    listItem: { content: "paragraph block*", defining: true, parseDOM: [{ tag: "li" }], toDOM: () => ["li", 0] },
    // Headings, quotes and line breaks as Tiptap writes them: no button makes them here (the
    // sections are the headings), but a text another client or a paste brought must survive
    // being opened — y-prosemirror deletes from the shared document what its schema lacks.
    heading: {
      attrs: { level: { default: 1 } },
      content: "inline*",
      group: "block",
      defining: true,
      parseDOM: [1, 2, 3, 4, 5, 6].map((level) => ({ tag: `h${level}`, attrs: { level } })),
      // Under the section's own heading (an h2): a level-1 heading inside it is an h3.
      toDOM: (node) => [`h${Math.min(6, Number(node.attrs.level) + 2)}`, 0],
    },
    blockquote: { content: "block+", group: "block", defining: true, parseDOM: [{ tag: "blockquote" }], toDOM: () => ["blockquote", 0] },
    hardBreak: { inline: true, group: "inline", selectable: false, parseDOM: [{ tag: "br" }], toDOM: () => ["br"] },
    text: { group: "inline" },
  },
  marks: {
    bold: { parseDOM: [{ tag: "strong" }, { tag: "b" }], toDOM: () => ["strong", 0] },
    italic: { parseDOM: [{ tag: "em" }, { tag: "i" }], toDOM: () => ["em", 0] },
    strike: { parseDOM: [{ tag: "s" }, { tag: "del" }], toDOM: () => ["s", 0] },
    underline: { parseDOM: [{ tag: "u" }], toDOM: () => ["u", 0] },
    code: { parseDOM: [{ tag: "code" }], toDOM: () => ["code", 0] },
    // A link to the web or an e-mail address. Whoever may write can put any attribute in the
    // shared document: an address that is not one (`javascript:`) is shown as plain text.
    link: {
      attrs: { href: {} },
      inclusive: false,
      parseDOM: [
        {
          tag: "a[href]",
          getAttrs: (dom) => {
            const href = (dom as HTMLElement).getAttribute("href") ?? "";
            return safeHref(href) ? { href } : false;
          },
        },
      ],
      toDOM: (mark) =>
        safeHref(String(mark.attrs.href))
          ? ["a", { href: String(mark.attrs.href), rel: "noopener noreferrer nofollow", target: "_blank" }, 0]
          : ["span", 0],
    },
  },
});

export interface AwarenessUser {
  name: string;
  color: string;
  role: string;
}

/** A remote cursor: a coloured caret and a label with the person's name and role. */
function cursorBuilder(user: AwarenessUser): HTMLElement {
  const cursor = document.createElement("span");
  cursor.className = "remote-cursor";
  // Seen, not read: a screen reader reading the text would otherwise read « Léa (habitant·e) »
  // in the middle of a sentence. Who is here, and where, is said in « Qui est là ».
  cursor.setAttribute("aria-hidden", "true");
  cursor.style.borderColor = user.color;
  const label = document.createElement("span");
  label.className = "remote-cursor-label";
  label.style.backgroundColor = user.color;
  label.textContent = user.role ? `${user.name} (${roleLabel(user.role)})` : user.name;
  label.dataset.name = user.name;
  // Word joiners keep the caret from breaking a line, as y-prosemirror's own builder does.
  cursor.append("\u2060", label, "\u2060");
  return cursor;
}

/** A name label near the right edge of the text (a phone's narrow screen) opens to the left of
 * its caret instead of running off the screen. Measured after each change of the view, when
 * y-prosemirror has drawn the cursors. */
function keepLabelsInside(view: EditorView): void {
  const labels = view.dom.querySelectorAll<HTMLElement>(".remote-cursor-label");
  if (labels.length === 0) return;
  const right = view.dom.getBoundingClientRect().right;
  for (const label of labels) {
    label.classList.remove("to-left");
    if (label.getBoundingClientRect().right > right) label.classList.add("to-left");
  }
}

/** Destroy a section's view for good. y-prosemirror batches awareness updates (a cursor moved)
 * and dispatches them on the next tick unless the binding `isDestroyed`, a flag its own
 * `destroy` never sets: a peer's cursor arriving as the screen is left would then dispatch
 * into the destroyed view (« Cannot read properties of null (reading 'matchesNode') »). */
export function destroyView(view: EditorView): void {
  const sync = ySyncPluginKey.getState(view.state) as { binding?: { isDestroyed?: boolean } } | undefined;
  if (sync?.binding) sync.binding.isDestroyed = true;
  view.destroy();
}

/** The selection as y-prosemirror keeps it across a Yjs transaction: relative positions. */
interface RelativeSelection {
  type: string;
  anchor: Y.RelativePosition | null;
  head: Y.RelativePosition | null;
}

interface Binding {
  doc: Y.Doc;
  beforeTransactionSelection: RelativeSelection | null;
}

/** The same caret, tied to the character on its left (assoc −1) rather than on its right. */
function leftStickyCaret(doc: Y.Doc, selection: RelativeSelection): RelativeSelection {
  const { anchor, head } = selection;
  if (selection.type !== "text" || anchor === null || head === null) return selection;
  if (!Y.compareRelativePositions(anchor, head) || anchor.assoc < 0) return selection;
  const at = Y.createAbsolutePositionFromRelativePosition(anchor, doc);
  if (at === null) return selection;
  const caret = Y.createRelativePositionFromTypeIndex(at.type, at.index, -1);
  return { ...selection, anchor: caret, head: caret };
}

/** Runs stay whole (issue 20, #1). Before a Yjs transaction, y-prosemirror records the selection
 * as relative positions and restores it after a remote change (`beforeTransactionSelection`,
 * then `restoreRelativeSelection` in sync-plugin.js). It records a caret tied to the character
 * on its right (assoc 0), or to the end of the text: a letter someone else types exactly at our
 * caret then lands before that anchor, the caret is restored after it, and our next letter goes
 * after theirs — two people appending to a paragraph interleave letter by letter. Tied to the
 * character on its left instead, the caret stays before the remote letter, so each person's next
 * letter follows their own and each run stays whole, one after the other.
 *
 * y-prosemirror 1.3.7 (the latest release) has no option for this, and every place that records
 * the selection (before any transaction, after a local change, an undo's saved selection)
 * assigns this one field: we turn a caret into its left-sticky form as it is stored. Range
 * selections and node selections are kept as recorded. */
function keepCaretsLeftSticky(binding: Binding): void {
  let kept = binding.beforeTransactionSelection;
  Object.defineProperty(binding, "beforeTransactionSelection", {
    configurable: true,
    enumerable: true,
    get: () => kept,
    set: (selection: RelativeSelection | null) => {
      kept = selection === null ? null : leftStickyCaret(binding.doc, selection);
    },
  });
}

export function sectionEditor(
  mount: HTMLElement,
  fragment: Y.XmlFragment,
  awareness: Awareness,
  options: {
    readOnly: () => boolean;
    /** Read-only but still navigable with a caret (amendment mode: a participant chooses a
     * passage with Shift+arrows to propose a replacement; amendments.ts). The text takes
     * the focus and the selection; nothing typed, pasted or dropped changes it. */
    navigable?: () => boolean;
    labelledBy: string;
    describedBy: string;
    onFocus: () => void;
    /** More plugins (the comments' highlights, comments.ts), after the binding's own. */
    plugins?: Plugin[];
  },
): EditorView {
  // The toolbar sits above the text; it follows the selection through a plugin view.
  let view: EditorView | null = null;
  const title = document.getElementById(options.labelledBy)?.textContent ?? "";
  const toolbar = formatToolbar(schema, () => view as EditorView, options.readOnly, t("toolbar.label", { section: title }));
  mount.before(toolbar.el);
  const item = schema.nodes.listItem;
  const state = EditorState.create({
    schema,
    plugins: [
      ySyncPlugin(fragment),
      yCursorPlugin(awareness, {
        cursorBuilder: cursorBuilder as never,
        selectionBuilder: ((user: AwarenessUser) => ({ style: `background-color: ${user.color}33`, class: "remote-selection" })) as never,
      }),
      yUndoPlugin(),
      keymap({
        // Undo changes the shared document directly: never while read-only.
        "Mod-z": (s) => options.readOnly() || undo(s),
        "Mod-y": (s) => options.readOnly() || redo(s),
        "Mod-Shift-z": (s) => options.readOnly() || redo(s),
        "Mod-b": toggleMark(schema.marks.bold),
        "Mod-i": toggleMark(schema.marks.italic),
        "Alt-F10": () => {
          toolbar.focus();
          return true;
        },
        "Mod-k": () => {
          if (view && !options.readOnly()) toolbar.editLink(view);
          return true;
        },
        Enter: splitListItem(item),
        "Mod-]": sinkListItem(item),
        "Mod-[": liftListItem(item),
      }),
      new Plugin({
        view: (v) => {
          toolbar.refresh(v);
          return {
            update: (u) => {
              toolbar.refresh(u);
              keepLabelsInside(u);
            },
          };
        },
      }),
      // While read-only, only the shared document changes the text (a peer's edit, drawn by
      // the binding), never a key, a paste or a drop here (the server refuses them anyway).
      new Plugin({
        filterTransaction: (tr) => !tr.docChanged || !options.readOnly() || tr.getMeta(ySyncPluginKey) !== undefined,
        props: {
          handleDOMEvents: {
            beforeinput: (_v, event) => {
              if (!options.readOnly()) return false;
              event.preventDefault();
              return true;
            },
          },
          handlePaste: () => options.readOnly(),
          handleDrop: () => options.readOnly(),
          handleTextInput: () => options.readOnly(),
        },
      }),
      ...(options.plugins ?? []),
      keymap(baseKeymap),
    ],
  });
  // Before the view exists: creating it renders the fragment, the binding's first transaction.
  keepCaretsLeftSticky((ySyncPluginKey.getState(state) as { binding: Binding }).binding);
  view = new EditorView(mount, {
    state,
    // Functions, not values: a freeze can lock the text while it is open (see proposal.ts).
    editable: () => !options.readOnly() || (options.navigable?.() ?? false),
    attributes: () => ({
      role: "textbox",
      "aria-multiline": "true",
      "aria-labelledby": options.labelledBy,
      "aria-describedby": options.describedBy,
      "aria-readonly": options.readOnly() ? "true" : "false",
      class: "editor-area",
      spellcheck: "true",
      // Read-only with a caret (amendment mode): a phone opens no keyboard on a tap.
      ...(options.readOnly() && options.navigable?.() ? { inputmode: "none" } : {}),
    }),
  });
  view.dom.addEventListener("focus", options.onFocus);
  const section = mount.parentElement ?? mount;
  section.addEventListener("focusin", () => toolbar.setActive(true));
  section.addEventListener("focusout", (event) => {
    if (!section.contains(event.relatedTarget as Node | null)) toolbar.setActive(false);
  });
  return view;
}
