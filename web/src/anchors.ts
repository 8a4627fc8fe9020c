// A passage of a section's text, kept as the server keeps it for comments (comments.ts) and
// amendments (amendments.ts): two Yjs relative positions, base64 of `Y.encodeRelativePosition`
// — its first character (tied to the right), and its end tied to its last character (to the
// left) — so that text typed before it moves it and text typed just around it does not widen
// it. When the passage is deleted both positions resolve to the same point: « detached ».
import type { EditorState } from "prosemirror-state";
import type { EditorView } from "prosemirror-view";
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from "y-prosemirror";
import * as Y from "yjs";

/** Where a passage is now: in the text, deleted from it, not known yet (the part of the
 * document holding it has not arrived: a highlight to come, not a deleted passage), or the
 * whole section (no anchors). */
export type Place = { kind: "text"; from: number; to: number } | { kind: "detached" } | { kind: "unknown" } | { kind: "section" };

export interface Binding {
  doc: Y.Doc;
  type: Y.XmlFragment;
  mapping: Map<unknown, unknown>;
}

/** A passage chosen in a view: its two positions (encoded), its words, and where it is now. */
export interface Passage {
  start: string;
  end: string;
  quote: string;
  from: number;
  to: number;
}

export function decodeAnchor(encoded: string | null): Y.RelativePosition | null {
  if (!encoded) return null;
  try {
    const raw = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    return Y.decodeRelativePosition(raw);
  } catch {
    return null; // unreadable: shown as detached, with its quote
  }
}

export function encodeAnchor(position: Y.RelativePosition): string {
  return btoa(String.fromCharCode(...Y.encodeRelativePosition(position)));
}

/** Decoded anchors, by value (decoding once per anchor, not once per redraw). */
export function anchorCache(): (encoded: string | null) => Y.RelativePosition | null {
  const positions = new Map<string, Y.RelativePosition | null>();
  return (encoded) => {
    if (!encoded) return null;
    if (!positions.has(encoded)) positions.set(encoded, decodeAnchor(encoded));
    return positions.get(encoded) ?? null;
  };
}

export function bindingOf(state: EditorState): Binding | null {
  const sync = ySyncPluginKey.getState(state) as { binding?: Binding } | undefined;
  return sync?.binding ?? null;
}

/** Whether this document has received the item a position names. */
function known(doc: Y.Doc, position: Y.RelativePosition): boolean {
  const id = position.item ?? position.type;
  return id === null || Y.getState(doc.store, id.client) > id.clock;
}

/** The relative position of `pos`, tied to the character on its right (assoc 0) or left (−1). */
function relative(binding: Binding, pos: number, assoc: number): Y.RelativePosition {
  const rel = absolutePositionToRelativePosition(pos, binding.type, binding.mapping as never) as Y.RelativePosition;
  const at = Y.createAbsolutePositionFromRelativePosition(rel, binding.doc);
  return at ? Y.createRelativePositionFromTypeIndex(at.type, at.index, assoc) : rel;
}

function absolute(binding: Binding, position: Y.RelativePosition, size: number): number | null {
  try {
    const pos = relativePositionToAbsolutePosition(binding.doc, binding.type, position, binding.mapping as never);
    return pos === null || pos < 0 || pos > size ? null : pos;
  } catch {
    return null; // a type the view has not drawn: treated as not there
  }
}

/** Where the passage between two encoded anchors is in `state` (none: the whole section). */
export function placeOf(state: EditorState, start: string | null, end: string | null, decoded: (encoded: string | null) => Y.RelativePosition | null): Place {
  if (start === null || end === null) return { kind: "section" };
  const from = decoded(start);
  const to = decoded(end);
  const binding = bindingOf(state);
  if (!from || !to || !binding) return { kind: from && to ? "unknown" : "detached" };
  if (!known(binding.doc, from) || !known(binding.doc, to)) return { kind: "unknown" };
  const size = state.doc.content.size;
  const a = absolute(binding, from, size);
  const b = absolute(binding, to, size);
  return a !== null && b !== null && a < b ? { kind: "text", from: a, to: b } : { kind: "detached" };
}

/** The passage chosen in a view, as the server keeps it: its two positions and its words
 * (`maxQuote` characters at most, an ellipsis past them). */
export function chosenPassage(view: EditorView, maxQuote: number): Passage | null {
  let { from, to } = view.state.selection;
  // What the person sees chosen: the page's selection may be a step ahead of the editor's,
  // which reads it on the browser's next « selectionchange » (Shift+→ then Tab at once).
  const seen = document.getSelection();
  if (seen && !seen.isCollapsed && seen.anchorNode && seen.focusNode && view.dom.contains(seen.anchorNode) && view.dom.contains(seen.focusNode)) {
    const a = view.posAtDOM(seen.anchorNode, seen.anchorOffset);
    const b = view.posAtDOM(seen.focusNode, seen.focusOffset);
    [from, to] = [Math.min(a, b), Math.max(a, b)];
  }
  if (from === to) return null;
  const words = view.state.doc.textBetween(from, to, " ", " ").replace(/\s+/g, " ").trim();
  const binding = bindingOf(view.state);
  if (!words || !binding) return null;
  const quote = words.length > maxQuote ? `${words.slice(0, maxQuote - 1)}…` : words;
  return { start: encodeAnchor(relative(binding, from, 0)), end: encodeAnchor(relative(binding, to, -1)), quote, from, to };
}

/** Whether `from`…`to` stays inside one paragraph (or heading, or list item's paragraph). */
export function withinOneBlock(state: EditorState, from: number, to: number): boolean {
  return state.doc.resolve(from).sameParent(state.doc.resolve(to));
}
