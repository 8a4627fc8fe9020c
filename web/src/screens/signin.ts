// /connexion — the city staff's sign-in (issue 19): `atelier facilitator-invite --name …`
// prints `{base}/connexion#jeton=…`. The token leaves the address bar at once, is checked with
// `GET /api/staff/me`, and is kept on this device (src/staff.ts). Signed in, a staff member
// proposes an atelier de projet and approves the ateliers residents started, which stay
// unlisted until the city approves them or they are constituted (README « Who may create
// what »). A link pasted into the form works as well as one opened.
import "../organise.css";
import { api, ApiError, errorText } from "../api";
import { append, h, newId } from "../dom";
import { formatDateTime, t } from "../i18n";
import type { Screen } from "../router";
import { forgetStaffToken, keepStaffToken, staffToken, staffTokenFromHash, tokenFromPasted, type StaffMe } from "../staff";
import { errorRegion, focusNextTitle, loading, pageTitle } from "../ui";
import { staffSubjects } from "./staff-subjects";

/** GET /api/staff/ateliers */
interface Pending {
  id: string;
  title: string;
  subject: string;
  scope: string;
  neighbourhood: string | null;
  status: string;
  created_at: string;
}

/** The server's refusal of a staff credential, in words a person can act on. */
export function refusedText(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return t("organise.signin.refused", { detail: error.text });
  return errorText(error);
}

export const staffSignIn: Screen = (main) => {
  const fromLink = staffTokenFromHash();
  const token = fromLink ?? staffToken();
  let alive = true;
  const showForm = (problem: string | null, notice: string | null) => {
    if (!alive) return;
    main.replaceChildren();
    signInForm(main, problem, notice, (checked, me) => {
      focusNextTitle();
      main.replaceChildren();
      signedIn(main, checked, me, () => alive, showForm);
    });
  };
  if (!token) {
    showForm(null, null);
  } else {
    const status = loading();
    main.append(pageTitle(t("organise.signin.title")), status);
    api<StaffMe>("GET", "/api/staff/me", undefined, token)
      .then((me) => {
        if (!alive) return;
        keepStaffToken(token);
        main.replaceChildren();
        signedIn(main, token, me, () => alive, showForm);
      })
      .catch((error) => {
        if (!alive) return;
        if (error instanceof ApiError && error.status === 401) forgetStaffToken();
        showForm(refusedText(error), null);
      });
  }
  return () => {
    alive = false;
  };
};

function signInForm(main: HTMLElement, error: string | null, notice: string | null, done: (token: string, me: StaffMe) => void): void {
  const inputId = newId("staff-link");
  const hintId = newId("staff-link-hint");
  const problem = errorRegion();
  const input = h("input", { id: inputId, name: "link", type: "text", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": hintId });
  const submit = h("button", { type: "submit", class: "primary" }, t("organise.signin.submit"));
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("div", { class: "field" }, h("label", { for: inputId }, t("organise.signin.link_label")), h("p", { id: hintId, class: "hint" }, t("organise.signin.link_hint")), input),
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
    if (submit.disabled) return;
    problem.show(null);
    input.removeAttribute("aria-invalid");
    const token = tokenFromPasted(input.value);
    if (!token) return refuse(t("organise.signin.link_missing"));
    submit.disabled = true;
    try {
      const me = await api<StaffMe>("GET", "/api/staff/me", undefined, token);
      keepStaffToken(token);
      input.value = "";
      done(token, me);
    } catch (e) {
      submit.disabled = false;
      refuse(refusedText(e));
    }
  });
  append(main, [
    pageTitle(t("organise.signin.title")),
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    h("p", { class: "lead" }, t("organise.signin.intro")),
    form,
    h("p", {}, t("organise.signin.residents"), " ", h("a", { href: "/nouvel-atelier" }, t("organise.signin.residents_link"))),
  ]);
  if (error) refuse(error);
}

function signedIn(
  main: HTMLElement,
  token: string,
  me: StaffMe,
  alive: () => boolean,
  signOut: (problem: string | null, notice: string | null) => void,
): void {
  const listStatus = h("p", { role: "status", class: "muted" });
  const list = h("div", {});
  const problem = errorRegion();
  const out = h("button", { type: "button", class: "small" }, t("organise.signin.sign_out"));
  out.addEventListener("click", () => {
    forgetStaffToken();
    focusNextTitle();
    signOut(null, t("organise.signin.signed_out"));
  });
  append(main, [
    pageTitle(t("organise.signin.title")),
    h(
      "p",
      { class: "me staff-bar" },
      h("span", { "data-testid": "staff-name" }, t("organise.signin.signed_in", { name: me.name })),
      out,
    ),
    h("p", { class: "hint" }, t("organise.signin.valid_until", { when: formatDateTime(new Date(me.expires_at * 1000).toISOString()) })),
    h(
      "section",
      { class: "card", "aria-labelledby": "propose-title" },
      h("h2", { id: "propose-title" }, t("organise.signin.propose_title")),
      h("p", {}, t("organise.signin.propose_text")),
      h("p", { class: "actions" }, h("a", { href: "/nouvel-atelier?type=projet", class: "button primary-link" }, t("organise.signin.create_ap"))),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "pending-title" },
      h("h2", { id: "pending-title" }, t("organise.signin.pending_title")),
      h("p", { class: "hint" }, t("organise.signin.pending_hint")),
      problem.el,
      listStatus,
      list,
    ),
    ...staffSubjects(token, alive, (e) => {
      forgetStaffToken();
      signOut(refusedText(e), null);
    }),
  ]);

  const draw = (rows: Pending[]) => {
    listStatus.textContent = rows.length ? "" : t("organise.signin.pending_none");
    list.replaceChildren(
      ...rows.map((row) => {
        const titleId = newId("pending");
        const approve = h("button", { type: "button", class: "primary", "aria-describedby": titleId }, t("organise.signin.approve"));
        const outcome = h("p", { role: "status" });
        const rowError = errorRegion();
        approve.addEventListener("click", async () => {
          if (approve.disabled) return;
          approve.disabled = true;
          rowError.show(null);
          try {
            await api("POST", `/api/ateliers/${encodeURIComponent(row.id)}/approval`, {}, token);
            approve.remove();
            outcome.className = "ok-line";
            outcome.textContent = t("organise.signin.approved", { title: row.title });
          } catch (e) {
            approve.disabled = false;
            if (e instanceof ApiError && e.status === 401) {
              forgetStaffToken();
              signOut(refusedText(e), null);
              return;
            }
            rowError.show(errorText(e));
          }
        });
        return h(
          "article",
          { class: "pending", "aria-labelledby": titleId, "data-atelier": row.id },
          h("h3", { id: titleId }, row.title),
          h(
            "p",
            { class: "muted" },
            row.scope === "quartier" && row.neighbourhood ? t("organise.scope.quartier_named", { name: row.neighbourhood }) : t(`organise.scope.${row.scope === "quartier" ? "quartier" : "ville"}`),
            " · ",
            t("organise.signin.started", { when: formatDateTime(row.created_at) }),
          ),
          h("p", { class: "subject" }, row.subject),
          rowError.el,
          outcome,
          approve,
        );
      }),
    );
  };
  listStatus.textContent = t("common.loading");
  api<Pending[]>("GET", "/api/staff/ateliers", undefined, token)
    .then((rows) => alive() && draw(rows))
    .catch((e) => {
      if (!alive()) return;
      if (e instanceof ApiError && e.status === 401) {
        forgetStaffToken();
        signOut(refusedText(e), null);
        return;
      }
      listStatus.textContent = "";
      problem.show(errorText(e));
    });
}
