// Amendments on a proposal (issue 20, #4): in amendment mode a participant does not edit the
// text, they propose a replacement for a passage of one paragraph; everyone sees it inline
// (the passage struck through, the proposed words after it with their author) and beside the
// text (below it on a phone); the facilitator accepts it, rejects it or puts it to a live vote
// — alone, or with the amendments competing for the same passage — and the server applies the
// result to the live text.
//
// The passage is anchored as comments anchor theirs (anchors.ts). It stays inside one
// paragraph: the server replaces it with the proposed words as they are typed, and a
// replacement spanning two paragraphs would have to say what becomes of the break between them.
// Amendments live on the server (GET /api/proposals/{id}/amendments); the séance's live channel
// says when they change (`amendments_changed`). Their words are set as text, never as HTML.
import { Plugin, PluginKey, TextSelection, type EditorState } from "prosemirror-state";
import { Decoration, DecorationSet, type EditorView } from "prosemirror-view";
import { ySyncPluginKey } from "y-prosemirror";
import { anchorCache, chosenPassage, placeOf, withinOneBlock, type Passage, type Place } from "./anchors";
import { api, ApiError, errorText } from "./api";
import { coalesced, h, newId, placeChildren } from "./dom";
import { once } from "./forms";
import { formatDateTime, t, tn } from "./i18n";
import type { Identity } from "./identity";
import type { LiveEvent } from "./live";
import { canEdit, canRunSession } from "./roles";
import { modKey } from "./toolbar";
import "./amendments.css";

/** Bounds checked here before sending (the server checks them too). */
const MAX_QUOTE = 500;
const MAX_TEXT = 2000;
const MAX_WHY = 1000;

/** The voting methods offered for an amendment vote (those that need no parameters). */
const METHODS = ["plurality", "approval", "irv", "schulze", "majority_judgment", "borda"];

type Status = "proposee" | "au_vote" | "applying" | "acceptee" | "rejetee" | "retiree";

export interface AmendmentData {
  id: string;
  proposal_id: string;
  section: string;
  anchor_start: string | null;
  anchor_end: string | null;
  quote: string;
  replacement: string;
  rationale: string | null;
  author: { participant_id: string; name: string | null };
  mine: boolean;
  status: Status;
  poll_id: string | null;
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  result: Record<string, unknown> | null;
  /** How an accepted one went into the text: replaced its passage, or — the passage gone —
   * inserted where it was, or appended to its section. */
  applied?: "replaced" | "inserted" | "appended" | "nothing" | null;
  /** The server found its passage gone from the stored text. */
  detached?: boolean;
}

export interface Amendments {
  /** The plugin that marks a section's open amendments inline (give it to sectionEditor). */
  plugin(sectionKey: string): Plugin;
  /** Show a section's amendments beside its text; after sectionEditor (and comments.attach). */
  attach(view: EditorView, sectionKey: string): void;
  /** An event of the séance's live channel. */
  live(what: string, event: LiveEvent): void;
  /** The facilitator switched between « écriture libre » and « amendements ». */
  setMode(on: boolean): void;
  /** The atelier is closed: amendments are read, neither proposed, withdrawn nor decided (the
   * server answers 409 atelier_closed); the editor's notice says why, once. */
  setClosed(on: boolean): void;
  destroy(): void;
}

/** Why a vote's winner was not applied (the text no longer changed), or null. */
const NOT_APPLIED = new Set(["transmitted", "locked", "frozen", "archived", "closed"]);
const notApplied = (a: AmendmentData): string | null => {
  const why = a.result?.not_applied;
  return typeof why === "string" && NOT_APPLIED.has(why) ? why : null;
};
const isOpen = (a: AmendmentData): boolean => a.status === "proposee" || a.status === "au_vote" || a.status === "applying";
const authorName = (a: AmendmentData): string => a.author.name ?? t("amend.someone");

