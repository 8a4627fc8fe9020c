// The formatting toolbar of one section's editor (issue 20, #2): bold, italic, bullet and
// numbered lists, link. A WAI-ARIA toolbar: one Tab stop while its section has the focus, the
// arrow keys move between its buttons, each toggle says its state with `aria-pressed`, and every button keeps the caret in
// the text (a mouse press does not take the focus away from it).
import { toggleMark } from "prosemirror-commands";
import type { MarkType, NodeType, Schema } from "prosemirror-model";
import { liftListItem, wrapInList } from "prosemirror-schema-list";
import type { EditorState, Transaction } from "prosemirror-state";
import type { EditorView } from "prosemirror-view";
import { h, newId } from "./dom";
import { t } from "./i18n";
import { safeHref } from "./links";

type Command = (state: EditorState, dispatch?: (tr: Transaction) => void) => boolean;


/** What a person typed as an address, made into one: « www.ville.fr » is https://www.ville.fr. */
export function normaliseHref(typed: string): string {
  const href = typed.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  if (/^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(href)) return `mailto:${href}`;
  return `https://${href}`;
}

/** The mac's modifier is ⌘, everyone else's Ctrl: the hints say the key on the keyboard. */
export function modKey(): string {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent) ? "⌘" : "Ctrl";
}

/** The hint above the sections, for the device in hand: keys on a keyboard, the bar on a phone. */
export function shortcutHint(): string {
  return matchMedia("(pointer: coarse)").matches && !matchMedia("(pointer: fine)").matches
    ? t("proposal.shortcuts_touch")
    : t("proposal.shortcuts", { mod: modKey() });
}

function markActive(state: EditorState, type: MarkType): boolean {
  const { from, to, empty, $from } = state.selection;
  if (empty) return Boolean(type.isInSet(state.storedMarks ?? $from.marks()));
  return state.doc.rangeHasMark(from, to, type);
}

/** The list the selection is in, innermost first, with its position. */
function listAround(state: EditorState, types: NodeType[]): { type: NodeType; pos: number } | null {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) {
    const node = $from.node(depth);
    if (types.includes(node.type)) return { type: node.type, pos: $from.before(depth) };
  }
  return null;
}

/** Toggle a list: out of it when in it, the other kind of list changed into this one, or in. */
function toggleList(type: NodeType, other: NodeType, item: NodeType): Command {
  return (state, dispatch) => {
    const around = listAround(state, [type, other]);
    if (around?.type === type) return liftListItem(item)(state, dispatch);
    if (around) {
      if (dispatch) dispatch(state.tr.setNodeMarkup(around.pos, type));
      return true;
    }
    return wrapInList(type)(state, dispatch);
  };
}

interface Tool {
  key: string;
  keys?: string;
  run: (view: EditorView) => void;
  pressed?: (state: EditorState) => boolean;
}

export interface Toolbar {
  el: HTMLElement;
  refresh: (view: EditorView) => void;
  /** The link form, opened from the toolbar or with Mod-k. */
  editLink: (view: EditorView) => void;
  /** Whether the section has the focus: only then is the bar a Tab stop. */
  setActive: (on: boolean) => void;
  /** Move the focus to the bar (Alt+F10 in the text). */
  focus: () => void;
}

export function formatToolbar(schema: Schema, view: () => EditorView, readOnly: () => boolean, label: string): Toolbar {
  const { bold, italic, link } = schema.marks;
  const { bulletList, orderedList, listItem } = schema.nodes;
  const mod = modKey();
  const linkForm = linkEditor(view);
  const tools: Tool[] = [
    { key: "bold", keys: `${mod}+B`, run: (v) => toggleMark(bold)(v.state, v.dispatch), pressed: (s) => markActive(s, bold) },
    { key: "italic", keys: `${mod}+I`, run: (v) => toggleMark(italic)(v.state, v.dispatch), pressed: (s) => markActive(s, italic) },
    {
      key: "bullet_list",
      run: (v) => toggleList(bulletList, orderedList, listItem)(v.state, v.dispatch),
      pressed: (s) => listAround(s, [bulletList, orderedList])?.type === bulletList,
    },
    {
      key: "ordered_list",
      run: (v) => toggleList(orderedList, bulletList, listItem)(v.state, v.dispatch),
      pressed: (s) => listAround(s, [bulletList, orderedList])?.type === orderedList,
    },
    { key: "link", keys: `${mod}+K`, run: (v) => linkForm.open(v), pressed: (s) => markActive(s, link) },
  ];
  const buttons = tools.map((tool) =>
    h(
      "button",
      {
        type: "button",
        class: `tool tool-${tool.key}`,
        "aria-pressed": tool.pressed ? "false" : null,
        "aria-keyshortcuts": tool.keys ? tool.keys.replace("⌘", "Meta").replace("Ctrl", "Control") : null,
        title: tool.keys ? `${t(`toolbar.${tool.key}`)} (${tool.keys})` : null,
        // The caret stays in the text: a press does not move the focus to the button.
        onmousedown: (event: Event) => event.preventDefault(),
        onclick: () => {
          const v = view();
          if (readOnly()) return;
          tool.run(v);
          if (tool.key !== "link") v.focus();
        },
      },
      t(`toolbar.${tool.key}`),
    ),
  );
  const bar = h("div", { role: "toolbar", class: "toolbar", "aria-label": label }, buttons);
  // One Tab stop; the arrows, Home and End move along the bar (the WAI-ARIA toolbar pattern).
  bar.addEventListener("keydown", (event) => {
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = buttons[(to + buttons.length) % buttons.length];
    current = buttons.indexOf(next);
    buttons.forEach((b) => (b.tabIndex = b === next ? 0 : -1));
    next.focus();
  });
  const el = h("div", { class: "format" }, bar, linkForm.el);
  // Tab goes from one section's text to the next: a bar is a Tab stop only while its section
  // has the focus (Shift+Tab from the text, or Alt+F10, reaches it).
  let active = false;
  let current = 0;
  bar.addEventListener("focusin", (event) => {
    const at = buttons.indexOf(event.target as HTMLButtonElement);
    if (at >= 0) current = at;
  });
  const stops = () => buttons.forEach((b, i) => (b.tabIndex = active && i === current ? 0 : -1));
  stops();
  return {
    setActive: (on: boolean) => {
      active = on;
      stops();
    },
    focus: () => {
      active = true;
      stops();
      buttons[current].focus();
    },
    el,
    refresh: (v) => {
      el.hidden = readOnly();
      tools.forEach((tool, i) => {
        if (tool.pressed) buttons[i].setAttribute("aria-pressed", String(tool.pressed(v.state)));
      });
    },
    editLink: (v) => linkForm.open(v),
  };
}

