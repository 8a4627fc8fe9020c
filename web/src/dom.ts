// A tiny element builder: screens are plain DOM, no framework (see web/README.md).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (name === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let uid = 0;
/** A document-unique id, for label/aria pairs. */
export function newId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Keep `list`'s children as `els`, in that order, moving only what must move (a focused
 * button or a half-typed reply in one of them stays as it is). */
export function placeChildren(list: HTMLElement, els: HTMLElement[]): void {
  els.forEach((el, i) => {
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
  });
  while (list.children.length > els.length) list.lastElementChild?.remove();
}

/** `work` run one at a time: a call while it runs runs it once more after (the events that
 * asked meanwhile are answered by that run), and waits for it. */
export function coalesced(work: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let again = false;
  return async () => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await work();
      } while (again);
    })();
    try {
      await inFlight;
    } finally {
      inFlight = null;
    }
  };
}
