// The ballot, made for phones: one form per vote method, large targets, every control a
// native one (radio, checkbox, button) so that the keyboard and screen readers work as they
// always do. The live channel says when the poll closes and when one's ballot is counted.
import { api, errorText } from "../api";
import { append, clear, h, newId } from "../dom";
import { formatNumber, t, tn } from "../i18n";
import { identityForPlace, remember } from "../identity";
import type { LiveChannel } from "../live";
import { canVote } from "../roles";
import { gradeWords, keepReceipt, receiptFor, type Poll, type Receipt } from "../polls";
import type { Screen } from "../router";
import { follow, initialState, loadSeance } from "../seance";
import { resultsView } from "../results";
import { errorRegion, loading, pageTitle } from "../ui";
import { liveBadge } from "./common";
import { voteCall, votesIn } from "../announce";
import { charterCard } from "../charter";

type Ballot = Record<string, unknown>;

export const ballot: Screen = (main, { pollId }) => {
  const identity = identityForPlace(pollId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const status = loading();
  main.append(status);
  let alive = true;
  let channel: LiveChannel | null = null;
  api<Poll>("GET", `/api/polls/${encodeURIComponent(pollId)}`, undefined, identity.token)
    .then(async (poll) => {
      remember(poll.session_id, poll.atelier_id);
      const seance = await loadSeance(identity, poll.session_id);
      if (!alive) return;
      status.remove();
      const state = initialState(seance);
      state.polls.set(poll.id, poll);
      const badge = liveBadge();
      const counted = h("p", { class: "counted", role: "status" });
      const formBox = h("div", {});
      const closedBox = h("div", { "aria-live": "polite" });
      let mine = receiptFor(poll.id);
      const drawCounted = () => {
        const seq = state.talliedSeq.get(poll.id) ?? 0;
        if (!mine && !state.polls.get(poll.id)?.my_ballot?.cast) counted.textContent = "";
        else if (mine && seq >= mine.seq) counted.textContent = t("ballot.counted");
        else counted.textContent = t("ballot.recorded");
      };
      const draw = () => {
        const current = state.polls.get(poll.id) ?? poll;
        if (current.my_ballot?.entered_for_me) {
          // Their ballot is in the box already: voting again would be refused, and a ballot
          // nobody asked for is to be contested with the facilitator, not replaced.
          formBox.replaceChildren(h("p", { class: "notice entered-for-me", "data-testid": "entered-for-me" }, h("strong", {}, t("ballot.entered_for_me")), " ", t("ballot.entered_for_me_hint")));
          closedBox.replaceChildren(...(current.status === "open" ? [] : [h("p", { class: "notice" }, t("ballot.closed")), resultsView(current)]));
          counted.textContent = "";
          return;
        }
        if (current.status === "open") {
          if (formBox.querySelector(".entered-for-me")) formBox.replaceChildren();
          closedBox.replaceChildren();
          if (!formBox.firstChild) formBox.append(ballotForm(current, identity.token, (receipt) => {
            keepReceipt(receipt);
            mine = { receipt: receipt.receipt, seq: receipt.seq };
            drawCounted();
          }));
        } else {
          formBox.replaceChildren();
          closedBox.replaceChildren(h("p", { class: "notice" }, t(current.status === "draft" ? "ballot.not_open" : "ballot.closed")), resultsView(current));
        }
        drawCounted();
      };
      const eligible = votesIn(poll, identity.role) || (poll.voter_roles.length === 0 && canVote(identity.role));
      // Another vote opening while this ballot is on screen is announced here too.
      const calls = voteCall(identity, poll.id);
      main.append(pageTitle(poll.title, t(`method.${poll.method}`)), charterCard(identity), calls.el, badge.el);
      const drawNotEligible = () => {
        const current = state.polls.get(poll.id) ?? poll;
        clear(closedBox, current.status === "open" ? null : h("p", { class: "notice" }, t(current.status === "draft" ? "ballot.not_open" : "ballot.closed")), resultsView(current));
      };
      if (!eligible) {
        main.append(h("p", { class: "notice" }, t("ballot.not_eligible")), closedBox);
        drawNotEligible();
      } else {
        append(main, [h("p", { class: "hint" }, t(`method_help.${poll.method}`, paramsText(poll))), poll.secret ? h("p", { class: "hint" }, t("ballot.secret")) : null, formBox, counted, closedBox]);
      }
      main.append(h("p", {}, h("a", { href: `/atelier/${encodeURIComponent(poll.atelier_id)}?seance=${encodeURIComponent(poll.session_id)}` }, t("proposal.back"))));
      if (eligible) draw();
      channel = follow(
        identity,
        poll.session_id,
        state,
        (what) => {
          if (what === "polls" || what === "snapshot") calls.update(state.polls.values());
          if (!eligible) {
            if (what === "polls" || what === "tally" || what === "snapshot") drawNotEligible();
            return;
          }
          if (what === "polls" || what === "snapshot") draw();
          if (what === "tally") drawCounted();
        },
        badge.set,
      );
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("ballot.title")), region.el);
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    channel?.close();
  };
};

