// « Propositions » in the facilitator's console (issue 19, #5): every proposal of the atelier,
// each with its title (renamed in place), a switch that locks its live text for everyone
// (POST /api/proposals/{id}/lock: open editors turn read-only, « verrouillée par l'animation »,
// and back), archiving (asked first; brought back with « Restaurer »), and, once it has frozen
// versions, a new draft from one of them (asked first: it replaces the text being written) or
// a copy of one into a new proposal. Archived proposals are listed apart, under « Archivées ».
//
// The list follows the séance's live channel (`proposals_changed`, sent for every change to
// the atelier's proposals, from this console or another) and is redrawn in place: a form being
// filled in, a question being asked, and the focus stay where they are.
import { api, errorText, type Proposal } from "../api";
import { h, newId } from "../dom";
import { formatDateTime, t, tn } from "../i18n";
import { remember, type Identity } from "../identity";
import { oneLine } from "../forms";
import { errorRegion, twoStep } from "../ui";

/** As the server keeps a title (server/services/proposals.py `_title`, domain check_line). */
export const TITLE_MAX = 200;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;

/** The server's words for a title it refuses, or null when it takes it. */
export function checkTitle(text: string): string | null {
  if (!text) return t("cprop.check_empty");
  if (text.length > TITLE_MAX) return t("cprop.check_too_long", { max: TITLE_MAX, n: text.length });
  const bad = CONTROL.exec(text);
  if (bad) return t("cprop.check_control", { code: bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") });
  return null;
}

export interface ProposalsPanel {
  el: HTMLElement;
  /** Read the atelier's proposals again (after a change made elsewhere in the console). */
  reload: () => Promise<void>;
  /** What the séance's live channel said (seance.ts `applyEvent`): "proposals" reloads. */
  onEvent: (what: string) => void;
  /** The atelier is closed: its proposals are listed, each with « Ouvrir », and nothing else
   * (renaming, locking, modes, archiving, drafts and copies answer 409 atelier_closed). */
  closed: (on: boolean) => void;
}

interface Item {
  li: HTMLElement;
  update: (p: Proposal) => void;
}

/** `changed` hears every fresh list (the vote form's options, the hand-over list). */
export function proposalsPanel(identity: Identity, changed: (rows: Proposal[]) => void = () => {}): ProposalsPanel {
  const current = h("ul", { class: "cprop-list", "data-testid": "proposals-current" });
  const archived = h("ul", { class: "cprop-list", "data-testid": "proposals-archived" });
  const none = h("p", { class: "muted" }, t("cprop.none"));
  const noneArchived = h("p", { class: "muted" }, t("cprop.archived_none"));
  const said = h("p", { class: "counted", role: "status", "aria-live": "polite", tabindex: "-1" });
  const error = errorRegion();
  const items = new Map<string, Item>();
  const say = (text: string | (Node | string)[], focus = false) => {
    said.replaceChildren(...(typeof text === "string" ? [text] : text));
    if (focus) (said.querySelector<HTMLElement>("a") ?? said).focus();
  };

  const draw = (rows: Proposal[]) => {
    const seen = new Set<string>();
    for (const p of rows) {
      remember(p.id, identity.atelierId); // « Ouvrir » finds who this browser is there
      seen.add(p.id);
      let item = items.get(p.id);
      if (!item) {
        item = proposalItem(identity, p, { say, reload });
        items.set(p.id, item);
      }
      item.update(p);
      const list = p.archived_at ? archived : current;
      // Moved only when it changes list (or is new): moving a node takes the focus out of it.
      if (item.li.parentElement !== list) list.append(item.li);
    }
    for (const [id, item] of items) {
      if (!seen.has(id)) {
        item.li.remove();
        items.delete(id);
      }
    }
    // The lists keep the server's order (oldest first).
    for (const list of [current, archived]) {
      const order = rows.map((p) => items.get(p.id)?.li).filter((li): li is HTMLElement => !!li && li.parentElement === list);
      if (order.some((li, i) => list.children[i] !== li)) list.append(...order);
    }
    none.hidden = current.children.length > 0;
    noneArchived.hidden = archived.children.length > 0;
  };

  let loading: Promise<void> | null = null;
  let again = false;
  const reload = async (): Promise<void> => {
    // One read at a time; a change heard meanwhile reads once more after it.
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          const rows = await api<Proposal[]>("GET", `/api/ateliers/${encodeURIComponent(identity.atelierId)}/proposals`, undefined, identity.token);
          error.show(null);
          draw(rows);
          changed(rows);
        } catch (e) {
          error.show(errorText(e));
        }
      } while (again);
    })();
    try {
      await loading;
    } finally {
      loading = null;
    }
  };

  const el = h(
    "section",
    { class: "card cprop", "aria-labelledby": "cprop-title", "data-testid": "proposals-panel" },
    h("h2", { id: "cprop-title" }, t("cprop.title")),
    h("p", { class: "hint" }, t("cprop.intro")),
    error.el,
    said,
    none,
    current,
    h("h3", { id: "cprop-archived-title" }, t("cprop.archived_title")),
    noneArchived,
    archived,
  );
  archived.setAttribute("aria-labelledby", "cprop-archived-title");
  void reload();
  return {
    el,
    reload,
    // Every button of the panel goes (styles.css `.cprop-shut`), as lists are redrawn in place.
    closed: (on) => el.classList.toggle("cprop-shut", on),
    onEvent: (what) => {
      // A snapshot follows a reconnection: what changed meanwhile was not heard.
      // « amendments »: another facilitator may have switched a proposal's writing mode.
      if (what === "proposals" || what === "amendments" || what === "snapshot") void reload();
    },
  };
}

