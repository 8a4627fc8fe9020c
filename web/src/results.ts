// A poll's results, drawn for each method: bars (totals, IRV rounds, Schulze wins), dots (the
// dots method), merit profiles (majority judgment). Every figure is also written as text, so a
// screen reader or a black-and-white printout loses nothing; colour is never the only cue.
import { h } from "./dom";
import { formatNumber, t, tn } from "./i18n";
import { gradeWords, labelOf, ordered, type Poll, type Result } from "./polls";
import { roleLabel, ROLES } from "./roles";

// Grade colours, worst to best: ColorBrewer's red–blue diverging scales, which people with the
// common colour-vision deficiencies tell apart, one scale per number of grades (no two
// neighbours alike, as « Bien » and « Très bien » were in two dark greens). Each segment's
// grade is also named in the legend and the text.
const GRADE_SCALES: Record<number, string[]> = {
  2: ["#b2182b", "#2166ac"],
  3: ["#b2182b", "#f7f7f7", "#2166ac"],
  4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
  5: ["#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0"],
  6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
  7: ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"],
};

function gradeColour(i: number, n: number): string {
  const scale = GRADE_SCALES[Math.min(7, Math.max(2, n))];
  return scale[Math.round((i / Math.max(1, n - 1)) * (scale.length - 1))];
}

/** A secret poll while it runs is a ballot box: how many ballots are in, and nothing else —
 * any live result, even spaced out, would give one ballot by difference with the next
 * (README « Priority votes »). Its count is at the close. */
export function isBallotBox(poll: Poll): boolean {
  return poll.secret && poll.status === "open" && !poll.results;
}

/** One sentence saying where the poll stands: what a live region announces. */
export function summary(poll: Poll): string {
  const results = poll.results;
  const ballots = tn("results.ballots", poll.turnout.total);
  if (isBallotBox(poll)) return `${poll.title} : ${tn("results.cast", poll.turnout.total)}. ${t(poll.hide_results ? "results.hidden_until_close" : "results.count_at_close")}`;
  if (!results) return `${poll.title} : ${ballots}. ${t(poll.status === "open" ? "results.hidden_until_close" : "results.hidden")}`;
  const r = results.total;
  if (!r.ballots_counted) return `${poll.title} : ${t("results.no_ballot")}`;
  const first = r.ranking[0] ?? [];
  const lead =
    first.length === 1
      ? t(results.final ? "results.winner" : "results.leading", { option: labelOf(poll, first[0]) })
      : t("results.tie", { options: first.map((id) => labelOf(poll, id)).join(", ") });
  return `${poll.title} : ${lead} ${ballots}.`;
}

export function resultsView(poll: Poll, options: { large?: boolean } = {}): HTMLElement {
  const box = h("div", { class: `results${options.large ? " large" : ""}`, "data-poll": poll.id });
  const results = poll.results;
  if (isBallotBox(poll)) {
    box.classList.add("ballot-box");
    box.append(
      h(
        "div",
        { class: "urn" },
        urn(),
        h(
          "div",
          {},
          h("p", { class: "turnout" }, tn("results.cast", poll.turnout.total)),
          h("p", { class: "count-later" }, t(poll.hide_results ? "results.hidden_until_close" : "results.count_at_close")),
          h("p", { class: "muted why" }, t("results.secret_why")),
        ),
      ),
    );
    return box;
  }
  box.append(h("p", { class: "turnout" }, tn("results.ballots", poll.turnout.total)));
  if (!results) {
    box.append(h("p", { class: "notice" }, t(poll.status === "open" ? "results.hidden_until_close" : "results.hidden")));
    return box;
  }
  const r = results.total;
  if (results.quorum_reached === false) box.append(h("p", { class: "notice" }, t("results.no_quorum", { n: poll.quorum ?? 0 })));
  if (!r.ballots_counted) {
    box.append(h("p", { class: "muted" }, t("results.no_ballot")));
    return box;
  }
  box.append(h("p", { class: "verdict" }, summaryLine(poll, r, results.final)));
  switch (r.details.kind) {
    case "totals":
      box.append(poll.method === "dots" ? dotsChart(poll, r, r.details.totals) : bars(poll, r, r.details.totals, unitKey(poll)));
      break;
    case "irv":
      box.append(irvView(poll, r));
      break;
    case "schulze":
      box.append(bars(poll, r, r.scores, "results.unit.beats"), schulzePaths(poll, r));
      break;
    case "majority_judgment":
      box.append(meritProfiles(poll, r));
      break;
  }
  return box;
}

