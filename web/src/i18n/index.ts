// Catalogs: French first, English second. Every visible string comes from here; a test checks
// that both catalogs have the same keys (scripts/check-i18n.mjs, tests/web/test_i18n.py).
// French is in the main bundle; English is fetched when chosen (a phone that never switches
// never downloads it). The strings of screens a phone never opens (the council staff's) are a
// part of their own (`council.fr.json`, `council.en.json`), fetched with those screens.
import fr from "./fr.json";

export type Lang = "fr" | "en";
type Catalog = Record<string, string>;
export type Part = "council" | "organise" | "cowrite";
const CATALOGS: Partial<Record<Lang, Catalog>> = { fr: { ...fr } };
const PARTS: Record<Part, Record<Lang, () => Promise<{ default: Catalog }>>> = {
  council: { fr: () => import("./council.fr.json"), en: () => import("./council.en.json") },
  // Creating ateliers and séances, the staff's sign-in, the facilitator's console and its door:
  // screens residents never open (a phone joining or voting downloads none of their words).
  organise: { fr: () => import("./organise.fr.json"), en: () => import("./organise.en.json") },
  // Amendments and the history: the proposal screens', fetched with them (a phone joining or
  // voting needs none).
  cowrite: { fr: () => import("./cowrite.fr.json"), en: () => import("./cowrite.en.json") },
};
const needed = new Set<Part>();
const loaded = new Set<string>(); // `${part}.${lang}`

async function load(which: Lang): Promise<void> {
  if (!CATALOGS[which]) CATALOGS[which] = { ...(await import("./en.json")).default };
  for (const part of needed) {
    // French too: t() falls back to French for a key missing in the current language.
    for (const lang of new Set<Lang>([which, "fr"])) {
      if (loaded.has(`${part}.${lang}`)) continue;
      const strings = (await PARTS[part][lang]()).default;
      CATALOGS[lang] = { ...CATALOGS[lang], ...strings };
      loaded.add(`${part}.${lang}`);
    }
  }
}

// One load at a time, so that two of them never overwrite each other's strings; a failed one
// (no network for the English catalog) does not block the next.
let loading: Promise<void> = Promise.resolve();
function ensure(which: Lang): Promise<void> {
  loading = loading.catch(() => undefined).then(() => load(which));
  return loading;
}

/** Resolves once the current language's catalog is loaded (await before the first render). */
export function ready(): Promise<void> {
  return ensure(current);
}

/** Load a part of the catalogs (in the current language, and in any language chosen later);
 * a screen that uses its strings awaits this before drawing. */
export function need(part: Part): Promise<void> {
  needed.add(part);
  return ensure(current);
}
const STORAGE_KEY = "atelier.lang";

/** The language a link asks for (`?lang=`: the public pages' links to the join screen keep
 * theirs), kept from then on; else the one chosen on this device; else English when the browser
 * puts it first, as the server's pages and errors do (server/errors.py); else French. */
function initialLang(): Lang {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "fr") {
    localStorage.setItem(STORAGE_KEY, asked);
    return asked;
  }
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "fr") return stored;
  return (navigator.languages?.[0] ?? navigator.language ?? "").toLowerCase().startsWith("en") ? "en" : "fr";
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export async function setLang(next: Lang): Promise<void> {
  await ensure(next);
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener();
}

export function onLangChange(listener: () => void): void {
  listeners.add(listener);
}

/** The string `key` in the current language, with `{name}` placeholders filled. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = CATALOGS[current]?.[key] ?? CATALOGS.fr?.[key];
  if (text === undefined) {
    console.error(`i18n: missing key ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in params ? String(params[name]) : `{${name}}`,
  );
}

/** A string in French whatever the current language: to recognise words stored in French. */
export function inFrench(key: string): string | undefined {
  return CATALOGS.fr?.[key];
}

/** Plural forms: `key.one` / `key.other`, chosen by the language's rules, `{n}` filled. */
export function tn(key: string, n: number, params: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(current).select(n) === "one" ? "one" : "other";
  return t(`${key}.${form}`, { n: formatNumber(n), ...params });
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(current).format(n);
}

export function formatDate(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(current, { dateStyle: "full", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** A moment the server stamped (ISO 8601), as a date and time in the chosen language. */
export function formatDateTime(iso: string): string {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { dateStyle: "long", timeStyle: "short" }).format(when);
}

/** A server-side text given in both languages (problem details, templates). */
export function pick(fr: string | undefined, en: string | undefined): string {
  return (current === "en" ? en || fr : fr || en) ?? "";
}

document.documentElement.lang = current;
