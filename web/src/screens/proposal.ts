// The proposal editor: one rich-text area per section of the template, all in one Y document
// (one Y.XmlFragment per section key), shared live through /ws/docs and kept in IndexedDB so
// that what is written without network survives and is sent when the network comes back.
import { IndexeddbPersistence } from "y-indexeddb";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import type { EditorView } from "prosemirror-view";
import { api, ApiError, errorText, NetworkError, type Proposal, wsUrl } from "../api";
import { append, h } from "../dom";
import { pick, t, tn } from "../i18n";
import { identityForPlace, type Identity } from "../identity";
import { roleColour, roleLabel } from "../roles";
import type { Screen } from "../router";
import { errorRegion, loading, pageTitle } from "../ui";
import { destroyView, sectionEditor, type AwarenessUser } from "../editor";
import { shortcutHint } from "../toolbar";
import { roleBadge } from "./common";
import { voteCall } from "../announce";
import type { LiveChannel } from "../live";
import { emptyState, follow } from "../seance";
import { versionsSection } from "./versions";
import { answerCard } from "./council-answer";
import { charterCard } from "../charter";
import { commentsFor } from "../comments";
import { amendmentsFor } from "../amendments";
import { READ_ONLY_BECAUSE, type DocAccess } from "../access";

// Amendments would change the text: neither proposed nor decided once it is not the atelier's to
// change (the server refuses accepting them on a transmitted proposal: 409 proposal_transmitted).
const TEXT_SETTLED = new Set(["closed", "transmitted"]);

export const proposal: Screen = (main, { proposalId }) => {
  const identity = identityForPlace(proposalId);
  if (!identity) {
    main.append(pageTitle(t("atelier.not_joined_title")), h("p", {}, t("atelier.not_joined")), h("p", {}, h("a", { href: "/" }, t("notfound.home"))));
    return;
  }
  const status = loading();
  main.append(status);
  let alive = true;
  let stop: (() => void) | null = null;
  fetchProposal(identity, proposalId)
    .then(([found, access]) => {
      if (!alive) return;
      status.remove();
      stop = open(main, identity, found, access);
    })
    .catch((error) => {
      if (!alive) return;
      status.remove();
      const region = errorRegion();
      main.append(pageTitle(t("proposal.title")), region.el);
      region.show(errorText(error));
    });
  return () => {
    alive = false;
    stop?.();
  };
};

/** The proposal and the access to its document; without network, what was fetched last time
 * (the document itself is in IndexedDB), so that a reload in a dead zone still opens it. */
async function fetchProposal(identity: Identity, proposalId: string): Promise<[Proposal, DocAccess]> {
  const key = `atelier.proposal.${proposalId}`;
  try {
    const [proposals, access] = await Promise.all([
      api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, undefined, identity.token),
      api<DocAccess>("GET", `/api/proposals/${encodeURIComponent(proposalId)}/token`, undefined, identity.token),
    ]);
    const found = proposals.find((p) => p.id === proposalId);
    if (!found) throw new ApiError(404, "proposal_not_found", t("proposal.not_found"), t("proposal.not_found"));
    localStorage.setItem(key, JSON.stringify([found, access]));
    return [found, access];
  } catch (error) {
    const kept = localStorage.getItem(key);
    if (error instanceof NetworkError && kept) return JSON.parse(kept) as [Proposal, DocAccess];
    throw error;
  }
}

type SyncState = "connecting" | "syncing" | "synced" | "offline" | "refused" | "too_large" | "change_too_large";