/** A ballot box with a ballot going in (decorative: the text says it all). */
function urn(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 64 64");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "urn-icon");
  const shapes: [string, Record<string, string>][] = [
    ["rect", { x: "22", y: "4", width: "20", height: "22", rx: "1.5", fill: "#ffffff", stroke: "currentColor", "stroke-width": "3" }],
    ["path", { d: "M27 12h10M27 18h7", stroke: "currentColor", "stroke-width": "2.5", "stroke-linecap": "round" }],
    ["rect", { x: "8", y: "24", width: "48", height: "34", rx: "3", fill: "currentColor" }],
    ["rect", { x: "20", y: "22", width: "24", height: "5", rx: "2", fill: "#ffffff" }],
  ];
  for (const [tag, attrs] of shapes) {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
  }
  return svg;
}

function summaryLine(poll: Poll, r: Result, final: boolean): string {
  const first = r.ranking[0] ?? [];
  if (first.length === 1) return t(final ? "results.winner" : "results.leading", { option: labelOf(poll, first[0]) });
  return t("results.tie", { options: first.map((id) => labelOf(poll, id)).join(", ") });
}

function unitKey(poll: Poll): string {
  return { plurality: "results.unit.votes", approval: "results.unit.approvals", dots: "results.unit.dots", score: "results.unit.points", borda: "results.unit.points" }[poll.method as string] ?? "results.unit.points";
}

function inOrder(r: Result): string[] {
  return r.ranking.flat();
}

function bars(poll: Poll, r: Result, values: Record<string, number>, unit: string): HTMLElement {
  const max = Math.max(1, ...Object.values(values));
  return h(
    "ol",
    { class: "bars" },
    inOrder(r).map((id) => {
      const value = values[id] ?? 0;
      return h(
        "li",
        { class: r.ranking[0]?.includes(id) ? "first" : null },
        h("span", { class: "bar-label" }, labelOf(poll, id)),
        h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar", style: `width:${(100 * value) / max}%` })),
        h("span", { class: "bar-value" }, tn(unit, value)),
      );
    }),
  );
}

/** Schulze's duels and strongest paths, on demand: who prefers the row's option to the
 * column's, and the strength of the strongest path between them (bold where the row wins). */