export function amendmentsFor(identity: Identity, proposalId: string, sessionId: string | null, sectionTitles: Map<string, string>, startMode: boolean): Amendments {
  const base = `/api/proposals/${encodeURIComponent(proposalId)}/amendments`;
  const facilitator = canRunSession(identity.role);
  let mode = startMode;
  let closed = false;
  let list: AmendmentData[] = [];
  let loaded = false;
  let failed = false;
  const sections = new Map<string, SectionAmendments>();
  const keys = new Map<string, PluginKey<DecorationSet>>();
  const decoded = anchorCache();
  const mayPropose = () => mode && !closed && !facilitator && canEdit(identity.role);
  const shortcut = `${modKey()}+Alt+A`;

  const status = h("p", { class: "sr-only", role: "status", "data-testid": "amendments-status" });
  const guide = h("p", { class: "notice amendments-guide", hidden: true, "data-testid": "amendments-guide" });
  const drawGuide = () => {
    // A role that may not propose (observer, council) is told why no « Proposer un amendement »
    // appears, as comments tell a role that may not comment.
    guide.textContent = failed
      ? t("amend.load_failed")
      : !mode || closed
        ? ""
        : facilitator
          ? t("amend.guide_facilitator")
          : mayPropose()
            ? t("amend.guide", { keys: shortcut })
            : canEdit(identity.role)
              ? ""
              : t("amend.cannot_role");
    guide.hidden = !guide.textContent;
  };
  const say = (text: string) => {
    status.textContent = "";
    // A new text in the next frame: screen readers announce a change, even of the same words.
    requestAnimationFrame(() => (status.textContent = text));
  };
  const selectionMoved = () => {
    for (const section of sections.values()) section.showStart();
  };
  document.addEventListener("selectionchange", selectionMoved);

  const placeOfAmendment = (state: EditorState, a: AmendmentData): Place => {
    const place = placeOf(state, a.anchor_start, a.anchor_end, decoded);
    // Not known here yet (the text still arriving): what the server found, meanwhile.
    if (place.kind === "unknown" && a.detached) return { kind: "detached" };
    return place.kind === "section" ? { kind: "detached" } : place;
  };

  const decorate = (sectionKey: string, state: EditorState): DecorationSet => {
    const found: Decoration[] = [];
    for (const a of list) {
      if (a.section !== sectionKey || !isOpen(a)) continue;
      const place = placeOfAmendment(state, a);
      if (place.kind !== "text") continue;
      found.push(Decoration.inline(place.from, place.to, { nodeName: "del", class: "amendment-passage", "data-amendment": a.id }, { id: a.id }));
      const name = authorName(a);
      found.push(
        Decoration.widget(
          place.to,
          () =>
            h(
              "span",
              { class: "amendment-inline", contenteditable: "false", "data-amendment": a.id },
              h("ins", {}, a.replacement || t("amend.deletion")),
              " ",
              h("span", { class: "amendment-author" }, `(${name})`),
            ),
          { side: 1, key: `${a.id}:${a.status}:${name}:${a.replacement}`, ignoreSelection: true, id: a.id },
        ),
      );
    }
    return DecorationSet.create(state.doc, found);
  };

  // --- one section's amendments ---------------------------------------------------------------

  class SectionAmendments {
    readonly region = h("div", { class: "section-amendments empty" });
    private readonly heading = h("h3", {}, t("amend.title"));
    private readonly count = h("p", { class: "muted amendments-count" });
    private readonly openList = h("ul", { class: "amendments" });
    private readonly detachedList = h("ul", { class: "amendments" });
    private readonly detached = h("div", { class: "amendments-detached", hidden: true }, h("h4", {}, t("amend.detached")), h("p", { class: "hint" }, t("amend.detached_hint")), this.detachedList);
    private readonly decidedList = h("ul", { class: "amendments" });
    private readonly decided = h("div", { class: "amendments-decided", hidden: true }, h("h4", {}, t("amend.decided")), this.decidedList);
    readonly startButton: HTMLButtonElement;
    private readonly crossNoteId = newId("amend-cross");
    private readonly crossNote = h("p", { class: "hint amendment-cross", id: this.crossNoteId, hidden: true }, t("amend.one_block"));
    private readonly form: ProposeForm;
    private readonly card: HTMLElement;
    private readonly label: string;
    private lastPlaces = "";

    constructor(
      readonly key: string,
      readonly view: EditorView,
    ) {
      this.label = t("amend.region", { section: sectionTitles.get(key) ?? key });
      this.startButton = h(
        "button",
        {
          type: "button",
          class: "amendment-start",
          hidden: true,
          title: t("amend.start_title", { keys: shortcut }),
          "aria-keyshortcuts": "Control+Alt+A",
          // The passage stays chosen in the text: a press does not take the focus from it.
          onmousedown: (event: Event) => event.preventDefault(),
          onclick: () => this.start(),
        },
        t("amend.start"),
      );
      this.form = new ProposeForm(this);
      this.region.append(this.heading, this.startButton, this.crossNote, this.form.el, this.count, this.openList, this.detached, this.decided);
      this.card = view.dom.closest("section") ?? view.dom;
      this.card.addEventListener("focusin", () => this.showStart());
      this.card.addEventListener("focusout", (event) => {
        const next = (event as FocusEvent).relatedTarget;
        if (next instanceof Node && this.card.contains(next)) return;
        setTimeout(() => this.showStart()); // once the focus has landed elsewhere
      });
    }

    private here(): boolean {
      const focused = document.activeElement;
      if (focused && focused !== document.body && this.card.contains(focused)) return true;
      const chosen = document.getSelection();
      return !!chosen && !chosen.isCollapsed && !!chosen.anchorNode && this.view.dom.contains(chosen.anchorNode);
    }

    /** « Proposer un amendement » while a passage is chosen here; said unusable (and why)
     * when the passage runs over two paragraphs. */
    showStart(): void {
      const { from, to, empty } = this.view.state.selection;
      const show = mayPropose() && !empty && this.form.el.hidden && this.here();
      const oneBlock = empty || withinOneBlock(this.view.state, from, to);
      this.startButton.hidden = !show;
      this.crossNote.hidden = !show || oneBlock;
      if (show && !oneBlock) {
        this.startButton.setAttribute("aria-disabled", "true");
        this.startButton.setAttribute("aria-describedby", this.crossNoteId);
      } else {
        this.startButton.removeAttribute("aria-disabled");
        this.startButton.removeAttribute("aria-describedby");
      }
    }

    start(): void {
      if (!mayPropose()) return;
      const passage = chosenPassage(this.view, MAX_QUOTE);
      if (!passage) return;
      if (!withinOneBlock(this.view.state, passage.from, passage.to)) {
        this.crossNote.hidden = false;
        say(t("amend.one_block"));
        return;
      }
      const words = this.view.state.doc.textBetween(passage.from, passage.to, " ", " ");
      this.startButton.hidden = true;
      this.crossNote.hidden = true;
      this.form.open(passage, words);
    }

    async propose(passage: Passage, replacement: string, rationale: string): Promise<void> {
      await api<AmendmentData>(
        "POST",
        base,
        { section: this.key, anchor_start: passage.start, anchor_end: passage.end, quote: passage.quote, replacement, rationale: rationale || null },
        identity.token,
      );
      say(t("amend.announce_proposed"));
      await refresh();
      this.view.focus();
    }

    closed(): void {
      this.showStart();
      this.view.focus();
    }

    private readonly cards = new Map<string, AmendmentCard>();
    private readonly groups = new Map<string, GroupCard>();

    private cardOf(a: AmendmentData): AmendmentCard {
      let card = this.cards.get(a.id);
      if (!card) {
        card = new AmendmentCard(this);
        this.cards.set(a.id, card);
      }
      return card;
    }

    /** Draw the section's amendments where they now are: open ones by passage (competing
     * ones, on overlapping passages, together), detached ones, decided ones. */
    draw(): void {
      const mine = list.filter((a) => a.section === this.key);
      for (const [id, card] of this.cards) {
        if (!mine.some((a) => a.id === id)) {
          card.el.remove();
          this.cards.delete(id);
        }
      }
      const places: string[] = [];
      const inText: [number, number, AmendmentData][] = [];
      const detached: AmendmentData[] = [];
      const decided: AmendmentData[] = [];
      for (const a of mine) {
        const where = placeOfAmendment(this.view.state, a);
        places.push(`${a.id}:${where.kind}`);
        this.cardOf(a).update(a, where);
        if (!isOpen(a)) decided.push(a);
        else if (where.kind === "text") inText.push([where.from, where.to, a]);
        else if (where.kind === "unknown") inText.push([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, a]);
        else detached.push(a);
      }
      // Competing amendments: those whose passages overlap, in the order of the text.
      inText.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      const grouped: AmendmentData[][] = [];
      let end = -1;
      for (const [from, to, a] of inText) {
        if (grouped.length && from < end && from !== Number.MAX_SAFE_INTEGER) {
          grouped[grouped.length - 1].push(a);
          end = Math.max(end, to);
        } else {
          grouped.push([a]);
          end = to;
        }
      }
      const groupEls: HTMLElement[] = [];
      const seenGroups = new Set<string>();
      for (const members of grouped) {
        if (members.length === 1) {
          groupEls.push(this.cardOf(members[0]).el);
          continue;
        }
        const gid = members.map((a) => a.id).join(",");
        seenGroups.add(gid);
        let group = this.groups.get(gid);
        if (!group) {
          group = new GroupCard(this);
          this.groups.set(gid, group);
        }
        group.update(members, members.map((a) => this.cardOf(a).el));
        groupEls.push(group.el);
      }
      for (const [gid, group] of this.groups) {
        if (!seenGroups.has(gid)) {
          group.el.remove();
          this.groups.delete(gid);
        }
      }
      placeChildren(this.openList, groupEls);
      placeChildren(this.detachedList, detached.map((a) => this.cardOf(a).el));
      decided.sort((x, y) => (y.decided_at ?? "").localeCompare(x.decided_at ?? ""));
      placeChildren(this.decidedList, decided.map((a) => this.cardOf(a).el));
      this.detached.hidden = detached.length === 0;
      this.decided.hidden = decided.length === 0;
      const any = mine.length > 0;
      if (any) {
        this.region.setAttribute("role", "region");
        this.region.setAttribute("aria-label", this.label);
      } else {
        this.region.removeAttribute("role");
        this.region.removeAttribute("aria-label");
      }
      this.region.classList.toggle("empty", !any);
      this.heading.hidden = this.count.hidden = !any;
      this.count.textContent = tn("amend.count", inText.length + detached.length);
      this.lastPlaces = places.join(" ");
      this.showStart();
    }

    /** After an edit: draw again only if an amendment moved between the text and « Passage
     * supprimé ». */
    edited(): void {
      const now = list
        .filter((a) => a.section === this.key)
        .map((a) => `${a.id}:${placeOfAmendment(this.view.state, a).kind}`)
        .join(" ");
      if (now !== this.lastPlaces) this.draw();
    }

    /** Select the amendment's passage in the text, scrolled into view. */
    show(a: AmendmentData): void {
      const where = placeOfAmendment(this.view.state, a);
      if (where.kind !== "text") return;
      this.view.dispatch(this.view.state.tr.setSelection(TextSelection.create(this.view.state.doc, where.from, where.to)).scrollIntoView());
      if (this.view.editable) this.view.focus();
      else this.view.dom.querySelector(`[data-amendment="${a.id}"]`)?.scrollIntoView({ block: "center" });
    }
  }


  // --- the form to propose one -------------------------------------------------------------------

  class ProposeForm {
    readonly el: HTMLFormElement;
    private readonly quote = h("blockquote", { class: "amendment-quote" });
    private readonly replacement: HTMLTextAreaElement;
    private readonly rationale: HTMLTextAreaElement;
    private readonly error: HTMLElement;
    private passage: Passage | null = null;
    private original = "";

    constructor(private readonly section: SectionAmendments) {
      const replacementId = newId("amend-replacement");
      const rationaleId = newId("amend-rationale");
      const errorId = `${replacementId}-error`;
      const hintId = `${replacementId}-hint`;
      this.replacement = h("textarea", { id: replacementId, rows: 3, "aria-describedby": `${hintId} ${errorId}` });
      this.rationale = h("textarea", { id: rationaleId, rows: 2 });
      this.error = h("p", { id: errorId, class: "field-error", "aria-live": "polite" });
      const submit = h("button", { type: "submit" }, t("amend.send"));
      this.el = h(
        "form",
        { class: "amendment-form", hidden: true, novalidate: true, "aria-label": t("amend.form_label") },
        h("p", { class: "muted" }, t("amend.on_passage")),
        this.quote,
        h("label", { for: replacementId }, t("amend.replacement")),
        h("p", { id: hintId, class: "hint" }, t("amend.replacement_hint")),
        this.replacement,
        this.error,
        h("label", { for: rationaleId }, t("amend.rationale")),
        this.rationale,
        h("div", { class: "actions" }, submit, h("button", { type: "button", class: "secondary", onclick: () => this.close() }, t("amend.cancel"))),
      );
      this.replacement.addEventListener("input", () => this.say(null));
      this.el.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          this.close();
        }
      });
      const sending = once(submit, t("amend.sending"));
      this.el.addEventListener("submit", (event) => {
        event.preventDefault();
        // As the server keeps it: one line (a paragraph's words), trimmed.
        const text = this.replacement.value.normalize("NFC").replace(/\s*\n\s*/g, " ").trim();
        const why = this.rationale.value.normalize("NFC").trim();
        const problem =
          text.trim() === this.original.trim()
            ? t("amend.check_same")
            : text.length > MAX_TEXT
              ? t("amend.check_too_long", { max: MAX_TEXT, n: text.length })
              : why.length > MAX_WHY
                ? t("amend.check_why_too_long", { max: MAX_WHY, n: why.length })
                : null;
        if (problem) {
          this.say(problem);
          this.replacement.focus();
          return;
        }
        const passage = this.passage;
        if (!passage) return;
        void sending(async () => {
          try {
            await this.section.propose(passage, text, why);
          } catch (error) {
            this.say(errorText(error));
            this.replacement.focus();
            return false;
          }
          this.el.hidden = true;
          this.passage = null;
          this.section.showStart();
          return false;
        });
      });
    }

    private say(text: string | null): void {
      this.error.textContent = text ?? "";
      if (text) this.replacement.setAttribute("aria-invalid", "true");
      else this.replacement.removeAttribute("aria-invalid");
    }

    open(passage: Passage, words: string): void {
      this.passage = passage;
      this.original = words;
      this.quote.textContent = `« ${passage.quote} »`;
      this.replacement.value = words;
      this.rationale.value = "";
      this.say(null);
      this.el.hidden = false;
      this.replacement.focus();
      this.replacement.select();
    }

    close(): void {
      this.el.hidden = true;
      this.passage = null;
      this.say(null);
      this.section.closed();
    }
  }

  // --- putting to the vote (one amendment, or competing ones) -------------------------------

  /** « Mettre au vote » then the method and « Ouvrir le vote »: one request creates the poll
   * and opens it in the séance. */
  function voteForm(describedBy: () => string, ids: () => string[], fail: (text: string | null) => void): { button: HTMLButtonElement; el: HTMLElement } {
    const selectId = newId("amend-method");
    const select = h(
      "select",
      { id: selectId },
      h("option", { value: "" }, t("amend.method_default")),
      ...METHODS.map((m) => h("option", { value: m }, t(`method.${m}`))),
    );
    const go = h("button", { type: "button", class: "primary small" }, t("amend.vote_open"));
    const cancel = h("button", { type: "button", class: "secondary small" }, t("amend.cancel"));
    const button = h("button", { type: "button", class: "secondary small", "aria-expanded": "false" });
    const el = h("div", { class: "amendment-vote", hidden: true }, h("label", { for: selectId }, t("amend.method")), select, h("div", { class: "actions" }, go, cancel));
    const show = (on: boolean) => {
      el.hidden = !on;
      button.setAttribute("aria-expanded", String(on));
      if (on) select.focus();
      else button.focus();
    };
    button.addEventListener("click", () => show(el.hidden));
    cancel.addEventListener("click", () => show(false));
    const opening = once(go, t("amend.sending"));
    go.addEventListener("click", () =>
      void opening(async () => {
        if (!sessionId) {
          fail(t("amend.no_seance"));
          return false;
        }
        const body: Record<string, unknown> = { amendment_ids: ids(), session_id: sessionId };
        if (select.value) body.method = select.value;
        try {
          await api("POST", `${base}/vote`, body, identity.token);
          fail(null);
          el.hidden = true;
          button.setAttribute("aria-expanded", "false");
          say(t("amend.announce_vote"));
          await refresh();
        } catch (error) {
          fail(errorText(error));
          if (error instanceof ApiError && error.status === 409) await refresh();
        }
        return false;
      }),
    );
    button.setAttribute("aria-describedby", describedBy());
    return { button, el };
  }

  class GroupCard {
    readonly el = h("li", { class: "amendment-group" });
    private readonly members = h("ul", { class: "amendments" });
    private readonly problem = h("p", { class: "field-error", role: "alert", hidden: true });
    private readonly headId = newId("amend-group");
    private readonly head = h("p", { class: "amendment-group-head", id: this.headId });
    private ids: string[] = [];
    private readonly vote: { button: HTMLButtonElement; el: HTMLElement };

    constructor(readonly section: SectionAmendments) {
      this.vote = voteForm(
        () => this.headId,
        () => this.ids,
        (text) => {
          this.problem.hidden = !text;
          this.problem.textContent = text ?? "";
        },
      );
      this.vote.button.textContent = t("amend.vote_together");
      this.el.append(this.head, this.members, this.problem, h("div", { class: "actions" }, this.vote.button), this.vote.el);
    }

    update(members: AmendmentData[], els: HTMLElement[]): void {
      this.ids = members.filter((a) => a.status === "proposee").map((a) => a.id);
      this.head.textContent = t("amend.competing", { n: members.length });
      placeChildren(this.members, els);
      this.vote.button.hidden = !facilitator || closed || this.ids.length < 2;
      if (this.vote.button.hidden) this.vote.el.hidden = true;
    }
  }

  // --- one amendment ---------------------------------------------------------------------------

  class AmendmentCard {
    readonly el = h("li", { class: "amendment" });
    private readonly passage = h("div", { class: "amendment-passage-quote" });
    private readonly body = h("div", { class: "amendment-body" });
    private readonly fate = h("p", { class: "amendment-status" });
    private readonly problem = h("p", { class: "field-error", role: "alert", hidden: true });
    private readonly accept = h("button", { type: "button", class: "primary small" }, t("amend.accept"));
    private readonly reject = h("button", { type: "button", class: "secondary small", "aria-expanded": "false" }, t("amend.reject"));
    private readonly withdraw = h("button", { type: "button", class: "secondary small" }, t("amend.withdraw"));
    private readonly rejectForm: HTMLElement;
    private readonly reasonInput: HTMLTextAreaElement;
    private readonly vote: { button: HTMLButtonElement; el: HTMLElement };
    private readonly quoteId = newId("amend-quote");
    private a: AmendmentData | null = null;
    private drawn = "";

    constructor(readonly section: SectionAmendments) {
      const fail = (text: string | null) => {
        this.problem.hidden = !text;
        this.problem.textContent = text ?? "";
      };
      this.vote = voteForm(
        () => this.quoteId,
        () => (this.a ? [this.a.id] : []),
        fail,
      );
      this.vote.button.textContent = t("amend.vote");
      const reasonId = newId("amend-reason");
      this.reasonInput = h("textarea", { id: reasonId, rows: 2 });
      const confirm = h("button", { type: "button", class: "danger small" }, t("amend.reject_confirm"));
      const cancel = h("button", { type: "button", class: "secondary small" }, t("amend.cancel"));
      this.rejectForm = h("div", { class: "amendment-reject", hidden: true }, h("label", { for: reasonId }, t("amend.reason")), this.reasonInput, h("div", { class: "actions" }, confirm, cancel));
      const showReject = (on: boolean) => {
        this.rejectForm.hidden = !on;
        this.reject.setAttribute("aria-expanded", String(on));
        if (on) this.reasonInput.focus();
        else this.reject.focus();
      };
      this.reject.addEventListener("click", () => showReject(this.rejectForm.hidden));
      cancel.addEventListener("click", () => showReject(false));
      const decide = (button: HTMLButtonElement, action: "accept" | "reject" | "withdraw", body: () => unknown) => {
        const run = once(button, t("amend.sending"));
        button.addEventListener("click", () =>
          void run(async () => {
            const a = this.a;
            if (!a) return false;
            try {
              const now = await api<AmendmentData>("POST", `/api/amendments/${encodeURIComponent(a.id)}/${action}`, body(), identity.token);
              fail(null);
              say(t(`amend.announce_${now.status}`, { quote: a.quote }));
            } catch (error) {
              if (error instanceof ApiError && error.status === 409) {
                // Decided meanwhile (another facilitator, a vote): what it became is shown.
                fail(null);
                await refresh();
                const now = list.find((x) => x.id === a.id);
                say(t("amend.already_decided", { status: t(`amend.status.${now?.status ?? a.status}`) }));
                return false;
              }
              fail(errorText(error));
              return false;
            }
            this.rejectForm.hidden = true;
            await refresh();
            return false;
          }),
        );
      };
      decide(this.accept, "accept", () => undefined);
      decide(confirm, "reject", () => ({ reason: this.reasonInput.value.trim() || null }));
      decide(this.withdraw, "withdraw", () => undefined);
      this.el.append(
        this.passage,
        this.body,
        this.fate,
        this.problem,
        h("div", { class: "actions" }, this.accept, this.reject, this.vote.button, this.withdraw),
        this.rejectForm,
        this.vote.el,
      );
    }

    update(a: AmendmentData, where: Place): void {
      this.a = a;
      this.el.dataset.amendment = a.id;
      this.el.dataset.status = a.status;
      this.el.dataset.place = where.kind;
      // The atelier closing (or reopening) changes the buttons offered, not the amendment.
      const signature = JSON.stringify([a, where.kind, mode, closed]);
      if (signature === this.drawn) return;
      this.drawn = signature;
      if (where.kind === "text" && isOpen(a)) {
        this.passage.replaceChildren(
          h(
            "button",
            { type: "button", id: this.quoteId, class: "link amendment-quote-link", onclick: () => this.section.show(a) },
            h("span", { class: "sr-only" }, `${t("amend.go_to")} `),
            `« ${a.quote} »`,
          ),
        );
      } else {
        this.passage.replaceChildren(h("blockquote", { id: this.quoteId, class: "amendment-quote" }, `« ${a.quote} »`));
      }
      const parts: HTMLElement[] = [
        h("p", { class: "amendment-proposed" }, h("span", { class: "muted" }, `${t("amend.proposed_text")} `), h("ins", {}, a.replacement || t("amend.deletion"))),
      ];
      if (a.rationale) parts.push(h("p", { class: "amendment-rationale" }, h("span", { class: "muted" }, `${t("amend.why")} `), a.rationale));
      parts.push(
        h(
          "p",
          { class: "amendment-meta muted" },
          t("amend.by", { name: authorName(a) }),
          " · ",
          h("time", { datetime: a.created_at }, formatDateTime(a.created_at)),
        ),
      );
      this.body.replaceChildren(...parts);
      const fate: (Node | string)[] = [h("strong", { class: `amendment-badge status-${a.status}` }, t(`amend.status.${a.status}`))];
      if (a.status === "au_vote" && a.poll_id) fate.push(" ", h("a", { href: `/vote/${encodeURIComponent(a.poll_id)}` }, t("amend.follow_vote")));
      if (a.decided_by && !isOpen(a)) fate.push(" — ", t("amend.decided_by", { name: a.decided_by }));
      const reason = a.result && typeof a.result.reason === "string" ? a.result.reason : null;
      if (reason) fate.push(h("span", { class: "amendment-reason" }, ` ${t("amend.reason_was", { reason })}`));
      if (a.poll_id && !isOpen(a)) fate.push(" ", t("amend.by_vote"));
      // Its vote chose it after the text stopped changing (locked, archived, handed to the
      // council…): the server kept the result and left the text alone; say why.
      const held = notApplied(a);
      if (held) fate.push(h("span", { class: "amendment-not-applied", "data-testid": "amendment-not-applied" }, ` ${t(`amend.not_applied.${held}`)}`));
      if (a.status === "acceptee" && (a.applied === "inserted" || a.applied === "appended")) fate.push(h("span", { class: "amendment-applied" }, ` ${t(`amend.applied_${a.applied}`)}`));
      this.fate.replaceChildren(...fate);
      const decidable = facilitator && !closed && a.status === "proposee";
      this.accept.hidden = !decidable || (where.kind !== "text" && where.kind !== "detached");
      this.reject.hidden = !decidable;
      this.vote.button.hidden = !decidable;
      this.withdraw.hidden = closed || !(a.mine && a.status === "proposee");
      if (!decidable) {
        this.rejectForm.hidden = true;
        this.vote.el.hidden = true;
      }
      for (const button of [this.accept, this.reject, this.vote.button, this.withdraw]) button.setAttribute("aria-describedby", this.quoteId);
    }
  }

  // --- loading -----------------------------------------------------------------------------------

  const announce = (fresh: AmendmentData[]) => {
    if (!loaded) return;
    const before = new Map(list.map((a) => [a.id, a.status]));
    const said: string[] = [];
    for (const a of fresh) {
      const was = before.get(a.id);
      if (was === undefined && !a.mine) said.push(t("amend.announce_new", { name: authorName(a), quote: a.quote }));
      else if (was !== undefined && was !== a.status) said.push(t(notApplied(a) ? "amend.announce_not_applied" : `amend.announce_${a.status}`, { quote: a.quote }));
    }
    if (said.length) say(said.join(" "));
  };

  const refresh = coalesced(async () => {
    try {
      const [fresh, proposal] = await Promise.all([
        api<AmendmentData[]>("GET", base, undefined, identity.token),
        api<{ amendment_mode?: boolean }>("GET", `/api/proposals/${encodeURIComponent(proposalId)}`, undefined, identity.token),
      ]);
      // The mode switched (the same event says so): the guide and the buttons follow.
      mode = proposal.amendment_mode ?? false;
      announce(fresh);
      list = fresh;
      loaded = true;
      failed = false;
    } catch {
      failed = !loaded; // offline: what was shown stays
    }
    drawGuide();
    for (const [key, section] of sections) {
      const pluginKey = keys.get(key);
      if (pluginKey) section.view.dispatch(section.view.state.tr.setMeta(pluginKey, true));
      section.draw();
    }
  });

  return {
    plugin(sectionKey) {
      const key = new PluginKey<DecorationSet>(`amendments-${sectionKey}`);
      keys.set(sectionKey, key);
      return new Plugin<DecorationSet>({
        key,
        state: {
          init: () => DecorationSet.empty,
          apply: (tr, set, _old, state) => {
            const sync = tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined;
            if (tr.getMeta(key) || sync?.isChangeOrigin) return decorate(sectionKey, state);
            return set.map(tr.mapping, tr.doc);
          },
        },
        props: {
          decorations: (state) => key.getState(state),
          handleKeyDown: (_view, event) => {
            if ((event.ctrlKey || event.metaKey) && event.altKey && event.key.toLowerCase() === "a") {
              sections.get(sectionKey)?.start();
              return true;
            }
            return false;
          },
        },
        view: () => ({
          update: (view, previous) => {
            const section = sections.get(sectionKey);
            if (!section) return;
            if (!view.state.selection.eq(previous.selection)) section.showStart();
            if (!view.state.doc.eq(previous.doc)) section.edited();
          },
        }),
      });
    },
    attach(view, sectionKey) {
      const card = view.dom.closest("section") as HTMLElement | null;
      if (!card) return;
      const section = new SectionAmendments(sectionKey, view);
      sections.set(sectionKey, section);
      // Beside the text, above its comments (one column on a wide screen, below on a phone).
      let body = card.querySelector<HTMLElement>(":scope > .section-body");
      if (!body) {
        const text = h("div", { class: "section-text" });
        const heading = card.querySelector("h2");
        text.append(...Array.from(card.children).filter((child) => child !== heading));
        body = h("div", { class: "section-body" }, text);
        card.append(body);
      }
      const side = h("div", { class: "section-side" });
      const comments = body.querySelector(":scope > .section-comments");
      if (comments) comments.replaceWith(side);
      else body.append(side);
      side.append(section.region);
      if (comments) side.append(comments);
      if (!status.isConnected) {
        const first = card.parentElement?.querySelector(".comments-guide") ?? card;
        first.before(guide, status);
      }
      section.draw();
      if (sections.size === 1) void refresh();
    },
    live(what, event) {
      if (what === "snapshot" || what === "polls" || (what === "amendments" && event.proposal_id === proposalId)) void refresh();
    },
    setMode(on) {
      if (on === mode) return;
      mode = on;
      drawGuide();
      for (const section of sections.values()) section.draw();
    },
    setClosed(on) {
      if (on === closed) return;
      closed = on;
      drawGuide();
      for (const section of sections.values()) section.draw();
    },
    destroy() {
      document.removeEventListener("selectionchange", selectionMoved);
      sections.clear();
      status.remove();
      guide.remove();
    },
  };
}
