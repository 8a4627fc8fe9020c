// One ProseMirror editor bound to one Y.XmlFragment (a proposal's section), with the live
// cursors of the others. The schema writes what collab/render.py reads: `paragraph` nodes holding
// text, lists, the marks named as Tiptap names them (`bold`, `italic`, `bulletList`, …), so a
// Tiptap client would agree.
import { baseKeymap, toggleMark } from "prosemirror-commands";
import { keymap } from "prosemirror-keymap";
import { Schema } from "prosemirror-model";
import { EditorState } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { redo, undo, yCursorPlugin, ySyncPlugin, ySyncPluginKey, yUndoPlugin } from "y-prosemirror";
import type { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import { roleLabel } from "./roles";

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
    text: { group: "inline" },
  },
  marks: {
    bold: { parseDOM: [{ tag: "strong" }, { tag: "b" }], toDOM: () => ["strong", 0] },
    italic: { parseDOM: [{ tag: "em" }, { tag: "i" }], toDOM: () => ["em", 0] },
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

/** Destroy a section's view for good. y-prosemirror batches awareness updates (a cursor moved)
 * and dispatches them on the next tick unless the binding `isDestroyed`, a flag its own
 * `destroy` never sets: a peer's cursor arriving as the screen is left would then dispatch
 * into the destroyed view (« Cannot read properties of null (reading 'matchesNode') »). */
export function destroyView(view: EditorView): void {
  const sync = ySyncPluginKey.getState(view.state) as { binding?: { isDestroyed?: boolean } } | undefined;
  if (sync?.binding) sync.binding.isDestroyed = true;
  view.destroy();
}

export function sectionEditor(
  mount: HTMLElement,
  fragment: Y.XmlFragment,
  awareness: Awareness,
  options: { readOnly: () => boolean; labelledBy: string; describedBy: string; onFocus: () => void },
): EditorView {
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
        "Mod-z": undo,
        "Mod-y": redo,
        "Mod-Shift-z": redo,
        "Mod-b": toggleMark(schema.marks.bold),
        "Mod-i": toggleMark(schema.marks.italic),
      }),
      keymap(baseKeymap),
    ],
  });
  const view = new EditorView(mount, {
    state,
    // Functions, not values: a freeze can lock the text while it is open (see proposal.ts).
    editable: () => !options.readOnly(),
    attributes: () => ({
      role: "textbox",
      "aria-multiline": "true",
      "aria-labelledby": options.labelledBy,
      "aria-describedby": options.describedBy,
      "aria-readonly": options.readOnly() ? "true" : "false",
      class: "editor-area",
      spellcheck: "true",
    }),
  });
  view.dom.addEventListener("focus", options.onFocus);
  return view;
}
