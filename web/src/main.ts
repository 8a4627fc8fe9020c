import "./styles.css";
import { h } from "./dom";
import { lang, need, onLangChange, ready, setLang, t } from "./i18n";
import { interceptLinks, render, route } from "./router";
import { focusNextTitle } from "./ui";
import { adoptTokenFromHash } from "./identity";

// Screens load on demand: a phone that joins and votes never downloads the editor.
route("/", async () => (await import("./screens/home")).home);
route("/rejoindre/{code}", async () => (await import("./screens/join")).join);
route("/atelier/{atelierId}", async () => (await import("./screens/atelier")).atelier);
route("/seance/{sessionId}", async () => (await import("./screens/atelier")).seanceRedirect);
route("/proposition/{proposalId}", async () => (await Promise.all([import("./screens/proposal"), need("cowrite")]))[0].proposal);
route("/proposition/{proposalId}/historique", async () => (await Promise.all([import("./screens/history"), need("cowrite")]))[0].proposalHistory);
route("/animation/{sessionId}", async () => (await Promise.all([import("./screens/console"), need("organise")]))[0].facilitatorConsole);
route("/projection/{sessionId}", async () => (await import("./screens/projection")).projection);
route("/vote/{pollId}", async () => (await import("./screens/ballot")).ballot);
// The council staff's screens bring their own strings (a phone never downloads them).
route("/conseil", async () => (await Promise.all([import("./screens/council"), need("council")]))[0].councilDesk);
route("/conseil/proposition/{proposalId}", async () => (await Promise.all([import("./screens/council-proposal"), need("council")]))[0].councilProposal);
// The organisers' screens (issue 19): the city staff's sign-in, creating an atelier, a séance.
route("/connexion", async () => (await Promise.all([import("./screens/signin"), need("organise")]))[0].staffSignIn);
route("/nouvel-atelier", async () => (await Promise.all([import("./screens/new-atelier"), need("organise")]))[0].newAtelier);
route("/atelier/{atelierId}/nouvelle-seance", async () => (await Promise.all([import("./screens/seance-form"), need("organise")]))[0].newSeance);
route("/atelier/{atelierId}/modifier", async () => (await Promise.all([import("./screens/new-atelier"), need("organise")]))[0].editAtelier);
route("/seance/{sessionId}/modifier", async () => (await Promise.all([import("./screens/seance-form"), need("organise")]))[0].editSeance);
route("/404", async () => (await import("./screens/home")).notFound); // last: the fallback

const app = document.getElementById("app")!;
const skip = document.querySelector<HTMLAnchorElement>(".skip-link")!;
const main = h("main", { id: "main", tabindex: "-1" });
const switcher = h("button", { type: "button", class: "lang-switch" });
const header = h(
  "header",
  { class: "top" },
  h("a", { href: "/", class: "brand" }, h("span", { "aria-hidden": "true", class: "brand-mark" }, "▲"), " ", h("span", { class: "brand-name" })),
  switcher,
);

function labelChrome(): void {
  skip.textContent = t("app.skip");
  header.querySelector(".brand-name")!.textContent = t("app.name");
  const other = lang() === "fr" ? "en" : "fr";
  switcher.textContent = t("lang.switch");
  switcher.setAttribute("lang", other);
  switcher.setAttribute("aria-label", t("lang.switch_label"));
}

switcher.addEventListener("click", () => void setLang(lang() === "fr" ? "en" : "fr"));

// The app shell works without network once loaded (see public/sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register("/sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const loaded = performance.getEntriesByType("resource").map((entry) => entry.name);
      registration.active?.postMessage({ keep: [location.origin + "/", ...loaded] });
    })
    .catch(() => undefined);
}

// A link carrying a token in its fragment (the facilitator's, printed by `atelier demo`) signs
// this browser in, whatever screen it opens.
adoptTokenFromHash();

// Start once the chosen language's catalog is in.
void ready().then(() => {
  app.replaceChildren(header, main);
  interceptLinks(document.body);
  labelChrome();

  let firstRender = true;
  async function show(): Promise<void> {
    // Keep the initial focus where the browser puts it; after a navigation, the new screen's title
    // takes focus so that screen readers announce it.
    if (!firstRender) focusNextTitle();
    firstRender = false;
    await render(main);
  }

  onLangChange(() => {
    labelChrome();
    void render(main).then(() => switcher.focus());
  });
  window.addEventListener("popstate", () => void show());
  window.addEventListener("atelier:navigate", () => void show());
  void show();
});
