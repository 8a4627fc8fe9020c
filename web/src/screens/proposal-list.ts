// The atelier page's « Propositions »: the proposals being written, each a link to its editor,
// and apart, under « Archivées », those the facilitators archived (still readable). Read again
// when the séance's live channel says one changed (`proposals_changed`).
import { api, type Proposal } from "../api";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { remember, type Identity } from "../identity";
import { answerLine } from "./council-answer";

export function proposalsCard(identity: Identity, atelierId: string, initial: Proposal[]): { el: HTMLElement; reload: () => void } {
  const body = h("div", {});
  const item = (p: Proposal) =>
    h("li", {}, h("a", { href: `/proposition/${encodeURIComponent(p.id)}` }, p.title), " ", h("span", { class: "muted" }, t(`kind.${p.kind}`)), " ", answerLine(p));
  const draw = (rows: Proposal[]) => {
    for (const p of rows) remember(p.id, atelierId);
    const current = rows.filter((p) => !p.archived_at);
    const archived = rows.filter((p) => p.archived_at);
    clear(body, [
      current.length ? h("ul", { class: "links", "data-testid": "proposals" }, current.map(item)) : h("p", { class: "muted" }, t("atelier.no_proposals")),
      archived.length
        ? h(
            "div",
            { "data-testid": "proposals-archived" },
            h("h3", { id: "proposals-archived-title" }, t("atelier.archived")),
            h("p", { class: "hint" }, t("atelier.archived_hint")),
            h("ul", { class: "links", "aria-labelledby": "proposals-archived-title" }, archived.map(item)),
          )
        : null,
    ]);
  };
  draw(initial);
  const reload = () => {
    api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(atelierId)}/proposals`, undefined, identity.token)
      .then(draw)
      .catch(() => undefined); // the list shown stays; the live badge says when the network is gone
  };
  const el = h("section", { class: "card", "aria-labelledby": "proposals-title" }, h("h2", { id: "proposals-title" }, t("atelier.proposals")), body);
  return { el, reload };
}