function paramsText(poll: Poll): Record<string, string | number> {
  const p = poll.params;
  return {
    dots: Number(p.dots_per_voter ?? 0),
    cap: Number(p.max_per_option ?? p.dots_per_voter ?? 0),
    min: Number(p.min ?? 0),
    max: Number(p.max ?? 5),
  };
}

function ballotForm(poll: Poll, token: string, onCast: (receipt: Receipt) => void): HTMLFormElement {
  const error = errorRegion();
  const read = inputsFor(poll);
  const submit = h("button", { type: "submit", class: "primary big" }, t(receiptFor(poll.id) || poll.my_ballot?.cast ? "ballot.change" : "ballot.submit"));
  const form = h("form", { class: "card ballot", novalidate: true }, read.el, error.el, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    const ballot = read.value();
    if (!ballot) {
      error.show(t("ballot.incomplete"));
      return;
    }
    // Disabled while sending, the button drops the focus: a keyboard user gets it back, to
    // change the ballot or, after « pas de réseau », to send it again with Enter.
    const focused = document.activeElement === submit;
    submit.disabled = true;
    try {
      const previous = receiptFor(poll.id);
      const receipt = await api<Receipt>("PUT", `/api/polls/${encodeURIComponent(poll.id)}/ballot`, { ballot, receipt: previous?.receipt ?? undefined }, token);
      onCast(receipt);
      submit.textContent = t("ballot.change");
    } catch (e) {
      error.show(errorText(e));
    } finally {
      submit.disabled = false;
      if (focused && submit.isConnected && (document.activeElement === document.body || document.activeElement === null)) submit.focus();
    }
  });
  return form;
}

export interface Inputs {
  el: HTMLElement;
  value: () => Ballot | null;
}

export function inputsFor(poll: Poll): Inputs {
  switch (poll.method) {
    case "plurality":
      return plurality(poll);
    case "approval":
      return approval(poll);
    case "dots":
      return dots(poll);
    case "score":
      return scale(poll, "scores", rangeOf(poll), (v) => formatNumber(v));
    case "majority_judgment": {
      const grades = gradeWords((poll.params.grades as string[]) ?? []);
      return scale(poll, "grades", grades.map((_, i) => i).reverse(), (i) => grades[i]);
    }
    case "borda":
      return ranking(poll, false);
    case "irv":
    case "schulze":
      return ranking(poll, true);
  }
}

function rangeOf(poll: Poll): number[] {
  const min = Number(poll.params.min ?? 0);
  const max = Number(poll.params.max ?? 5);
  return Array.from({ length: max - min + 1 }, (_, i) => max - i);
}

function plurality(poll: Poll): Inputs {
  const name = newId("choice");
  const fieldset = h(
    "fieldset",
    { class: "options" },
    h("legend", {}, t("ballot.choose_one")),
    poll.options.map((o) => {
      const id = newId("opt");
      return h("div", { class: "choice big" }, h("input", { type: "radio", name, id, value: o.id }), h("label", { for: id }, o.label));
    }),
  );
  return {
    el: fieldset,
    value: () => {
      const checked = fieldset.querySelector<HTMLInputElement>("input:checked");
      return checked ? { choice: checked.value } : null;
    },
  };
}

