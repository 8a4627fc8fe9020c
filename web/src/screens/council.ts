// The council staff's desk (/conseil): signing in with the council credential, then what the
// ateliers handed over, grouped by status, filtered by status, instance and atelier. The
// proposal itself is council-proposal.ts. Both screens go through `councilScreen`, which asks
// for the credential when there is none and again when the server refuses it (expired,
// revoked key).
import { api, ApiError, COUNCIL_COOKIE, errorText, type Credential } from "../api";
import { councilSignedIn, councilTokenFromHash, forgetOldToken, signInCouncil, signOutCouncil } from "../council";
import { append, h, newId } from "../dom";
import { formatDateTime, t, tn } from "../i18n";
import type { Params, Screen } from "../router";
import { errorRegion, focusNextTitle, loading, pageTitle } from "../ui";
import { shortHash, type Decision } from "./versions";

/** The statuses the council sees, in the order a proposal goes through them. */
export const HANDED_OVER = ["transmise", "en_instruction", "adoptee", "ajournee", "rejetee"] as const;
const INSTANCES = ["CQ", "CC", "CRE", "CDJ", "CD", "ATP"];

/** GET /api/council/proposals */
interface CouncilRow {
  id: string;
  title: string;
  kind: string;
  status: string;
  decision: Decision | null;
  atelier: { id: string; title: string; instances: string[] };
  latest_version: { number: number; created_at: string; hash: string } | null;
}

export interface CouncilSession {
  /** What the screens send: the cookie the sign-in set. */
  token: Credential;
  /** Signed in as … and « Se déconnecter ». */
  bar(): HTMLElement;
  /** True (and back to the sign-in form, saying why) when `error` is the server refusing the
   * credential; false for any other error, which the screen shows itself. */
  refused(error: unknown): boolean;
}

type CouncilDraw = (main: HTMLElement, params: Params, session: CouncilSession) => (() => void) | void;

export function instanceLabel(code: string): string {
  return INSTANCES.includes(code) ? t("council.instance_named", { name: t(`instance.${code.toLowerCase()}`), code }) : code;
}

/** A council screen: drawn with the credential, or after the sign-in form. */
export function councilScreen(draw: CouncilDraw): Screen {
  return (main, params) => {
    let leave: (() => void) | void;
    const signIn = (error: string | null, notice: string | null) => {
      leave?.();
      leave = undefined;
      focusNextTitle();
      main.replaceChildren();
      signInForm(main, error, notice, start);
    };
    let alive = true;
    const start = (name: string) => {
      if (!alive) return;
      main.replaceChildren();
      leave = draw(main, params, {
        token: COUNCIL_COOKIE,
        bar: () =>
          signedInBar(name, () => {
            void signOutCouncil()
              .catch(() => undefined)
              .then(() => signIn(null, t("council.signed_out")));
          }),
        refused: (error) => {
          if (!(error instanceof ApiError) || error.status !== 401) return false;
          signIn(t("council.refused", { detail: error.text }), null);
          return true;
        },
      });
    };
    forgetOldToken();
    const fromLink = councilTokenFromHash();
    const status = loading();
    main.append(status);
    // A link's token signs this browser in; else the sign-in it already keeps, from any tab.
    (fromLink ? signInCouncil(fromLink) : councilSignedIn())
      .then((signedIn) => {
        status.remove();
        if (!alive) return;
        if (signedIn) start(signedIn.name);
        else signInForm(main, null, null, start);
      })
      .catch((e: unknown) => {
        status.remove();
        if (!alive) return;
        signInForm(main, refusal(e), null, start);
      });
    return () => {
      alive = false;
      leave?.();
    };
  };
}

/** Why a token was refused, in the screen's words. */
function refusal(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return t("council.refused", { detail: e.text });
  if (e instanceof ApiError && e.status === 403) return t("council.not_council");
  return errorText(e);
}

function signedInBar(name: string, signOut: () => void): HTMLElement {
  return h(
    "p",
    { class: "me council-bar" },
    t("council.signed_in", { name }),
    " ",
    h("button", { type: "button", class: "small", onclick: signOut }, t("council.sign_out")),
  );
}