/** A small form under the toolbar for a link's address: set, change or remove it. */
function linkEditor(view: () => EditorView): { el: HTMLElement; open: (v: EditorView) => void } {
  const inputId = newId("link-href");
  const errorId = newId("link-error");
  const input = h("input", { id: inputId, type: "text", inputmode: "url", autocomplete: "url", spellcheck: "false", "aria-describedby": errorId });
  const error = h("p", { id: errorId, class: "field-error", "aria-live": "polite" });
  const remove = h("button", { type: "button", class: "secondary" }, t("toolbar.link_remove"));
  const cancel = h("button", { type: "button", class: "secondary" }, t("toolbar.link_cancel"));
  const form = h(
    "form",
    { class: "link-form", hidden: true, novalidate: true },
    h("label", { for: inputId }, t("toolbar.link_href")),
    input,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("toolbar.link_apply")), remove, cancel),
  );
  let range: { from: number; to: number } | null = null;
  const close = () => {
    form.hidden = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    view().focus();
  };
  /** The extent of the link around the caret, or the selection. */
  const target = (v: EditorView): { from: number; to: number; href: string } => {
    const { state } = v;
    const type = state.schema.marks.link;
    let { from, to, empty } = state.selection;
    const { $from } = state.selection;
    // What the person sees chosen: the page's selection may be a step ahead of the editor's,
    // which reads it on the browser's next « selectionchange » (a quick Shift+Ctrl+← then Ctrl+K).
    const seen = document.getSelection();
    if (seen && !seen.isCollapsed && seen.anchorNode && seen.focusNode && v.dom.contains(seen.anchorNode) && v.dom.contains(seen.focusNode)) {
      const a = v.posAtDOM(seen.anchorNode, seen.anchorOffset);
      const b = v.posAtDOM(seen.focusNode, seen.focusOffset);
      [from, to, empty] = [Math.min(a, b), Math.max(a, b), a === b];
    }
    const mark = type.isInSet(empty ? $from.marks() : []) ?? null;
    if (!empty || !mark) {
      let href = "";
      state.doc.nodesBetween(from, to, (node) => {
        const found = type.isInSet(node.marks);
        if (found && !href) href = String(found.attrs.href);
      });
      return { from, to, href };
    }
    // The caret inside a link: the whole run carrying that same mark.
    const parent = $from.parent;
    const start = $from.start();
    let runFrom = from;
    let runTo = from;
    parent.forEach((child, offset) => {
      const a = start + offset;
      const b = a + child.nodeSize;
      if (mark.isInSet(child.marks) && a <= from && from <= b) {
        runFrom = a;
        runTo = b;
      }
    });
    return { from: runFrom, to: runTo, href: String(mark.attrs.href) };
  };
  const open = (v: EditorView) => {
    const found = target(v);
    range = { from: found.from, to: found.to };
    input.value = found.href;
    remove.hidden = !found.href;
    form.hidden = false;
    input.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = view();
    const href = normaliseHref(input.value);
    if (!input.value.trim() || !safeHref(href)) {
      error.textContent = t("toolbar.link_invalid");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    if (!range) return close();
    const type = v.state.schema.marks.link;
    const mark = type.create({ href });
    let tr = v.state.tr;
    if (range.from === range.to) {
      // Nothing chosen: the address itself becomes the linked text.
      tr = tr.insert(range.from, v.state.schema.text(input.value.trim(), [mark]));
    } else {
      tr = tr.removeMark(range.from, range.to, type).addMark(range.from, range.to, mark);
    }
    v.dispatch(tr);
    close();
  });
  remove.addEventListener("click", () => {
    const v = view();
    if (range) v.dispatch(v.state.tr.removeMark(range.from, range.to, v.state.schema.marks.link));
    close();
  });
  cancel.addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  return { el: form, open };
}