function approval(poll: Poll): Inputs {
  const fieldset = h(
    "fieldset",
    { class: "options" },
    h("legend", {}, t("ballot.choose_many")),
    poll.options.map((o) => {
      const id = newId("opt");
      return h("div", { class: "choice big" }, h("input", { type: "checkbox", id, value: o.id }), h("label", { for: id }, o.label));
    }),
  );
  return {
    el: fieldset,
    value: () => ({ approve: [...fieldset.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value) }),
  };
}

function dots(poll: Poll): Inputs {
  const budget = Number(poll.params.dots_per_voter ?? 0);
  const cap = Number(poll.params.max_per_option ?? budget);
  const given: Record<string, number> = {};
  const left = h("p", { class: "dots-left", "aria-live": "polite" });
  const rows = new Map<string, { count: HTMLElement; add: HTMLButtonElement; remove: HTMLButtonElement; dots: HTMLElement }>();
  const used = () => Object.values(given).reduce((a, b) => a + b, 0);
  const redraw = () => {
    const focused = document.activeElement;
    left.textContent = tn("ballot.dots_left", budget - used());
    for (const [id, row] of rows) {
      const n = given[id] ?? 0;
      row.count.textContent = formatNumber(n);
      row.dots.replaceChildren(...Array.from({ length: n }, () => h("span", { class: "dot" })));
      row.add.disabled = n >= cap || used() >= budget;
      row.remove.disabled = n === 0;
      // A disabled button drops the focus to the page's top: a keyboard user pressing « + »
      // up to the cap (or « − » down to none) goes on from its neighbour instead.
      if (focused === row.add && row.add.disabled) row.remove.focus();
      if (focused === row.remove && row.remove.disabled) row.add.focus();
    }
  };
  const list = h(
    "ul",
    { class: "dots-ballot" },
    poll.options.map((o) => {
      const count = h("span", { class: "dot-count" });
      const dotRow = h("span", { class: "dot-row", "aria-hidden": "true" });
      const add = h("button", { type: "button", class: "step", "aria-label": t("ballot.dot_add", { option: o.label }) }, "+");
      const remove = h("button", { type: "button", class: "step", "aria-label": t("ballot.dot_remove", { option: o.label }) }, "−");
      add.addEventListener("click", () => {
        given[o.id] = (given[o.id] ?? 0) + 1;
        redraw();
      });
      remove.addEventListener("click", () => {
        given[o.id] = Math.max(0, (given[o.id] ?? 0) - 1);
        redraw();
      });
      rows.set(o.id, { count, add, remove, dots: dotRow });
      return h("li", {}, h("span", { class: "dot-label" }, o.label), h("span", { class: "dot-controls" }, remove, count, add), dotRow);
    }),
  );
  redraw();
  return {
    el: h("div", {}, h("h2", { class: "ballot-title" }, t("ballot.place_dots")), left, list),
    value: () => ({ dots: Object.fromEntries(Object.entries(given).filter(([, n]) => n > 0)) }),
  };
}

/** Score and majority judgment: every option gets one value from a scale (radios, best first). */
function scale(poll: Poll, key: "scores" | "grades", values: number[], label: (v: number) => string): Inputs {
  const groups = poll.options.map((o) => {
    const name = newId("scale");
    return {
      option: o,
      name,
      el: h(
        "fieldset",
        { class: "scale" },
        h("legend", {}, o.label),
        h(
          "div",
          { class: key === "grades" ? "scale-values grades" : "scale-values" },
          values.map((v) => {
            const id = newId("v");
            return h("span", { class: "scale-value" }, h("input", { type: "radio", name, id, value: String(v) }), h("label", { for: id }, label(v)));
          }),
        ),
      ),
    };
  });
  return {
    el: h("div", {}, h("h2", { class: "ballot-title" }, t(key === "grades" ? "ballot.grade_each" : "ballot.score_each")), groups.map((g) => g.el)),
    value: () => {
      const out: Record<string, number> = {};
      for (const g of groups) {
        const checked = g.el.querySelector<HTMLInputElement>("input:checked");
        if (!checked) return null; // every option needs its value
        out[g.option.id] = Number(checked.value);
      }
      return { [key]: out };
    },
  };
}

