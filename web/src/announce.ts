// « Un vote est ouvert » on every participant screen (the atelier, the editor, another ballot):
// a polite, dismissible announcement with a link to the ballot. The live region is in the page
// from the start, so that screen readers hear an announcement inserted later (aria-live polite:
// after what they are reading, never cutting in).
import { h } from "./dom";
import { t } from "./i18n";
import type { Identity } from "./identity";
import { receiptFor, type Poll } from "./polls";

const DISMISSED = "atelier.dismissed-polls";

function dismissed(): Set<string> {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(DISMISSED) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

function dismiss(pollId: string): void {
  const all = dismissed();
  all.add(pollId);
  sessionStorage.setItem(DISMISSED, JSON.stringify([...all]));
}

/** Whether someone of ``role`` votes in ``poll`` (the server decides; this hides a useless link). */
export function votesIn(poll: Poll, role: string): boolean {
  return poll.voter_roles.includes(role);
}

/** The announcement region; ``update(polls)`` shows one notice per open poll this person has
 * not voted in nor dismissed (``except``: the poll of the ballot on screen). */
export function voteCall(identity: Identity, except: string | null = null): { el: HTMLElement; update: (polls: Iterable<Poll>) => void } {
  const el = h("div", { class: "vote-calls", "aria-live": "polite", "data-testid": "vote-call" });
  const shown = new Map<string, HTMLElement>();
  const update = (polls: Iterable<Poll>) => {
    const hidden = dismissed();
    const wanted = [...polls].filter(
      (p) => p.status === "open" && p.id !== except && !hidden.has(p.id) && !p.my_ballot?.cast && !receiptFor(p.id),
    );
    const ids = new Set(wanted.map((p) => p.id));
    for (const [id, notice] of shown) {
      if (ids.has(id)) continue;
      notice.remove();
      shown.delete(id);
    }
    for (const poll of wanted) {
      if (shown.has(poll.id)) continue;
      const mine = votesIn(poll, identity.role);
      const close = h("button", { type: "button", class: "small" }, t("announce.dismiss"));
      const notice = h(
        "div",
        { class: "vote-call", "data-poll-id": poll.id },
        h("p", {}, h("strong", {}, t("announce.open", { title: poll.title })), " ", mine ? t("announce.you_vote") : t("announce.you_do_not_vote")),
        h(
          "p",
          { class: "actions" },
          h("a", { href: `/vote/${encodeURIComponent(poll.id)}`, class: mine ? "button primary-link" : "button" }, t(mine ? "announce.go_vote" : "announce.follow")),
          close,
        ),
      );
      close.addEventListener("click", () => {
        dismiss(poll.id);
        notice.remove();
        shown.delete(poll.id);
        document.getElementById("page-title")?.focus();
      });
      shown.set(poll.id, notice);
      el.append(notice);
    }
  };
  return { el, update };
}