function signInForm(main: HTMLElement, error: string | null, notice: string | null, done: (name: string) => void): void {
  const inputId = newId("council-token");
  const hintId = newId("council-token-hint");
  const showId = newId("council-token-show");
  const problem = errorRegion();
  const input = h("input", { id: inputId, name: "token", type: "password", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": hintId });
  const show = h("input", { type: "checkbox", id: showId });
  show.addEventListener("change", () => (input.type = show.checked ? "text" : "password"));
  const submit = h("button", { type: "submit", class: "primary" }, t("council.sign_in"));
  const form = h(
    "form",
    { class: "card stacked", novalidate: true },
    h("div", { class: "field" }, h("label", { for: inputId }, t("council.token_label")), h("p", { id: hintId, class: "hint" }, t("council.token_hint")), input),
    h("p", { class: "check" }, show, h("label", { for: showId }, t("council.token_show"))),
    problem.el,
    submit,
  );
  const refuse = (text: string) => {
    problem.show(text);
    input.setAttribute("aria-invalid", "true");
    input.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.show(null);
    const token = input.value.trim();
    if (!token) return refuse(t("council.token_missing"));
    submit.disabled = true;
    try {
      // The server checks the token and keeps it for this browser: it alone knows its worth.
      const signedIn = await signInCouncil(token);
      focusNextTitle();
      done(signedIn.name);
    } catch (e) {
      submit.disabled = false;
      refuse(refusal(e));
    }
  });
  append(main, [
    pageTitle(t("council.signin_title")),
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    h("p", { class: "lead" }, t("council.intro")),
    form,
  ]);
  if (error) refuse(error);
}

export const councilDesk = councilScreen((main, _params, session) => {
  const query = new URLSearchParams(location.search);
  const wanted = { status: query.get("statut") ?? "", instance: query.get("instance") ?? "", atelier: query.get("atelier") ?? "" };
  const status = loading();
  const problem = errorRegion();
  const count = h("p", { role: "status", class: "count-line" });
  const groups = h("div", {});
  main.append(pageTitle(t("council.title")), session.bar(), h("p", {}, t("council.desk_intro")), status, problem.el);
  let alive = true;

  const select = (id: string, label: string, all: string, options: [string, string][], value: string) => {
    const el = h("select", { id, name: id }, h("option", { value: "" }, all), options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
    return { el, field: h("div", { class: "field" }, h("label", { for: id }, label), el) };
  };

  const drawGroups = (rows: CouncilRow[]) => {
    count.textContent = tn("council.count", rows.length);
    const shown = HANDED_OVER.filter((s) => rows.some((row) => row.status === s));
    groups.replaceChildren(
      ...(shown.length
        ? shown.map((s) => {
            const mine = rows.filter((row) => row.status === s);
            const titleId = `group-${s}`;
            return h(
              "section",
              { class: "card group", "aria-labelledby": titleId },
              h("h2", { id: titleId }, t(`council.group.${s}`), h("span", { class: "sub" }, tn("council.count", mine.length))),
              h("ul", { class: "proposal-list" }, mine.map(proposalItem)),
            );
          })
        : [h("p", { class: "muted" }, t("council.none"))]),
    );
  };

  const load = async (filters: typeof wanted) => {
    const search = new URLSearchParams();
    if (filters.status) search.set("status", filters.status);
    if (filters.instance) search.set("instance", filters.instance);
    if (filters.atelier) search.set("atelier", filters.atelier);
    const suffix = search.toString() ? `?${search}` : "";
    return api<CouncilRow[]>("GET", `/api/council/proposals${suffix}`, undefined, session.token);
  };

  // Everything once, for the filters' choices; then what the filters ask, from the server.
  load({ status: "", instance: "", atelier: "" })
    .then(async (all) => {
      if (!alive) return;
      const ateliers = new Map(all.map((row) => [row.atelier.id, row.atelier.title]));
      const instances = [...new Set(all.flatMap((row) => row.atelier.instances ?? []))].sort();
      const byStatus = select("filter-status", t("council.filter_status"), t("council.all_statuses"), HANDED_OVER.map((s) => [s, t(`council.group.${s}`)]), wanted.status);
      const byInstance = select("filter-instance", t("council.filter_instance"), t("council.all_instances"), instances.map((code) => [code, instanceLabel(code)]), wanted.instance);
      const byAtelier = select("filter-atelier", t("council.filter_atelier"), t("council.all_ateliers"), [...ateliers].sort((a, b) => a[1].localeCompare(b[1])), wanted.atelier);
      const form = h(
        "form",
        { class: "card filters stacked", role: "search", "aria-label": t("council.filters") },
        h("div", { class: "field-row" }, byStatus.field, byInstance.field, byAtelier.field),
        h(
          "p",
          { class: "actions" },
          h("button", { type: "submit", class: "primary" }, t("council.filter")),
          h("button", { type: "button", onclick: () => showAll() }, t("council.show_all")),
        ),
      );
      const apply = async () => {
        const filters = { status: byStatus.el.value, instance: byInstance.el.value, atelier: byAtelier.el.value };
        const search = new URLSearchParams();
        if (filters.status) search.set("statut", filters.status);
        if (filters.instance) search.set("instance", filters.instance);
        if (filters.atelier) search.set("atelier", filters.atelier);
        // The filters in the address (a bookmark, the back button), without leaving the screen.
        history.replaceState(history.state, "", `/conseil${search.toString() ? `?${search}` : ""}`);
        problem.show(null);
        try {
          drawGroups(await load(filters));
        } catch (e) {
          if (!session.refused(e)) problem.show(errorText(e));
        }
      };
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void apply();
      });
      const showAll = () => {
        byStatus.el.value = byInstance.el.value = byAtelier.el.value = "";
        void apply();
      };
      const first = wanted.status || wanted.instance || wanted.atelier ? await load(wanted) : all;
      if (!alive) return;
      status.remove();
      main.append(form, count, groups);
      drawGroups(first);
    })
    .catch((e) => {
      if (!alive || session.refused(e)) return;
      status.remove();
      problem.show(errorText(e));
    });
  return () => {
    alive = false;
  };
});

function proposalItem(row: CouncilRow): HTMLElement {
  const latest = row.latest_version;
  return h(
    "li",
    {},
    h("h3", {}, h("a", { href: `/conseil/proposition/${encodeURIComponent(row.id)}` }, row.title)),
    h(
      "p",
      { class: "meta" },
      t("council.from_atelier", { atelier: row.atelier.title }),
      row.atelier.instances?.length ? ` — ${row.atelier.instances.map(instanceLabel).join(", ")}` : "",
    ),
    latest
      ? h("p", { class: "meta" }, t("council.latest", { n: latest.number, date: formatDateTime(latest.created_at) }), " ", shortHash(latest.hash))
      : h("p", { class: "muted" }, t("versions.none")),
  );
}