/** Borda (everyone ranked) and IRV / Schulze (rank as many as you like): an ordered list moved
 * with buttons, which the keyboard reaches like any other (no drag and drop needed). */
function ranking(poll: Poll, partial: boolean): Inputs {
  let ranked = partial ? [] : poll.options.map((o) => o.id);
  let unranked = partial ? poll.options.map((o) => o.id) : [];
  const label = (id: string) => poll.options.find((o) => o.id === id)?.label ?? id;
  const rankedList = h("ol", { class: "ranking" });
  const unrankedList = h("ul", { class: "ranking unranked" });
  const announce = h("p", { class: "sr-only", "aria-live": "polite" });
  let focusAfter: string | null = null;
  const redraw = () => {
    rankedList.replaceChildren(
      ...ranked.map((id, i) => {
        const up = h("button", { type: "button", class: "step", "data-focus": `up-${id}`, "aria-label": t("ballot.move_up", { option: label(id) }), disabled: i === 0 }, "↑");
        const down = h("button", { type: "button", class: "step", "data-focus": `down-${id}`, "aria-label": t("ballot.move_down", { option: label(id) }), disabled: i === ranked.length - 1 }, "↓");
        up.addEventListener("click", () => move(id, -1, `up-${id}`));
        down.addEventListener("click", () => move(id, 1, `down-${id}`));
        const out = partial ? h("button", { type: "button", class: "small", "data-focus": `out-${id}` }, t("ballot.unrank", { option: label(id) })) : null;
        out?.addEventListener("click", () => {
          ranked = ranked.filter((x) => x !== id);
          unranked = [...unranked, id];
          announce.textContent = t("ballot.unranked", { option: label(id) });
          focusAfter = ranked.length ? `up-${ranked[0]}` : `in-${id}`;
          redraw();
        });
        return h("li", {}, h("span", { class: "rank" }, `${i + 1}.`), h("span", { class: "dot-label" }, label(id)), h("span", { class: "dot-controls" }, up, down, out));
      }),
    );
    unrankedList.replaceChildren(
      ...unranked.map((id) => {
        const add = h("button", { type: "button", class: "small", "data-focus": `in-${id}` }, t("ballot.rank", { option: label(id) }));
        add.addEventListener("click", () => {
          unranked = unranked.filter((x) => x !== id);
          ranked = [...ranked, id];
          announce.textContent = t("ballot.ranked_at", { option: label(id), n: ranked.length });
          focusAfter = unranked.length ? `in-${unranked[0]}` : `up-${id}`;
          redraw();
        });
        return h("li", {}, add);
      }),
    );
    if (focusAfter) {
      rankedList.parentElement?.querySelector<HTMLElement>(`[data-focus="${focusAfter}"]`)?.focus();
      focusAfter = null;
    }
  };
  const move = (id: string, by: number, focus: string) => {
    const i = ranked.indexOf(id);
    const j = i + by;
    if (j < 0 || j >= ranked.length) return;
    [ranked[i], ranked[j]] = [ranked[j], ranked[i]];
    announce.textContent = t("ballot.ranked_at", { option: label(id), n: j + 1 });
    focusAfter = ranked.indexOf(id) === 0 || ranked.indexOf(id) === ranked.length - 1 ? (by < 0 ? `down-${id}` : `up-${id}`) : focus;
    redraw();
  };
  const box = h(
    "div",
    {},
    h("h2", { class: "ballot-title" }, t(partial ? "ballot.rank_some" : "ballot.rank_all")),
    rankedList,
    partial ? [h("h3", {}, t("ballot.not_ranked")), unrankedList] : null,
    announce,
  );
  redraw();
  return {
    el: box,
    value: () => (ranked.length || partial ? { ranking: [...ranked] } : null),
  };
}
