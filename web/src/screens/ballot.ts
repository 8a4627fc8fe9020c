// A ballot, phone-first: one screen per vote method (see polls-api contract).
import { h } from "../dom";
import { t } from "../i18n";
import type { Screen } from "../router";
import { pageTitle } from "../ui";

export const ballot: Screen = (main) => {
  main.append(pageTitle(t("ballot.title")), h("p", { class: "muted" }, t("ballot.unavailable")));
};