function schulzePaths(poll: Poll, r: Result): HTMLElement {
  if (r.details.kind !== "schulze") return h("div", {});
  const { d, p } = r.details;
  const order = inOrder(r);
  return h(
    "details",
    { class: "schulze-paths" },
    h("summary", {}, t("results.schulze_paths")),
    h(
      "div",
      { class: "table-scroll", tabindex: "0", role: "region", "aria-label": t("results.schulze_paths") },
      h(
        "table",
        {},
        h("caption", {}, t("results.schulze_caption")),
        h("thead", {}, h("tr", {}, h("td", {}), order.map((id) => h("th", { scope: "col" }, labelOf(poll, id))))),
        h(
          "tbody",
          {},
          order.map((x) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, labelOf(poll, x)),
              order.map((y) => {
                if (x === y) return h("td", {}, "—");
                const wins = (p[x]?.[y] ?? 0) > (p[y]?.[x] ?? 0);
                const text = `${formatNumber(d[x]?.[y] ?? 0)} (${formatNumber(p[x]?.[y] ?? 0)})`;
                return h("td", {}, wins ? h("strong", {}, text, h("span", { class: "sr-only" }, ` — ${t("results.schulze_wins")}`)) : text);
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

function dotsChart(poll: Poll, r: Result, totals: Record<string, number>): HTMLElement {
  const max = Math.max(1, ...Object.values(totals));
  // Beyond 60 dots a row would wrap on a phone: each dot then stands for several.
  const per = Math.max(1, Math.ceil(max / 60));
  return h(
    "ol",
    { class: "dots-chart" },
    inOrder(r).map((id) => {
      const value = totals[id] ?? 0;
      return h(
        "li",
        { class: r.ranking[0]?.includes(id) ? "first" : null },
        h("span", { class: "bar-label" }, labelOf(poll, id)),
        h("span", { class: "dot-row", "aria-hidden": "true" }, Array.from({ length: Math.ceil(value / per) }, () => h("span", { class: "dot" }))),
        h("span", { class: "bar-value" }, tn("results.unit.dots", value)),
      );
    }),
    per > 1 ? h("li", { class: "muted" }, t("results.dot_scale", { n: per })) : null,
  );
}

function irvView(poll: Poll, r: Result): HTMLElement {
  if (r.details.kind !== "irv") return h("div", {});
  const rounds = r.details.rounds;
  const last = rounds[rounds.length - 1];
  const decisive = r.details.majority_round ?? rounds.length - 1;
  return h(
    "div",
    {},
    h("h4", {}, t("results.irv_round", { n: decisive + 1, of: rounds.length })),
    bars(poll, r, rounds[decisive]?.counts ?? last.counts, "results.unit.votes"),
    h(
      "ol",
      { class: "rounds" },
      rounds.map((round, i) =>
        h(
          "li",
          {},
          t("results.irv_round", { n: i + 1, of: rounds.length }),
          " — ",
          Object.entries(round.counts).map(([id, n]) => `${labelOf(poll, id)} ${formatNumber(n)}`).join(" · "),
          round.eliminated.length ? ` — ${t("results.eliminated", { options: round.eliminated.map((id) => labelOf(poll, id)).join(", ") })}` : "",
        ),
      ),
    ),
  );
}

function meritProfiles(poll: Poll, r: Result): HTMLElement {
  if (r.details.kind !== "majority_judgment") return h("div", {});
  const { profiles } = r.details;
  const grades = gradeWords(r.details.grades);
  return h(
    "div",
    { class: "merit" },
    h(
      "ol",
      { class: "profiles" },
      inOrder(r).map((id) => {
        const profile = profiles[id];
        const total = profile.counts.reduce((a, b) => a + b, 0) || 1;
        const grade = profile.majority_grade === null ? "—" : grades[profile.majority_grade];
        return h(
          "li",
          { class: r.ranking[0]?.includes(id) ? "first" : null },
          h("span", { class: "bar-label" }, labelOf(poll, id)),
          h(
            "span",
            { class: "profile", "aria-hidden": "true" },
            profile.counts.map((n, i) =>
              n ? h("span", { class: "segment", style: `width:${(100 * n) / total}%;background:${gradeColour(i, grades.length)}`, title: `${grades[i]} : ${n}` }) : null,
            ),
            h("span", { class: "median" }),
          ),
          h("span", { class: "bar-value" }, t("results.majority_grade", { grade: `${grade}${profile.sign === "+" ? " +" : profile.sign === "-" ? " −" : ""}` })),
          h("span", { class: "sr-only" }, profile.counts.map((n, i) => `${grades[i]} ${formatNumber(n)}`).join(", ")),
        );
      }),
    ),
    h(
      "ul",
      { class: "legend" },
      grades.map((g, i) => h("li", {}, h("span", { class: "swatch square", style: `background:${gradeColour(i, grades.length)}`, "aria-hidden": "true" }), g)),
    ),
  );
}

/** The results of each role (« collège ») that voted; a secret poll withholds a role with fewer
 * than 3 ballots, since its "result" would be someone's ballot. */
export function byRoleView(poll: Poll): HTMLElement | null {
  const byRole = poll.results?.by_role;
  if (!byRole) return null;
  const roles = ROLES.filter((role) => role in byRole && (poll.turnout.by_role[role] ?? 0) > 0);
  if (!roles.length) return null;
  return h(
    "details",
    { class: "by-role-results" },
    h("summary", {}, t("results.by_role")),
    roles.map((role) => {
      const result = byRole[role];
      const ballots = tn("results.ballots", poll.turnout.by_role[role] ?? 0);
      if (!result) return h("div", {}, h("h4", {}, roleLabel(role)), h("p", { class: "muted" }, `${ballots} — ${t("results.withheld")}`));
      const view = resultsView({ ...poll, turnout: { total: poll.turnout.by_role[role] ?? 0, by_role: {} }, results: { total: result, by_role: {}, quorum_reached: null, final: poll.results?.final ?? false } });
      return h("div", {}, h("h4", {}, roleLabel(role)), view);
    }),
  );
}

/** A polite live region announcing the séance's featured poll (the newest one open, else the
 * latest closed): at most every three seconds while tallies stream in (up to four a second),
 * at once when a poll opens, closes or is published. */
export function pollAnnouncer(polls: () => Iterable<Poll>): { el: HTMLElement; update: (now: boolean) => void; stop: () => void } {
  const el = h("p", { class: "sr-only", role: "status", "aria-live": "polite", "data-testid": "announcer" });
  let last = 0;
  let pending: number | undefined;
  return {
    el,
    update(now) {
      const featured = ordered(polls()).find((p) => p.status !== "draft");
      if (!featured) return;
      const text = summary(featured);
      window.clearTimeout(pending);
      pending = window.setTimeout(
        () => {
          last = Date.now();
          if (el.textContent !== text) el.textContent = text;
        },
        now ? 0 : Math.max(0, last + 3000 - Date.now()),
      );
    },
    stop: () => window.clearTimeout(pending),
  };
}