interface Context {
  /** Say what happened (politely); `focus` takes the focus there (its link, if any). */
  say: (text: string | (Node | string)[], focus?: boolean) => void;
  reload: () => Promise<void>;
}

function proposalItem(identity: Identity, first: Proposal, ctx: Context): Item {
  let p = first;
  const id = p.id;
  const path = `/api/proposals/${encodeURIComponent(id)}`;
  const titleId = newId("cprop-name");
  const title = h("h3", { id: titleId, class: "cprop-name" });
  const meta = h("p", { class: "cprop-meta muted" });
  const error = errorRegion();
  const send = async <T>(method: "POST" | "PUT", url: string, body: unknown): Promise<T | null> => {
    error.show(null);
    try {
      return await api<T>(method, url, body, identity.token);
    } catch (e) {
      error.show(errorText(e));
      return null;
    }
  };
  const open = h("a", { href: `/proposition/${encodeURIComponent(id)}`, class: "button small" }, t("cprop.open"));

  // --- rename, in place ---------------------------------------------------------------------
  const renameButton = h("button", { type: "button", class: "small", "aria-expanded": "false" }, t("cprop.rename"));
  const inputId = newId("cprop-title-input");
  const messageId = `${inputId}-error`;
  const input = h("input", { id: inputId, name: "title", maxlength: String(TITLE_MAX), autocomplete: "off" });
  const message = h("p", { id: messageId, class: "field-error", hidden: true });
  const save = h("button", { type: "submit", class: "primary small" }, t("cprop.rename_save"));
  const cancelRename = h("button", { type: "button", class: "small" }, t("cprop.cancel"));
  const renameLabel = h("label", { for: inputId });
  const renameForm = h("form", { class: "cprop-rename", novalidate: true, hidden: true }, h("div", { class: "field" }, renameLabel, message, input), h("p", { class: "actions" }, save, cancelRename));
  const problem = (text: string | null) => {
    message.hidden = !text;
    message.textContent = text ?? "";
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", messageId);
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  };
  const showRename = (on: boolean) => {
    renameForm.hidden = !on;
    renameButton.setAttribute("aria-expanded", String(on));
    if (on) {
      input.value = p.title;
      problem(null);
      input.focus();
      input.select();
    } else {
      renameButton.focus();
    }
  };
  renameButton.addEventListener("click", () => showRename(renameForm.hidden));
  cancelRename.addEventListener("click", () => showRename(false));
  input.addEventListener("input", () => problem(null));
  let renaming = false;
  renameForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (renaming) return; // a double Enter renames once
    const text = oneLine(input.value);
    const refused = checkTitle(text);
    problem(refused);
    if (refused) {
      input.focus();
      return;
    }
    if (text === p.title) {
      showRename(false);
      return;
    }
    renaming = true;
    save.disabled = true;
    const row = await send<Proposal>("PUT", `${path}/title`, { title: text });
    renaming = false;
    save.disabled = false;
    if (!row) return;
    p = { ...p, title: row.title };
    paint();
    showRename(false);
    ctx.say(t("cprop.renamed", { title: row.title }));
  });

  // --- lock switch --------------------------------------------------------------------------
  const lock = h("button", { type: "button", class: "small toggle", "aria-pressed": "false" }, t("cprop.lock"));
  lock.addEventListener("click", async () => {
    const wanted = lock.getAttribute("aria-pressed") !== "true";
    lock.disabled = true;
    const row = await send<Proposal>("POST", `${path}/lock`, { locked: wanted });
    lock.disabled = false;
    if (!row) return;
    p = { ...p, locked: row.locked, locked_by: row.locked_by };
    paint();
    lock.focus();
    ctx.say(t(row.locked ? "cprop.locked_now" : "cprop.unlocked_now", { title: p.title }));
  });

  // --- writing mode: « Écriture libre » or « Amendements » (amendments.ts) -----------------
  // Two buttons, the one in force pressed: in amendment mode participants propose
  // replacements beside the text instead of writing in it; open editors follow live.
  const free = h("button", { type: "button", class: "small toggle", "aria-pressed": "true" }, t("cprop.mode_free"));
  const amending = h("button", { type: "button", class: "small toggle", "aria-pressed": "false" }, t("cprop.mode_amendments"));
  const modeGroup = h("span", { class: "cprop-mode", role: "group" }, h("span", { class: "muted" }, `${t("cprop.mode")} : `), free, amending);
  const setMode = async (enabled: boolean, button: HTMLButtonElement) => {
    if ((p.amendment_mode ?? false) === enabled) return;
    free.disabled = amending.disabled = true;
    const row = await send<{ proposal_id: string; amendment_mode: boolean }>("PUT", `${path}/amendment-mode`, { enabled });
    free.disabled = amending.disabled = false;
    if (!row) return;
    p = { ...p, amendment_mode: row.amendment_mode };
    paint();
    button.focus();
    ctx.say(t(row.amendment_mode ? "cprop.mode_amendments_now" : "cprop.mode_free_now", { title: p.title }));
  };
  free.addEventListener("click", () => void setMode(false, free));
  amending.addEventListener("click", () => void setMode(true, amending));

  // --- archive (asked first), restore -------------------------------------------------------
  // The question, then its answers, shown together (``twoStep`` shows and hides the box).
  const archive = h("button", { type: "button", class: "small" }, t("cprop.archive"));
  const archiveQuestion = h("p", { class: "notice" });
  const archiveConfirm = h("button", { type: "button", class: "small danger-strong", hidden: true }, t("cprop.archive_confirm"));
  const archiveCancel = h("button", { type: "button", class: "small", hidden: true }, t("cprop.cancel"));
  const archiveAsk = h("div", { class: "cprop-ask", hidden: true }, archiveQuestion, h("p", { class: "actions" }, archiveConfirm, archiveCancel));
  const askArchive = twoStep(archive, archiveAsk, archiveConfirm, archiveCancel, (on) => {
    archiveQuestion.textContent = on ? t("cprop.archive_ask", { title: p.title }) : "";
  });
  const restore = h("button", { type: "button", class: "small" }, t("cprop.restore"));
  const setArchived = async (on: boolean, button: HTMLButtonElement) => {
    button.disabled = true;
    const row = await send<Proposal>("POST", `${path}/archive`, { archived: on });
    button.disabled = false;
    if (!row) {
      if (on) askArchive(false);
      return;
    }
    if (on) askArchive(false);
    await ctx.reload(); // the item moves to the other list
    ctx.say(t(on ? "cprop.archived_now" : "cprop.restored_now", { title: p.title }));
    (on ? restore : archive).focus();
  };
  archiveConfirm.addEventListener("click", () => void setArchived(true, archiveConfirm));
  restore.addEventListener("click", () => void setArchived(false, restore));

  // --- frozen versions: a new draft from one, or a copy into a new proposal -----------------
  const versionId = newId("cprop-version");
  const versionLabel = h("label", { for: versionId });
  const version = h("select", { id: versionId });
  const chosen = () => Number(version.value) || 1;
  const draft = h("button", { type: "button", class: "small" });
  const draftQuestion = h("p", { class: "notice" });
  const draftConfirm = h("button", { type: "button", class: "small primary", hidden: true });
  const draftCancel = h("button", { type: "button", class: "small", hidden: true }, t("cprop.cancel"));
  const draftAsk = h("div", { class: "cprop-ask", hidden: true }, draftQuestion, h("p", { class: "actions" }, draftConfirm, draftCancel));
  const askDraft = twoStep(draft, draftAsk, draftConfirm, draftCancel, (on) => {
    version.disabled = on; // the question names one version: it stays that one
    draftQuestion.textContent = on ? t("cprop.draft_ask", { title: p.title, n: chosen() }) : "";
  });
  draftConfirm.addEventListener("click", async () => {
    const n = chosen();
    draftConfirm.disabled = true;
    const row = await send<Proposal>("POST", `${path}/versions/${n}/draft`, undefined);
    draftConfirm.disabled = false;
    askDraft(false);
    if (!row) return;
    await ctx.reload();
    ctx.say(t("cprop.draft_done", { title: p.title, n }));
  });
  const fork = h("button", { type: "button", class: "small", "aria-expanded": "false" });
  const forkInputId = newId("cprop-fork-title");
  const forkMessageId = `${forkInputId}-error`;
  const forkInput = h("input", { id: forkInputId, name: "fork_title", maxlength: String(TITLE_MAX), autocomplete: "off" });
  const forkMessage = h("p", { id: forkMessageId, class: "field-error", hidden: true });
  const forkSave = h("button", { type: "submit", class: "primary small" }, t("cprop.fork_save"));
  const forkCancel = h("button", { type: "button", class: "small" }, t("cprop.cancel"));
  const forkForm = h(
    "form",
    { class: "cprop-fork", novalidate: true, hidden: true },
    h("div", { class: "field" }, h("label", { for: forkInputId }, t("cprop.fork_field")), forkMessage, forkInput),
    h("p", { class: "actions" }, forkSave, forkCancel),
  );
  const forkProblem = (text: string | null) => {
    forkMessage.hidden = !text;
    forkMessage.textContent = text ?? "";
    if (text) {
      forkInput.setAttribute("aria-invalid", "true");
      forkInput.setAttribute("aria-describedby", forkMessageId);
    } else {
      forkInput.removeAttribute("aria-invalid");
      forkInput.removeAttribute("aria-describedby");
    }
  };
  const showFork = (on: boolean) => {
    forkForm.hidden = !on;
    fork.setAttribute("aria-expanded", String(on));
    version.disabled = on;
    if (on) {
      forkInput.value = t("cprop.fork_default", { title: p.title }).slice(0, TITLE_MAX);
      forkProblem(null);
      forkInput.focus();
      forkInput.select();
    } else {
      fork.focus();
    }
  };
  fork.addEventListener("click", () => showFork(forkForm.hidden));
  forkCancel.addEventListener("click", () => showFork(false));
  forkInput.addEventListener("input", () => forkProblem(null));
  let forking = false;
  forkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (forking) return; // a double click creates one proposal
    const text = oneLine(forkInput.value);
    const refused = checkTitle(text);
    forkProblem(refused);
    if (refused) {
      forkInput.focus();
      return;
    }
    const n = chosen();
    forking = true;
    forkSave.disabled = true;
    const row = await send<Proposal>("POST", `${path}/versions/${n}/fork`, { title: text });
    forking = false;
    forkSave.disabled = false;
    if (!row) return;
    remember(row.id, identity.atelierId);
    forkForm.hidden = true;
    fork.setAttribute("aria-expanded", "false");
    version.disabled = false;
    await ctx.reload();
    // The way to the new proposal, with the focus on it: the form pressed is gone.
    ctx.say([t("cprop.fork_done", { title: row.title, n }), " ", h("a", { href: `/proposition/${encodeURIComponent(row.id)}` }, t("followup.open_editor", { title: row.title }))], true);
  });
  const labelVersions = () => {
    draft.textContent = t("cprop.draft", { n: chosen() });
    draftConfirm.textContent = t("cprop.draft_confirm", { n: chosen() });
    fork.textContent = t("cprop.fork", { n: chosen() });
  };
  version.addEventListener("change", labelVersions);
  const versions = h(
    "div",
    { class: "cprop-versions" },
    h("div", { class: "field" }, versionLabel, version),
    h("p", { class: "actions" }, draft, fork),
    draftAsk,
    forkForm,
  );

  const actions = h("p", { class: "actions" }, open, renameButton, lock, modeGroup, archive, restore);
  const li = h("li", { class: "cprop-item", "aria-labelledby": titleId, "data-proposal": id }, title, meta, actions, archiveAsk, renameForm, versions, error.el);

  const paint = () => {
    title.textContent = p.title;
    const parts = [t(`kind.${p.kind}`), t(`proposal_status.${p.status}`)];
    if (p.archived_at) parts.push(t("cprop.archived_on", { date: formatDateTime(p.archived_at) }));
    else if (p.locked) parts.push(t(p.locked_by === "animation" ? "cprop.locked_by_animation" : "cprop.locked_by_freeze"));
    if (p.amendment_mode && !p.archived_at) parts.push(t("cprop.mode_amendments_meta"));
    const count = p.versions ?? 0;
    if (count) parts.push(tn("cprop.versions", count));
    meta.textContent = parts.join(" · ");
    // Each control names its proposal: a screen reader lists many « Renommer ».
    open.setAttribute("aria-label", t("followup.open_editor", { title: p.title }));
    renameButton.setAttribute("aria-label", t("cprop.rename_label", { title: p.title }));
    renameLabel.textContent = t("cprop.rename_field", { title: p.title });
    lock.setAttribute("aria-label", t("cprop.lock_label", { title: p.title }));
    lock.setAttribute("aria-pressed", String(p.locked));
    modeGroup.setAttribute("aria-label", t("cprop.mode_label", { title: p.title }));
    free.setAttribute("aria-pressed", String(!(p.amendment_mode ?? false)));
    amending.setAttribute("aria-pressed", String(p.amendment_mode ?? false));
    archive.setAttribute("aria-label", t("cprop.archive_label", { title: p.title }));
    restore.setAttribute("aria-label", t("cprop.restore_label", { title: p.title }));
    versionLabel.replaceChildren(t("cprop.version"), h("span", { class: "sr-only" }, ` ${t("cprop.version_of", { title: p.title })}`));
    const isArchived = !!p.archived_at;
    renameButton.hidden = lock.hidden = modeGroup.hidden = isArchived;
    if (isArchived) {
      renameForm.hidden = true;
      if (!archiveAsk.hidden) askArchive(false);
    }
    // While the question is asked, « Archiver » stays hidden (twoStep shows it back).
    if (archiveAsk.hidden) archive.hidden = isArchived;
    restore.hidden = !isArchived;
    // The versions' select: 1…n, the latest chosen, what was chosen kept.
    const before = version.value;
    if (version.options.length !== count) {
      version.replaceChildren(...Array.from({ length: count }, (_, i) => h("option", { value: String(i + 1) }, t("cprop.version_option", { n: i + 1 }))));
      version.value = before && Number(before) <= count ? before : String(count);
    }
    versions.hidden = count === 0 || isArchived;
    labelVersions();
  };
  return {
    li,
    update: (fresh) => {
      p = fresh;
      paint();
    },
  };
}