function open(main: HTMLElement, identity: Identity, proposalRow: Proposal, access: DocAccess): () => void {
  const ydoc = new Y.Doc();
  // Offline first: the document is kept in this browser, so edits made without network survive
  // a closed tab and are sent by the provider's sync when it connects again.
  const persistence = new IndexeddbPersistence(`atelier:${access.doc_id}`, ydoc);
  const provider = new WebsocketProvider(wsUrl("/ws/docs"), access.doc_id, ydoc, {
    params: { token: identity.token },
    connect: navigator.onLine,
  });
  const awareness = provider.awareness;
  const me: AwarenessUser = { name: identity.displayName || roleLabel(identity.role), color: roleColour(identity.role), role: identity.role };
  awareness.setLocalStateField("user", me);

  // Read-only from the start (observers, council staff), or while the facilitator, a freeze or
  // the archiving locks the text; editable again when they unlock it.
  let readOnly = access.read_only;
  let reason = access.read_only ? (access.reason ?? "role") : null;
  let version = access.version ?? null; // the version handed to the council
  let replaced = false; // a new draft from a frozen version took this document's place
  const shortcuts = h("p", { class: "hint", hidden: access.read_only }, shortcutHint());

  // --- connection and sync state ------------------------------------------------------------
  const banner = h("div", { class: "sync-banner", role: "status", "aria-live": "polite", "data-testid": "sync-state" });
  let pending = false; // local edits made while not synced
  let refused = false;
  let tooLarge: "too_large" | "change_too_large" | null = null;
  const syncState = (): SyncState => {
    if (tooLarge) return tooLarge;
    if (refused) return "refused";
    if (!navigator.onLine) return "offline";
    if (!provider.wsconnected) return provider.wsconnecting && !pending ? "connecting" : "offline";
    return provider.synced ? "synced" : "syncing";
  };
  let shown = "";
  const drawBanner = () => {
    const state = syncState();
    const text = replaced
      ? t("proposal.replaced")
      : state === "offline" && pending
        ? t("sync.offline_pending")
        : readOnly && (state === "synced" || state === "offline")
          ? t(`sync.${state}_read_only`)
          : t(`sync.${state}`);
    if (text === shown) return;
    shown = text;
    banner.dataset.state = state;
    banner.textContent = text;
  };
  provider.on("status", drawBanner);
  provider.on("sync", (synced: boolean) => {
    if (synced) pending = false;
    drawBanner();
  });
  provider.on("connection-close", (event: CloseEvent | null) => {
    if (event && [4400, 4401, 4403].includes(event.code)) {
      refused = true; // final: a new token is needed
      provider.disconnect();
    }
    // 4413: the document (or this presence) is over the server's size limit; 1009: one change
    // (a huge paste) is a frame over the server's limit. Final both: reconnecting would send the
    // same update again, for ever. It stays in this browser (IndexedDB).
    if (event && (event.code === 4413 || event.code === 1009)) {
      tooLarge = event.code === 4413 ? "too_large" : "change_too_large";
      provider.disconnect();
    }
    // 1012: the document changed hands (locked, unlocked, archived, restored, replaced by a
    // new draft): ask again what we may do.
    if (event && event.code === 1012) void recheckAccess();
    drawBanner();
  });
  ydoc.on("update", (_update: Uint8Array, origin: unknown) => {
    if (origin !== provider && origin !== persistence && !(provider.wsconnected && provider.synced)) {
      pending = true;
      drawBanner();
    }
  });
  // A phone that knows it lost the network says so at once, and reconnects when it is back,
  // instead of waiting for a dead socket to time out.
  const goOffline = () => {
    provider.disconnect();
    drawBanner();
  };
  const goOnline = () => {
    if (!refused && !tooLarge) provider.connect();
    drawBanner();
  };
  window.addEventListener("offline", goOffline);
  window.addEventListener("online", goOnline);
  drawBanner();

  // --- why the text is read-only, live both ways -------------------------------------------
  // A lock, an unlock, an archiving or a new draft closes the socket (1012): the access is
  // asked again, and the editor follows it either way, saying why (polite status).
  const notice = h("div", { class: "notice access-notice", role: "status", "data-testid": "access-notice" });
  const sayAccess = (editableAgain: boolean) => {
    notice.className = `access-notice ${editableAgain ? "counted" : "notice"}`;
    notice.hidden = !reason && !editableAgain;
    notice.textContent = reason ? t(READ_ONLY_BECAUSE[reason] ?? "proposal.read_only", { n: version ?? "?" }) : editableAgain ? t("proposal.editable_again") : "";
  };
  sayAccess(false);
  const redraw = () => {
    shortcuts.hidden = readOnly;
    for (const view of views) view.setProps({}); // the toolbar follows (editor.ts)
    shown = "";
    drawBanner();
  };
  const recheckAccess = async () => {
    try {
      const now = await api<DocAccess>("GET", `/api/proposals/${encodeURIComponent(proposalRow.id)}/token`, undefined, identity.token);
      if (now.doc_id !== access.doc_id) {
        // Restarted from a frozen version: this document is nobody's any more.
        replaced = refused = readOnly = true;
        reason = null;
        provider.disconnect();
        notice.className = "access-notice notice";
        notice.hidden = false;
        notice.replaceChildren(h("button", { type: "button", class: "primary", onclick: () => location.reload() }, t("proposal.open_replaced")));
        redraw();
        return;
      }
      const why = now.read_only ? (now.reason ?? "role") : null;
      if (why === reason) return;
      const editableAgain = readOnly && !now.read_only;
      readOnly = now.read_only;
      reason = why;
      version = now.version ?? null;
      amendments.setClosed(TEXT_SETTLED.has(why ?? ""));
      // The atelier closed (or reopened): its comments say so and offer no « Commenter »,
      // « Répondre » nor « Résoudre » any more, as on a fresh load (the server tells why).
      comments.reload();
      sayAccess(editableAgain);
      redraw();
    } catch {
      /* offline or refused: the banner says so */
    }
  };

  // --- who is here --------------------------------------------------------------------------
  const peopleCount = h("p", { class: "here-count" });
  const peopleList = h("ul", { class: "here-list", "data-testid": "here" });
  const sectionTitles = new Map(proposalRow.sections.map((s) => [s.key, pick(s.title_fr, s.title_en)]));
  const drawPeople = () => {
    const people: { name: string; role: string; section: string | null; me: boolean }[] = [];
    awareness.getStates().forEach((state, clientId) => {
      const user = state.user as AwarenessUser | undefined;
      if (!user) return;
      people.push({ name: user.name, role: user.role, section: (state.section as string) ?? null, me: clientId === ydoc.clientID });
    });
    people.sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name));
    peopleCount.textContent = tn("proposal.here_count", people.length);
    peopleList.replaceChildren(
      ...people.map((p) =>
        h(
          "li",
          {},
          h("span", { class: "swatch", style: `background:${roleColour(p.role)}`, "aria-hidden": "true" }),
          h("strong", {}, p.name),
          " ",
          h("span", { class: "muted" }, `(${roleLabel(p.role)})`),
          p.me ? h("span", { class: "muted" }, ` — ${t("proposal.you")}`) : null,
          p.section && sectionTitles.has(p.section) ? h("span", { class: "muted" }, ` — ${sectionTitles.get(p.section)}`) : null,
        ),
      ),
    );
  };
  awareness.on("change", drawPeople);
  drawPeople();

  // --- a vote opens during the séance: said here too, with the way to the ballot ------------
  const calls = voteCall(identity);
  // --- the council's answer, as soon as it is recorded --------------------------------------
  const answer = answerCard(proposalRow);
  const reloadAnswer = () => {
    api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, undefined, identity.token)
      .then((rows) => {
        const now = rows.find((p) => p.id === proposalRow.id);
        if (now) {
          answer.update(now);
          amendments.setMode(now.amendment_mode ?? false);
        }
      })
      .catch(() => undefined); // offline: the banner says so; the card stays as it was
  };
  const comments = commentsFor(identity, proposalRow.id, sectionTitles); // beside each section
  const sessionId = proposalRow.session_id ?? identity.sessionId;
  const amendments = amendmentsFor(identity, proposalRow.id, sessionId ?? null, sectionTitles, proposalRow.amendment_mode ?? false);
  amendments.setClosed(TEXT_SETTLED.has(reason ?? ""));
  let channel: LiveChannel | null = null;
  if (sessionId) {
    const seanceState = emptyState();
    channel = follow(
      identity,
      sessionId,
      seanceState,
      (what, event) => {
        if (what === "snapshot" || what === "polls") calls.update(seanceState.polls.values());
        if (what === "proposals") {
          reloadAnswer();
          void recheckAccess(); // the amendment mode switched: the text follows
        }
        comments.live(what, event);
        amendments.live(what, event);
      },
      () => undefined, // the banner above tells the document's connection, which is what matters here
    );
  }

  // --- the sections -------------------------------------------------------------------------
  const views: EditorView[] = [];
  append(main, [
    pageTitle(proposalRow.title, t(`kind.${proposalRow.kind}`)),
    h("p", { class: "me" }, t("atelier.you_are", { name: me.name }), " ", roleBadge(identity.role)),
    charterCard(identity),
    answer.el,
    calls.el,
    banner,
    notice,
    h("section", { class: "card here", "aria-labelledby": "here-title" }, h("h2", { id: "here-title" }, t("proposal.here")), peopleCount, peopleList),
    shortcuts,
  ]);
  for (const section of proposalRow.sections) {
    const titleId = `section-${section.key}-title`;
    const hintId = `section-${section.key}-hint`;
    const mount = h("div", { class: "editor", "data-section": section.key });
    main.append(
      h(
        "section",
        { class: "card section", "aria-labelledby": titleId },
        h("h2", { id: titleId }, pick(section.title_fr, section.title_en)),
        h("p", { id: hintId, class: "hint" }, pick(section.hint_fr, section.hint_en)),
        mount,
      ),
    );
    views.push(
      sectionEditor(mount, ydoc.getXmlFragment(section.key), awareness, {
        readOnly: () => readOnly,
        navigable: () => readOnly && reason === "amendements",
        labelledBy: titleId,
        describedBy: hintId,
        onFocus: () => awareness.setLocalStateField("section", section.key),
        plugins: [comments.plugin(section.key), amendments.plugin(section.key)],
      }),
    );
    comments.attach(views[views.length - 1], section.key);
    amendments.attach(views[views.length - 1], section.key);
  }
  main.append(
    h("p", {}, h("a", { href: `/proposition/${encodeURIComponent(proposalRow.id)}/historique`, "data-testid": "history-link" }, t("history.link"))),
    versionsSection(identity, proposalRow.id),
    h("p", {}, h("a", { href: `/atelier/${encodeURIComponent(identity.atelierId)}` }, t("proposal.back"))),
  );

  return () => {
    channel?.close();
    comments.destroy();
    amendments.destroy();
    window.removeEventListener("offline", goOffline);
    window.removeEventListener("online", goOnline);
    awareness.off("change", drawPeople);
    for (const view of views) destroyView(view);
    provider.destroy();
    void persistence.destroy();
    ydoc.destroy();
  };
}
