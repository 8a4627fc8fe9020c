// Client routes (the server answers index.html on each, see server/routes/web.py).
import { h } from "./dom";
import { t } from "./i18n";
import { pageTitle } from "./ui";

export type Params = Record<string, string>;
/** A screen draws itself into `main` and returns what to do when it is left. */
export type Screen = (main: HTMLElement, params: Params) => (() => void) | void;

interface Route {
  pattern: RegExp;
  names: string[];
  screen: () => Promise<Screen>;
}

const routes: Route[] = [];

export function route(path: string, screen: () => Promise<Screen>): void {
  const names: string[] = [];
  const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), names, screen });
}

let leave: (() => void) | void;
let renderToken = 0;

export async function render(main: HTMLElement): Promise<void> {
  const token = ++renderToken;
  if (leave) leave();
  leave = undefined;
  const path = location.pathname;
  for (const r of routes) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    const params: Params = {};
    r.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1])));
    let screen: Screen;
    try {
      screen = await r.screen();
    } catch {
      // Its code never came (offline before this screen was ever opened): say so, where the
      // last screen stayed as it was under the new address and the button seemed to do nothing.
      if (token === renderToken) unreachable(main);
      return;
    }
    if (token !== renderToken) return; // navigated again while loading
    main.replaceChildren();
    leave = screen(main, params);
    return;
  }
  const notFound = await routes[routes.length - 1].screen();
  main.replaceChildren();
  leave = notFound(main, {});
}

function unreachable(main: HTMLElement): void {
  const retry = h("button", { type: "button", class: "primary" }, t("error.retry"));
  const again = () => {
    window.removeEventListener("online", again);
    void render(main);
  };
  retry.addEventListener("click", again);
  window.addEventListener("online", again);
  leave = () => window.removeEventListener("online", again);
  main.replaceChildren(pageTitle(t("error.offline_title")), h("p", { role: "alert" }, t("error.network")), h("p", {}, retry));
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new Event("atelier:navigate"));
}

/** Pages the server renders itself (server/public): a link to them loads them. */
const SERVER_PAGES = /^\/decouvrir(\/|$)/;

/** Same-origin links navigate without a reload, except to the server's own pages. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    const anchor = (event.target as Element).closest("a");
    if (
      !anchor ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      anchor.target ||
      anchor.hasAttribute("download") ||
      anchor.origin !== location.origin ||
      anchor.pathname.startsWith("/api/") ||
      SERVER_PAGES.test(anchor.pathname) ||
      anchor.getAttribute("href")?.startsWith("#")
    )
      return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search + anchor.hash);
  });
}
