// Comments on a proposal (issue 20, #3): threads anchored to a passage of a section, shown beside
// its text on a wide screen and below it on a phone, with replies, resolve and delete.
//
// The comments live on the server (GET /api/proposals/{id}/comments), not in the Y document:
// the server knows who wrote them and who may resolve or delete them. A thread's passage is kept
// as two Yjs relative positions (its first character, and its last one with a left association),
// so the highlight follows the edits made around it — text typed before the passage moves it,
// text typed just before or just after it does not widen it. When the passage is deleted both
// positions resolve to the same point: the thread shows under « Passage supprimé » with the
// passage as it was quoted, never lost. Bodies are set as text, never as HTML.
import { Plugin, PluginKey, TextSelection, type EditorState } from "prosemirror-state";
import { Decoration, DecorationSet, type EditorView } from "prosemirror-view";
import { ySyncPluginKey } from "y-prosemirror";
import { anchorCache, chosenPassage, placeOf, type Place } from "./anchors";
import { api, errorText } from "./api";
import { coalesced, h, newId, placeChildren } from "./dom";
import { once } from "./forms";
import { formatDateTime, t, tn } from "./i18n";
import type { Identity } from "./identity";
import type { LiveEvent } from "./live";
import { roleLabel } from "./roles";
import { modKey } from "./toolbar";
import "./comments.css";

/** The server's bounds (domain/comments.py). */
const MAX_BODY = 2000;
const MAX_QUOTE = 500;

interface CommentData {
  id: string;
  thread_id: string | null;
  section: string;
  author_name: string;
  author_role: string;
  body: string;
  created_at: string;
  deleted: boolean;
  mine: boolean;
  may_delete: boolean;
}

interface ThreadData extends CommentData {
  anchor_start: string | null;
  anchor_end: string | null;
  quote: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  may_resolve: boolean;
  replies: CommentData[];
}

interface CommentsData {
  proposal_id: string;
  may_comment: boolean;
  reason: "role" | "charter" | "archived" | "closed" | null;
  threads: ThreadData[];
}

interface Marks {
  set: DecorationSet;
  active: string | null;
}

export interface Comments {
  /** The plugin that highlights a section's commented passages (give it to sectionEditor). */
  plugin(sectionKey: string): Plugin;
  /** Show a section's comments beside its text (below it on a phone); after sectionEditor. */
  attach(view: EditorView, sectionKey: string): void;
  /** An event of the séance's live channel: comments changed, or the channel came back. */
  live(what: string, event: LiveEvent): void;
  /** What one may do here changed (the atelier closed or reopened, the text locked…): the
   * comments are read again, with whether one may still write them and why not. */
  reload(): void;
  destroy(): void;
}

function newCommentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The comment form's check, in the server's words (domain/comments.py, domain/errors.py). */
function checkBody(text: string): string | null {
  const kept = text.normalize("NFC").trim();
  if (!kept) return t("comments.check_empty");
  if (kept.length > MAX_BODY) return t("comments.check_too_long", { max: MAX_BODY, n: kept.length });
  return null;
}

