// The staff's subjects (issue 22, #2), in their signed-in space (/connexion): the moderation
// queue (Publier / Refuser with a public reason), the answer once published (Constituer un AIC
// when the residents' supports reach the city's minimum, Ouvrir un AP with its budget line and
// pilot service, Décliner with a public reason), and an instance's ordering of the published
// subjects (« priorisation des sujets »: up/down buttons, then save). Every action is audited
// by the server (who, when, what, why).
import { api, ApiError, errorText } from "../api";
import { h, newId } from "../dom";
import { t } from "../i18n";
import { errorRegion } from "../ui";

/** GET /api/staff/subjects */
export interface StaffSubject {
  id: string;
  title: string;
  why: string;
  neighbourhood: string | null;
  initiator_name: string;
  initiator_neighbourhood: string | null;
  show_name: boolean;
  instance: string | null;
  state: string;
  reason: string | null;
  supports: number;
  minimum: number;
  threshold_met: boolean;
  atelier_id: string | null;
  created_at: string;
}

interface Decided {
  subject: StaffSubject;
  atelier_id: string | null;
}

const INSTANCES = ["CQ", "CC", "CRE", "CDJ", "CD", "ATP"];
const PUBLIC_STATES = new Set(["publie", "aic", "ap", "decline"]);

/** The two sections; `refused` is called when the server no longer takes the credential. */
export function staffSubjects(token: string, alive: () => boolean, refused: (error: unknown) => void): HTMLElement[] {
  const listStatus = h("p", { role: "status", class: "muted" });
  const list = h("div", { class: "subjects-queue" });
  const problem = errorRegion();
  const queue = h(
    "section",
    { class: "card", "aria-labelledby": "subjects-title" },
    h("h2", { id: "subjects-title" }, t("organise.subjects.title")),
    h("p", { class: "hint" }, t("organise.subjects.hint")),
    problem.el,
    listStatus,
    list,
  );
  const ranking = h("section", { class: "card stacked", "aria-labelledby": "ranking-title" });

  const failed = (e: unknown, region: { show: (text: string | null) => void }) => {
    if (e instanceof ApiError && e.status === 401) return refused(e);
    region.show(errorText(e));
  };

  const load = async () => {
    listStatus.textContent = t("common.loading");
    try {
      const rows = await api<StaffSubject[]>("GET", "/api/staff/subjects", undefined, token);
      if (!alive()) return;
      draw(rows);
      drawRanking(rows);
    } catch (e) {
      if (!alive()) return;
      listStatus.textContent = "";
      failed(e, problem);
    }
  };

  const draw = (rows: StaffSubject[]) => {
    const open = rows.filter((r) => r.state === "en_moderation" || r.state === "publie");
    listStatus.textContent = open.length ? "" : t("organise.subjects.none");
    list.replaceChildren(...open.map(article));
  };

  const article = (row: StaffSubject): HTMLElement => {
    const titleId = newId("subject");
    const reasonId = newId("reason");
    const rowError = errorRegion();
    const outcome = h("p", { role: "status" });
    const reason = h("textarea", { id: reasonId, rows: 2, maxlength: 2000 });
    const buttons: HTMLButtonElement[] = [];
    const act = (outcome_: string, label: string, extra: () => Record<string, string | null> = () => ({}), primary = false) => {
      const button = h("button", { type: "button", class: primary ? "primary" : "", "aria-describedby": titleId, "data-outcome": outcome_ }, label);
      button.addEventListener("click", async () => {
        if (button.disabled) return;
        rowError.show(null);
        const body: Record<string, string | null> = { outcome: outcome_, ...extra() };
        const why = reason.value.trim();
        if (why) body.reason = why;
        if ((outcome_ === "refuse" || outcome_ === "decline") && !why) {
          rowError.show(t("organise.subjects.reason_required"));
          reason.focus();
          return;
        }
        buttons.forEach((b) => (b.disabled = true));
        try {
          const done = await api<Decided>("POST", `/api/subjects/${encodeURIComponent(row.id)}/decision`, body, token);
          outcome.className = "ok-line";
          outcome.textContent = t(`organise.subjects.done_${outcome_}`, { title: row.title });
          if (done.atelier_id) {
            outcome.append(" ", h("a", { href: `/decouvrir/ateliers/${encodeURIComponent(done.atelier_id)}` }, t("organise.subjects.atelier_link")));
          }
          buttons.forEach((b) => b.remove());
          void refreshRanking();
        } catch (e) {
          buttons.forEach((b) => (b.disabled = false));
          failed(e, rowError);
        }
      });
      buttons.push(button);
      return button;
    };
    const where = row.neighbourhood ? t("organise.scope.quartier_named", { name: row.neighbourhood }) : t("organise.subjects.city");
    const by = row.instance ? t("organise.subjects.by_instance", { code: row.instance }) : t("organise.subjects.by", { name: row.initiator_name, home: row.initiator_neighbourhood ?? "—" });
    const budgetId = newId("budget");
    const serviceId = newId("service");
    const budget = h("input", { id: budgetId, type: "text", maxlength: 200 });
    const service = h("input", { id: serviceId, type: "text", maxlength: 200 });
    const parts: (HTMLElement | null)[] = [
      h("h3", { id: titleId }, row.title),
      h("p", { class: "muted" }, where, " · ", t(`organise.subjects.state_${row.state}`), " · ", t("organise.subjects.supports", { n: row.supports, min: row.minimum })),
      row.threshold_met && row.state === "publie" ? h("p", { class: "ok-line" }, t("organise.subjects.threshold")) : null,
      h("p", { class: "subject" }, row.why),
      h("p", { class: "hint" }, by),
      h("div", { class: "field" }, h("label", { for: reasonId }, t("organise.subjects.reason")), reason),
    ];
    let actions: HTMLElement;
    if (row.state === "en_moderation") {
      actions = h("p", { class: "actions" }, act("publish", t("organise.subjects.publish"), undefined, true), " ", act("refuse", t("organise.subjects.refuse")));
    } else {
      parts.push(
        h(
          "details",
          {},
          h("summary", {}, t("organise.subjects.ap_details")),
          h("div", { class: "field" }, h("label", { for: budgetId }, t("organise.subjects.budget")), budget),
          h("div", { class: "field" }, h("label", { for: serviceId }, t("organise.subjects.service")), service),
        ),
      );
      actions = h(
        "p",
        { class: "actions" },
        row.threshold_met ? act("constitute_aic", t("organise.subjects.constitute_aic"), undefined, true) : null,
        " ",
        act("open_ap", t("organise.subjects.open_ap"), () => ({ financing: budget.value.trim() || null, pilot_service: service.value.trim() || null })),
        " ",
        act("decline", t("organise.subjects.decline")),
      );
    }
    return h("article", { class: "pending", "aria-labelledby": titleId, "data-subject": row.id }, ...parts, rowError.el, outcome, actions);
  };

  // --- an instance's ranking ---
  const instanceId = newId("instance");
  const select = h("select", { id: instanceId }, ...INSTANCES.map((code) => h("option", { value: code }, code)));
  const order = h("ol", { class: "ranking" });
  const rankStatus = h("p", { role: "status" });
  const rankError = errorRegion();
  const save = h("button", { type: "button", class: "primary" }, t("organise.subjects.rank_save"));
  let published: StaffSubject[] = [];
  let current: string[] = [];
  // Refreshes overlap (the instance chosen, a subject published): only the last one asked is
  // drawn, and an order the person changed and has not saved is kept, not redrawn from the server.
  let asked = 0;
  let shownFor = "";
  let moved = false;

  const drawOrder = (focusId?: string, focusDir?: "up" | "down") => {
    const byId = new Map(published.map((s) => [s.id, s]));
    order.replaceChildren(
      ...current.map((id, index) => {
        const subject = byId.get(id);
        const title = subject?.title ?? id;
        const up = h("button", { type: "button", class: "small", "aria-label": t("organise.subjects.up", { title }), disabled: index === 0, "data-move": "up" }, "↑");
        const down = h("button", { type: "button", class: "small", "aria-label": t("organise.subjects.down", { title }), disabled: index === current.length - 1, "data-move": "down" }, "↓");
        const move = (delta: number, dir: "up" | "down") => {
          const target = index + delta;
          [current[index], current[target]] = [current[target], current[index]];
          moved = true;
          rankStatus.textContent = t("organise.subjects.moved", { title, n: target + 1 });
          drawOrder(id, dir);
        };
        up.addEventListener("click", () => move(-1, "up"));
        down.addEventListener("click", () => move(1, "down"));
        return h("li", { "data-subject": id }, h("span", {}, title), " ", up, " ", down);
      }),
    );
    if (focusId) {
      const item = order.querySelector<HTMLElement>(`li[data-subject="${focusId}"]`);
      const wanted = item?.querySelector<HTMLButtonElement>(`button[data-move="${focusDir}"]:not([disabled])`) ?? item?.querySelector<HTMLButtonElement>("button:not([disabled])");
      wanted?.focus();
    }
  };

  const refreshRanking = async () => {
    rankError.show(null);
    const mine = ++asked;
    const code = select.value;
    try {
      const rows = await api<StaffSubject[]>("GET", "/api/staff/subjects", undefined, token);
      const ranked = await api<{ subject_ids: string[] }>("GET", `/api/instances/${code}/subject-ranking`, undefined, token);
      if (!alive() || mine !== asked) return;
      published = rows.filter((r) => PUBLIC_STATES.has(r.state));
      const known = new Set(published.map((s) => s.id));
      const keep = moved && code === shownFor;
      const first = (keep ? current : ranked.subject_ids).filter((id) => known.has(id));
      const next = [...first, ...published.filter((s) => !first.includes(s.id) && s.state === "publie").map((s) => s.id)];
      const same = code === shownFor && next.length === current.length && next.every((id, i) => id === current[i]);
      current = next;
      moved = keep;
      shownFor = code;
      if (!same) drawOrder(); // the same order is not redrawn: the button in focus stays
    } catch (e) {
      if (alive()) failed(e, rankError);
    }
  };

  const drawRanking = (rows: StaffSubject[]) => {
    published = rows.filter((r) => PUBLIC_STATES.has(r.state));
    void refreshRanking();
  };

  select.addEventListener("change", () => void refreshRanking());
  save.addEventListener("click", async () => {
    if (save.disabled) return;
    save.disabled = true;
    rankError.show(null);
    try {
      await api("PUT", `/api/instances/${select.value}/subject-ranking`, { subject_ids: current }, token);
      rankStatus.textContent = t("organise.subjects.rank_saved", { code: select.value });
      moved = false;
    } catch (e) {
      failed(e, rankError);
    } finally {
      save.disabled = false;
    }
  });
  ranking.append(
    h("h2", { id: "ranking-title" }, t("organise.subjects.rank_title")),
    h("p", { class: "hint" }, t("organise.subjects.rank_hint")),
    h("div", { class: "field" }, h("label", { for: instanceId }, t("organise.subjects.rank_instance")), select),
    order,
    rankError.el,
    rankStatus,
    h("p", { class: "actions" }, save),
  );

  // --- a subject proposed for an instance ---
  const forId = newId("for");
  const titleInputId = newId("stitle");
  const hoodId = newId("shood");
  const whyId = newId("swhy");
  const forInstance = h("select", { id: forId }, ...INSTANCES.map((code) => h("option", { value: code }, code)));
  const newTitle = h("input", { id: titleInputId, type: "text", maxlength: 200, required: true });
  const newHood = h("input", { id: hoodId, type: "text", maxlength: 200 });
  const newWhy = h("textarea", { id: whyId, rows: 3, maxlength: 4000, required: true });
  const proposeStatus = h("p", { role: "status" });
  const proposeError = errorRegion();
  const send = h("button", { type: "submit", class: "primary" }, t("organise.subjects.for_send"));
  const proposeForm = h(
    "form",
    { class: "card stacked", "aria-labelledby": "for-title", novalidate: true },
    h("h2", { id: "for-title" }, t("organise.subjects.for_title")),
    h("p", { class: "hint" }, t("organise.subjects.for_hint")),
    h("div", { class: "field" }, h("label", { for: forId }, t("organise.subjects.rank_instance")), forInstance),
    h("div", { class: "field" }, h("label", { for: titleInputId }, t("organise.subjects.for_subject")), newTitle),
    h("div", { class: "field" }, h("label", { for: hoodId }, t("organise.subjects.for_hood")), newHood),
    h("div", { class: "field" }, h("label", { for: whyId }, t("organise.subjects.for_why")), newWhy),
    proposeError.el,
    proposeStatus,
    h("p", { class: "actions" }, send),
  );
  proposeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (send.disabled) return;
    proposeError.show(null);
    const title = newTitle.value.trim();
    const why = newWhy.value.trim();
    if (!title || !why) {
      proposeError.show(t("organise.subjects.for_missing"));
      (title ? newWhy : newTitle).focus();
      return;
    }
    send.disabled = true;
    try {
      const code = forInstance.value;
      await api("POST", "/api/subjects", { title, why, neighbourhood: newHood.value.trim() || null, name: code, instance: code }, token);
      proposeStatus.textContent = t("organise.subjects.for_sent", { title, code });
      newTitle.value = newHood.value = newWhy.value = "";
      void load();
    } catch (e) {
      failed(e, proposeError);
    } finally {
      send.disabled = false;
    }
  });

  void load();
  return [queue, ranking, proposeForm];
}
