// Home: type the séance's code (or scan its QR code, which opens /rejoindre/{code} directly),
// and come back to the ateliers this browser already joined.
import { append, h } from "../dom";
import { t } from "../i18n";
import { identities } from "../identity";
import { navigate, type Screen } from "../router";
import { errorRegion, pageTitle } from "../ui";
import { roleLabel } from "../roles";

export const home: Screen = (main) => {
  const error = errorRegion();
  const input = h("input", {
    id: "join-code",
    name: "code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    inputmode: "text",
    required: true,
    "aria-describedby": "join-code-hint",
    class: "code-input",
  });
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("label", { for: "join-code" }, t("home.code_label")),
    h("p", { id: "join-code-hint", class: "hint" }, t("home.code_hint")),
    input,
    error.el,
    h("button", { type: "submit", class: "primary" }, t("home.join")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value.toUpperCase().replace(/[^A-Z0-9]/g, "");
    if (code.length < 4) {
      error.show(t("home.code_missing"));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    navigate(`/rejoindre/${code}`);
  });
  const mine = identities();
  append(main, [
    pageTitle(t("home.title")),
    h("p", { class: "lead" }, t("home.intro")),
    // The public pages are the server's (server/public), loaded as pages: see router.ts.
    h("p", { class: "discover" }, h("a", { href: "/decouvrir/ateliers", class: "button" }, t("home.discover"))),
    form,
    mine.length
      ? h(
          "section",
          { "aria-labelledby": "mine-title" },
          h("h2", { id: "mine-title" }, t("home.mine")),
          h(
            "ul",
            { class: "links" },
            mine.map((who) =>
              h(
                "li",
                {},
                h("a", { href: `/atelier/${encodeURIComponent(who.atelierId)}` }, who.atelierTitle || who.atelierId),
                " — ",
                who.displayName ? `${who.displayName}, ` : "",
                roleLabel(who.role),
              ),
            ),
          ),
        )
      : null,
    h(
      "section",
      { class: "card", "aria-labelledby": "start-title" },
      h("h2", { id: "start-title" }, t("home.start_title")),
      h("p", {}, t("home.start_text")),
      h("p", {}, h("a", { href: "/nouvel-atelier", class: "button" }, t("home.start_aic"))),
    ),
    h("p", { class: "council-door" }, h("a", { href: "/connexion" }, t("home.staff"))),
    h("p", { class: "council-door" }, h("a", { href: "/conseil" }, t("home.council"))),
  ]);
};

export const notFound: Screen = (main) => {
  main.append(
    pageTitle(t("notfound.title")),
    h("p", {}, t("notfound.text")),
    h("p", {}, h("a", { href: "/" }, t("notfound.home"))),
  );
};