/** A small form: a labelled text box with its own error, send and cancel. */
function commentForm(label: string, sendLabel: string, send: (body: string, id: string) => Promise<void>, cancel: () => void) {
  const inputId = newId("comment-body");
  const errorId = `${inputId}-error`;
  const input = h("textarea", { id: inputId, rows: 3, "aria-describedby": errorId });
  const error = h("p", { id: errorId, class: "field-error", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, sendLabel);
  const form = h(
    "form",
    { class: "comment-form", hidden: true, novalidate: true },
    h("label", { for: inputId }, label),
    input,
    error,
    h("div", { class: "actions" }, submit, h("button", { type: "button", class: "secondary", onclick: () => close() }, t("comments.cancel"))),
  );
  // One id per comment being written: sent again after a lost answer, it is created once.
  let pendingId = newCommentId();
  const say = (text: string | null) => {
    error.textContent = text ?? "";
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const close = () => {
    form.hidden = true;
    say(null);
    cancel();
  };
  input.addEventListener("input", () => say(null));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  const sending = once(submit, t("comments.sending"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = checkBody(input.value);
    if (problem) {
      say(problem);
      input.focus();
      return;
    }
    void sending(async () => {
      try {
        await send(input.value, pendingId);
      } catch (error) {
        say(errorText(error));
        input.focus();
        return false;
      }
      pendingId = newCommentId();
      input.value = "";
      form.hidden = true;
      say(null);
      return false; // the button is ready for the next one
    });
  });
  return {
    form,
    input,
    open: () => {
      form.hidden = false;
      input.focus();
    },
    close,
  };
}

export function commentsFor(identity: Identity, proposalId: string, sectionTitles: Map<string, string>): Comments {
  const base = `/api/proposals/${encodeURIComponent(proposalId)}/comments`;
  let data: CommentsData | null = null;
  let failed = false;
  const sections = new Map<string, SectionComments>();
  const keys = new Map<string, PluginKey<Marks>>();
  const status = h("p", { class: "sr-only", role: "status", "data-testid": "comments-status" });
  // Said once, above the sections: how to comment, or why one cannot.
  const guide = h("p", { class: "hint comments-guide", hidden: true, "data-testid": "comments-guide" });
  const drawGuide = () => {
    const reason = data && !data.may_comment ? data.reason : null;
    guide.textContent = !data
      ? failed
        ? t("comments.load_failed")
        : ""
      : reason
        ? t(`comments.cannot.${reason}`)
        : data.may_comment
          ? t("comments.guide", { keys: `${modKey()}+Alt+M` })
          : "";
    guide.hidden = !guide.textContent;
  };
  const seen = new Set<string>();
  let first = true;
  // A read-only text takes no focus: its chosen passage is followed through the page's selection.
  const selectionMoved = () => {
    for (const section of sections.values()) section.showStart();
  };
  document.addEventListener("selectionchange", selectionMoved);

  const say = (text: string) => {
    status.textContent = "";
    // A new text in the next frame: screen readers announce a change, even of the same words.
    requestAnimationFrame(() => (status.textContent = text));
  };

  const decoded = anchorCache();

  /** Where each of a section's threads is in `state` (recomputed from the relative positions). */
  const placesIn = (sectionKey: string, state: EditorState): Map<string, Place> => {
    const places = new Map<string, Place>();
    for (const thread of data?.threads ?? []) {
      if (thread.section === sectionKey) places.set(thread.id, placeOf(state, thread.anchor_start, thread.anchor_end, decoded));
    }
    return places;
  };

  const decorate = (sectionKey: string, state: EditorState, active: string | null): DecorationSet => {
    const found: Decoration[] = [];
    for (const [id, place] of placesIn(sectionKey, state)) {
      const thread = data?.threads.find((th) => th.id === id);
      if (place.kind !== "text" || !thread || thread.resolved_at) continue;
      found.push(
        Decoration.inline(place.from, place.to, { class: id === active ? "comment-anchor active" : "comment-anchor", "data-comment": id }, { id }),
      );
    }
    return DecorationSet.create(state.doc, found);
  };

  /** Where a section's threads are as the view shows them now: a thread highlighted is where
   * its highlight is; any other, where its positions say (computed once, when needed). */
  const placesNow = (sectionKey: string, view: EditorView): ((thread: ThreadData) => Place) => {
    const marks = keys.get(sectionKey)?.getState(view.state);
    let computed: Map<string, Place> | null = null;
    return (thread) => {
      const [found] = marks?.set.find(undefined, undefined, (spec) => spec.id === thread.id) ?? [];
      if (found && found.from < found.to) return { kind: "text", from: found.from, to: found.to };
      computed ??= placesIn(sectionKey, view.state);
      return computed.get(thread.id) ?? { kind: "detached" };
    };
  };

  // --- one section's comments -----------------------------------------------------------------

  class SectionComments {
    readonly region: HTMLElement;
    readonly cards = new Map<string, ThreadCard>();
    private readonly heading = h("h3", {}, t("comments.title"));
    private readonly label: string;
    private readonly count = h("p", { class: "comments-count muted" });
    private readonly note = h("p", { class: "hint comments-note" });
    private readonly open = h("ul", { class: "threads" });
    private readonly detachedList = h("ul", { class: "threads" });
    private readonly detached = h(
      "div",
      { class: "comments-detached", hidden: true },
      h("h4", {}, t("comments.detached")),
      h("p", { class: "hint" }, t("comments.detached_hint")),
      this.detachedList,
    );
    private readonly resolvedList = h("ul", { class: "threads" });
    private readonly resolvedTitle = h("summary", {});
    private readonly resolved = h("details", { class: "comments-resolved", hidden: true }, this.resolvedTitle, this.resolvedList);
    readonly startButton: HTMLButtonElement;
    private readonly card: HTMLElement;
    private readonly quote = h("blockquote", { class: "comment-quote" });
    private readonly starter: ReturnType<typeof commentForm>;
    private passage: { start: string; end: string; quote: string } | null = null;
    private lastPlaces = "";

    constructor(
      readonly key: string,
      readonly view: EditorView,
    ) {
      const title = sectionTitles.get(key) ?? key;
      const shortcut = `${modKey()}+Alt+M`;
      this.startButton = h(
        "button",
        {
          type: "button",
          class: "comment-start",
          hidden: true,
          title: t("comments.start_title", { keys: shortcut }),
          "aria-keyshortcuts": "Control+Alt+M",
          // The passage stays chosen in the text: a press does not take the focus from it.
          onmousedown: (event: Event) => event.preventDefault(),
          onclick: () => this.startThread(),
        },
        t("comments.start"),
      );
      this.starter = commentForm(t("comments.new_label"), t("comments.publish"), (body, id) => this.publish(body, id), () => {
        this.passage = null;
        this.showStart();
        this.view.focus();
      });
      this.starter.form.prepend(h("p", { class: "muted" }, t("comments.on_passage")), this.quote);
      this.label = t("comments.region", { section: title });
      this.region = h(
        "div",
        { class: "section-comments", "data-comments": key },
        this.heading,
        this.startButton,
        this.starter.form,
        this.count,
        this.note,
        this.open,
        this.detached,
        this.resolved,
      );
      // The button shows while a passage is chosen in this section and the person is there:
      // the focus is in the section (Tab from the text reaches the button), or, in a read-only
      // text (which takes no focus), the page's selection is in it.
      this.card = view.dom.closest("section") ?? view.dom;
      this.card.addEventListener("focusin", () => this.showStart());
      this.card.addEventListener("focusout", (event) => {
        const next = (event as FocusEvent).relatedTarget;
        if (next instanceof Node && this.card.contains(next)) return; // Tab to « Commenter »
        setTimeout(() => this.showStart()); // once the focus has landed elsewhere
      });
    }

    private here(): boolean {
      const focused = document.activeElement;
      if (focused && focused !== document.body && this.card.contains(focused)) return true;
      if (this.view.editable) return false;
      const chosen = document.getSelection();
      return !!chosen && !chosen.isCollapsed && !!chosen.anchorNode && this.view.dom.contains(chosen.anchorNode);
    }

    showStart(): void {
      const may = data?.may_comment ?? false;
      const chosen = !this.view.state.selection.empty && this.starter.form.hidden;
      this.startButton.hidden = !(may && chosen && this.here());
    }

    startThread(): void {
      if (!data?.may_comment) return;
      const passage = chosenPassage(this.view, MAX_QUOTE);
      if (!passage) return;
      this.passage = passage;
      this.quote.textContent = `« ${passage.quote} »`;
      this.startButton.hidden = true;
      this.starter.open();
    }

    private async publish(body: string, id: string): Promise<void> {
      const passage = this.passage;
      if (!passage) return;
      await api<ThreadData>(
        "POST",
        base,
        { id, section: this.key, body, anchor_start: passage.start, anchor_end: passage.end, quote: passage.quote },
        identity.token,
      );
      seen.add(id);
      this.passage = null;
      say(t("comments.announce_published"));
      await refresh();
      this.view.focus();
    }

    /** Draw the threads of this section where they now are; cards are kept (and a reply being
     * typed in one with them). */
    draw(): void {
      const threads = (data?.threads ?? []).filter((th) => th.section === this.key);
      for (const [id, card] of this.cards) {
        if (!threads.some((th) => th.id === id)) {
          card.el.remove();
          this.cards.delete(id);
        }
      }
      const open: [number, ThreadCard][] = [];
      const detached: ThreadCard[] = [];
      const resolved: ThreadCard[] = [];
      const places: string[] = [];
      const placeOf = placesNow(this.key, this.view);
      for (const thread of threads) {
        let card = this.cards.get(thread.id);
        if (!card) {
          card = new ThreadCard(this);
          this.cards.set(thread.id, card);
        }
        const where = placeOf(thread);
        card.update(thread, where);
        places.push(`${thread.id}:${where.kind}`);
        if (thread.resolved_at) resolved.push(card);
        else if (where.kind === "detached") detached.push(card);
        else open.push([where.kind === "text" ? where.from : where.kind === "section" ? -1 : Number.MAX_SAFE_INTEGER, card]);
      }
      open.sort((a, b) => a[0] - b[0]);
      placeChildren(this.open, open.map(([, card]) => card.el));
      placeChildren(this.detachedList, detached.map((card) => card.el));
      placeChildren(this.resolvedList, resolved.map((card) => card.el));
      this.detached.hidden = detached.length === 0;
      this.resolved.hidden = resolved.length === 0;
      this.resolvedTitle.textContent = t("comments.resolved_count", { n: resolved.length });
      // A section without comments shows nothing but « Commenter » when a passage is chosen:
      // eight empty « Commentaires » would bury the text on a phone. With threads it is a
      // region of its own, named after its section.
      const any = threads.length > 0;
      if (any) {
        this.region.setAttribute("role", "region");
        this.region.setAttribute("aria-label", this.label);
      } else {
        this.region.removeAttribute("role");
        this.region.removeAttribute("aria-label");
      }
      this.region.classList.toggle("empty", !any);
      this.heading.hidden = this.count.hidden = !any;
      this.count.textContent = tn("comments.count", open.length + detached.length);
      const reason = data?.may_comment ? null : data?.reason;
      this.note.textContent = reason ? t(`comments.cannot.${reason}`) : "";
      this.note.hidden = !any || !reason;
      this.lastPlaces = places.join(" ");
      this.showStart();
    }

    /** After an edit: draw again only if a thread moved between the text and « Passage
     * supprimé ». */
    edited(): void {
      const threads = (data?.threads ?? []).filter((th) => th.section === this.key);
      const placeOf = placesNow(this.key, this.view);
      const now = threads.map((thread) => `${thread.id}:${placeOf(thread).kind}`).join(" ");
      if (now !== this.lastPlaces) this.draw();
    }

    /** Select the thread's passage in the text, scrolled into view, and mark it. */
    show(thread: ThreadData): void {
      const place = placesNow(this.key, this.view)(thread);
      const key = keys.get(this.key);
      if (key) this.view.dispatch(this.view.state.tr.setMeta(key, { active: thread.id }));
      if (place.kind !== "text") return;
      const tr = this.view.state.tr.setSelection(TextSelection.create(this.view.state.doc, place.from, place.to)).scrollIntoView();
      this.view.dispatch(tr);
      if (this.view.editable) this.view.focus();
      else this.view.dom.querySelector(`[data-comment="${thread.id}"]`)?.scrollIntoView({ block: "center" });
    }
  }


  // --- one thread ------------------------------------------------------------------------------

  class ThreadCard {
    readonly el = h("li", { class: "thread" });
    private readonly head = h("div", { class: "thread-passage" });
    private readonly list = h("div", { class: "thread-comments" });
    private readonly resolvedNote = h("p", { class: "muted resolved-note" });
    private readonly replyButton = h("button", { type: "button", class: "secondary" }, t("comments.reply"));
    private readonly resolveButton = h("button", { type: "button", class: "secondary" });
    /** What went wrong with resolving or deleting here (the network, a refusal). */
    private readonly problem = h("p", { class: "field-error", role: "alert", hidden: true });
    private readonly replier: ReturnType<typeof commentForm>;
    private thread: ThreadData | null = null;
    private drawn = "";

    constructor(private readonly section: SectionComments) {
      this.replier = commentForm(t("comments.reply_label"), t("comments.send"), (body, id) => this.reply(body, id), () => {
        this.replyButton.hidden = !(data?.may_comment ?? false);
        this.replyButton.focus();
      });
      this.replyButton.addEventListener("click", () => {
        this.replyButton.hidden = true;
        this.replier.open();
      });
      const resolving = once(this.resolveButton, t("comments.sending"));
      this.resolveButton.addEventListener("click", () =>
        void resolving(async () => {
          const thread = this.thread;
          if (!thread) return false;
          const resolved = !thread.resolved_at;
          try {
            await api("POST", `/api/comments/${encodeURIComponent(thread.id)}/resolve`, { resolved }, identity.token);
            this.fail(null);
            say(t(resolved ? "comments.announce_resolved" : "comments.announce_reopened"));
            await refresh();
          } catch (error) {
            this.fail(errorText(error));
          }
          return false;
        }),
      );
      this.el.append(this.head, this.list, this.resolvedNote, this.problem, h("div", { class: "actions" }, this.replyButton, this.resolveButton), this.replier.form);
    }

    private fail(text: string | null): void {
      this.problem.hidden = !text;
      this.problem.textContent = text ?? "";
    }

    update(thread: ThreadData, where: Place): void {
      this.thread = thread;
      this.el.dataset.thread = thread.id;
      this.el.dataset.place = where.kind;
      const signature = JSON.stringify([thread, where.kind, data?.may_comment]);
      if (signature === this.drawn) return;
      this.drawn = signature;
      const quoteId = `thread-${thread.id}-passage`;
      if (where.kind === "section") {
        this.head.replaceChildren(h("p", { id: quoteId, class: "muted" }, t("comments.whole_section")));
      } else if (where.kind === "text") {
        this.head.replaceChildren(
          h(
            "button",
            { type: "button", id: quoteId, class: "link thread-quote", onclick: () => this.section.show(thread) },
            h("span", { class: "sr-only" }, `${t("comments.go_to")} `),
            `« ${thread.quote ?? ""} »`,
          ),
        );
      } else {
        this.head.replaceChildren(h("blockquote", { id: quoteId, class: "comment-quote" }, `« ${thread.quote ?? ""} »`));
      }
      this.list.replaceChildren(this.comment(thread, quoteId), ...thread.replies.map((reply) => this.comment(reply, quoteId)));
      this.resolvedNote.hidden = !thread.resolved_at;
      this.resolvedNote.textContent = thread.resolved_by ? t("comments.resolved_by", { name: thread.resolved_by }) : "";
      this.replyButton.hidden = !(data?.may_comment ?? false) || !this.replier.form.hidden;
      this.replyButton.setAttribute("aria-describedby", quoteId);
      this.resolveButton.hidden = !thread.may_resolve;
      this.resolveButton.textContent = t(thread.resolved_at ? "comments.reopen" : "comments.resolve");
      this.resolveButton.setAttribute("aria-describedby", quoteId);
    }

    private comment(comment: CommentData, quoteId: string): HTMLElement {
      const el = h("div", { class: comment.thread_id ? "comment reply" : "comment", "data-comment-id": comment.id });
      if (comment.deleted) {
        el.append(h("p", { class: "muted comment-deleted" }, t("comments.deleted")));
        return el;
      }
      el.append(
        h(
          "p",
          { class: "comment-meta" },
          h("strong", {}, comment.author_name),
          " ",
          h("span", { class: "muted" }, `(${roleLabel(comment.author_role)})`),
          " · ",
          h("time", { datetime: comment.created_at }, formatDateTime(comment.created_at)),
        ),
        h("p", { class: "comment-body" }, comment.body), // text, never HTML
      );
      if (comment.may_delete) {
        const remove = h("button", { type: "button", class: "secondary small", "aria-describedby": quoteId }, t("comments.delete"));
        const confirm = h("button", { type: "button", class: "danger small", hidden: true }, t("comments.delete_confirm"));
        const keep = h("button", { type: "button", class: "secondary small", hidden: true }, t("comments.keep"));
        remove.addEventListener("click", () => {
          remove.hidden = true;
          confirm.hidden = keep.hidden = false;
          confirm.focus();
        });
        keep.addEventListener("click", () => {
          confirm.hidden = keep.hidden = true;
          remove.hidden = false;
          remove.focus();
        });
        const deleting = once(confirm, t("comments.sending"));
        confirm.addEventListener("click", () =>
          void deleting(async () => {
            try {
              await api("DELETE", `/api/comments/${encodeURIComponent(comment.id)}`, undefined, identity.token);
              this.fail(null);
              say(t("comments.announce_deleted"));
              await refresh();
              this.section.view.focus();
              return true;
            } catch (error) {
              this.fail(errorText(error));
              return false;
            }
          }),
        );
        el.append(h("div", { class: "actions" }, remove, confirm, keep));
      }
      return el;
    }

    private async reply(body: string, id: string): Promise<void> {
      const thread = this.thread;
      if (!thread) return;
      await api("POST", `/api/comments/${encodeURIComponent(thread.id)}/replies`, { id, body }, identity.token);
      seen.add(id);
      say(t("comments.announce_published"));
      this.replyButton.hidden = false;
      await refresh();
      this.replyButton.focus();
    }
  }

  // --- loading ------------------------------------------------------------------------------

  /** New comments from others since the last load, said politely (not on the first load). */
  const announce = (threads: ThreadData[]) => {
    const fresh: string[] = [];
    for (const thread of threads) {
      for (const comment of [thread, ...thread.replies]) {
        if (seen.has(comment.id)) continue;
        seen.add(comment.id);
        if (first || comment.mine || comment.deleted) continue;
        const words = comment.body.length > 120 ? `${comment.body.slice(0, 119)}…` : comment.body;
        fresh.push(t(comment.thread_id ? "comments.announce_reply" : "comments.announce_new", { name: comment.author_name, body: words }));
      }
    }
    first = false;
    if (fresh.length) say(fresh.join(" "));
  };

  const refresh = coalesced(async () => {
    try {
      data = await api<CommentsData>("GET", base, undefined, identity.token);
      failed = false;
      announce(data.threads);
    } catch {
      failed = true; // offline: what was shown stays; the channel's next snapshot reloads
    }
    drawGuide();
    for (const [key, section] of sections) {
      const pluginKey = keys.get(key);
      // New anchors: the highlights are computed again from them.
      if (pluginKey) section.view.dispatch(section.view.state.tr.setMeta(pluginKey, { anchors: true }));
      section.draw();
    }
  });

  return {
    plugin(sectionKey) {
      const key = new PluginKey<Marks>(`comments-${sectionKey}`);
      keys.set(sectionKey, key);
      return new Plugin<Marks>({
        key,
        state: {
          init: () => ({ set: DecorationSet.empty, active: null }),
          apply: (tr, marks, _old, state) => {
            const meta = tr.getMeta(key) as { anchors?: boolean; active?: string | null } | undefined;
            const sync = tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined;
            const active = meta && "active" in meta ? (meta.active ?? null) : marks.active;
            // From the relative positions when they are new, or when the binding drew the text
            // again from the Y document (a remote edit, an undo); mapped through a local edit.
            if (meta || sync?.isChangeOrigin) return { set: decorate(sectionKey, state, active), active };
            return { set: marks.set.map(tr.mapping, tr.doc), active };
          },
        },
        props: {
          decorations: (state) => key.getState(state)?.set,
          handleKeyDown: (_view, event) => {
            if ((event.ctrlKey || event.metaKey) && event.altKey && event.key.toLowerCase() === "m") {
              sections.get(sectionKey)?.startThread();
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
            if (!view.state.doc.eq(previous.doc) || key.getState(view.state) !== key.getState(previous)) section.edited();
          },
        }),
      });
    },
    attach(view, sectionKey) {
      const card = view.dom.closest("section") as HTMLElement | null;
      if (!card) return;
      const section = new SectionComments(sectionKey, view);
      sections.set(sectionKey, section);
      // The text (with its bar) and the comments side by side on a wide screen (comments.css).
      const text = h("div", { class: "section-text" });
      const heading = card.querySelector("h2");
      text.append(...Array.from(card.children).filter((child) => child !== heading));
      card.append(h("div", { class: "section-body" }, text, section.region));
      if (!status.isConnected) card.before(guide, status);
      section.draw();
      if (sections.size === 1) void refresh();
    },
    live(what, event) {
      if (what === "snapshot" || (what === "comments" && event.proposal_id === proposalId)) void refresh();
    },
    reload() {
      void refresh();
    },
    destroy() {
      document.removeEventListener("selectionchange", selectionMoved);
      sections.clear();
      status.remove();
      guide.remove();
    },
  };
}
