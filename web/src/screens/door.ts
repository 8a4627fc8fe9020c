// At the door (issue 19, #4), in the console: find a registered person and check them in; add
// someone without a phone (name and role) and hand them a printed slip with their code to join
// later; see who is in the room and check someone out; record the headcount of the room (the
// minutes report it, and it bounds the paper ballots entered for a role); print the feuille
// d'émargement.
import { ApiError, NetworkError, api, errorText, type Participant, type Seance } from "../api";
import { cityClock, cityTimeZone } from "../city";
import { h, newId } from "../dom";
import { t, tn } from "../i18n";
import type { Identity } from "../identity";
import { roleLabel } from "../roles";
import { errorRegion } from "../ui";
import { roleBadge } from "./common";

export interface Door {
  el: HTMLElement;
  /** Someone joined, a role changed: read the participants again. */
  refresh: () => void;
  /** Who is here, as the server last said (GET …/attendance): the same on every console. */
  checkedIn: Set<string>;
  /** Attendance changed (the live channel's attendance_changed): read who is here again. */
  attendanceChanged: () => void;
  /** Called once who is here was read again, so the people list can say so. */
  onChange: (listener: () => void) => void;
  /** The séance is cancelled (or restored): no sign-in sheet (the server answers 409
   * session_cancelled), and a walk-in's slip shows no QR code (its code opens nothing: 410). */
  cancelled: (on: boolean) => void;
  /** The atelier is closed: no one is registered, counted, checked in nor out any more (409
   * atelier_closed), and the sheet of a séance it held stays. The console says why, once, above;
   * the door says why its buttons are gone. */
  closed: (on: boolean) => void;
}

/** GET /api/sessions/{id}/attendance (server/routes/door.py). */
interface Attendee {
  participant_id: string;
  display_name: string;
  role: string;
  checked_in_at: string;
  checked_out_at: string | null;
  walk_in: boolean;
}
interface AttendanceList {
  here: number;
  came: number;
  people: Attendee[];
}

const WALK_IN_ROLES = ["habitant", "elu", "agent", "observateur"] as const;

/** Lower case, without accents: « Élodie » is found by « elo ». */
export function folded(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}

export function doorSection(identity: Identity, sessionId: string, seance: Seance, people: () => Promise<Participant[]>, checkedIn: Set<string>): Door {
  const listeners: (() => void)[] = [];
  let isCancelled = Boolean(seance.details.cancelled_at);
  let isClosed = false;
  const changed = () => listeners.forEach((f) => f());
  let known: Participant[] = [];

  // 1. Search and check in.
  const searchId = newId("door-search");
  const search = h("input", { id: searchId, type: "search", autocomplete: "off", "aria-describedby": `${searchId}-hint`, "aria-controls": `${searchId}-results` });
  const found = h("ul", { class: "door-results", id: `${searchId}-results` });
  const foundCount = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const searchError = errorRegion();
  const drawFound = () => {
    const query = folded(search.value);
    const rows = known.filter((p) => !p.revoked && p.id !== identity.participantId && (!query || folded(p.display_name).includes(query)));
    const shown = rows.slice(0, 8);
    found.replaceChildren(
      ...shown.map((p) => {
        const here = checkedIn.has(p.id);
        return h(
          "li",
          {},
          h("span", { class: "person-name" }, p.display_name),
          roleBadge(p.role),
          here
            ? h("span", { class: "checked" }, h("span", { "aria-hidden": "true" }, "✓ "), t("door.checked_in"))
            : isClosed
              ? null // nobody is checked in any more (409 atelier_closed): doorClosed says why
              : h("button", { type: "button", class: "small", "aria-label": t("door.check_in_label", { name: p.display_name }), onclick: () => void checkIn(p) }, t("door.check_in")),
        );
      }),
    );
    if (!query) foundCount.textContent = "";
    else foundCount.textContent = rows.length ? tn("door.found", rows.length) : t("door.none_found");
    if (query && !rows.length) found.append(h("li", { class: "muted" }, t("door.none_found_hint")));
    else if (rows.length > shown.length) found.append(h("li", { class: "muted" }, tn("door.more", rows.length - shown.length)));
  };
  const checkIn = async (person: Participant) => {
    searchError.show(null);
    try {
      await api("POST", `/api/sessions/${encodeURIComponent(sessionId)}/attendance`, { participant_id: person.id }, identity.token);
      checkedIn.add(person.id);
      drawFound();
      foundCount.textContent = t("door.checked_in_now", { name: person.display_name });
      // The pressed button is gone: back to the search, for the next person in the queue.
      search.focus();
      search.select();
      changed();
      loadHere();
    } catch (e) {
      searchError.show(errorText(e));
    }
  };
  search.addEventListener("input", drawFound);

  // 2. Someone without a phone.
  const ids = { name: newId("walk-name"), role: newId("walk-role"), named: newId("walk-named") };
  const name = h("input", { id: ids.name, autocomplete: "off", maxlength: "80", required: true });
  const role = h("select", { id: ids.role }, WALK_IN_ROLES.map((r) => h("option", { value: r }, roleLabel(r))));
  const named = h("input", { id: ids.named, type: "checkbox" });
  const walkError = errorRegion();
  const slipBox = h("div", { class: "slip-box", "aria-live": "polite" });
  let sending = false;
  const walkIn = h(
    "form",
    { class: "walk-in", novalidate: true, "aria-labelledby": "walk-in-title" },
    h("h3", { id: "walk-in-title" }, t("door.walk_in_title")),
    h("p", { class: "hint" }, t("door.walk_in_hint")),
    h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: ids.name }, t("door.walk_in_name")), name), h("div", { class: "field" }, h("label", { for: ids.role }, t("door.walk_in_role")), role)),
    h("p", { class: "check" }, named, h("label", { for: ids.named }, t("door.walk_in_named"))),
    walkError.el,
    h("button", { type: "submit", class: "primary" }, t("door.walk_in_submit")),
  );
  walkIn.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return; // a double click registers one person
    walkError.show(null);
    name.removeAttribute("aria-invalid");
    if (!name.value.trim()) {
      name.setAttribute("aria-invalid", "true");
      walkError.show(t("door.walk_in_name_missing"));
      name.focus();
      return;
    }
    sending = true;
    try {
      const slip = await api<{ participant: Participant; slip_code: string; join_url: string }>(
        "POST",
        `/api/sessions/${encodeURIComponent(sessionId)}/walk-ins`,
        { display_name: name.value.trim(), role: role.value, show_name_in_minutes: named.checked },
        identity.token,
      );
      checkedIn.add(slip.participant.id);
      known = [...known, slip.participant];
      walkIn.reset();
      slipBox.replaceChildren(slipView(slip.participant, slip.slip_code, slip.join_url, seance.join_code, isCancelled || isClosed));
      slipBox.querySelector<HTMLElement>("h4")?.focus();
      changed();
      loadHere();
    } catch (e) {
      walkError.show(errorText(e));
    } finally {
      sending = false;
    }
  });

  // 3. The headcount.
  const countId = "headcount";
  const count = h("input", { id: countId, type: "number", min: "0", max: "100000", inputmode: "numeric", "aria-describedby": `${countId}-hint` });
  const recorded = seance.details as { headcount?: number | null };
  if (typeof recorded.headcount === "number") count.value = String(recorded.headcount);
  const countSaid = h("p", { class: "saved", role: "status" });
  const countError = errorRegion();
  const headcount = h(
    "form",
    { class: "headcount", novalidate: true },
    h("label", { for: countId }, t("door.headcount")),
    h("p", { class: "hint", id: `${countId}-hint` }, t("door.headcount_hint")),
    h("div", { class: "inline-form" }, count, h("button", { type: "submit" }, t("door.headcount_save"))),
    countError.el,
    countSaid,
  );
  if (typeof recorded.headcount === "number") countSaid.textContent = tn("door.headcount_saved", recorded.headcount);
  headcount.addEventListener("submit", async (event) => {
    event.preventDefault();
    countError.show(null);
    countSaid.textContent = "";
    const text = count.value.trim();
    const n = Number(text);
    if (text && (!Number.isInteger(n) || n < 0 || n > 100_000)) {
      count.setAttribute("aria-invalid", "true");
      countError.show(t("door.headcount_invalid"));
      count.focus();
      return;
    }
    count.removeAttribute("aria-invalid");
    try {
      const answer = await api<{ headcount: number | null }>("PUT", `/api/sessions/${encodeURIComponent(sessionId)}/headcount`, { headcount: text ? n : null }, identity.token);
      recorded.headcount = answer.headcount;
      countSaid.textContent = answer.headcount === null ? t("door.headcount_cleared") : tn("door.headcount_saved", answer.headcount);
    } catch (e) {
      countError.show(errorText(e));
    }
  });

  // 4. The feuille d'émargement: a PDF for the facilitator's token, so fetched, then opened.
  const sheetError = errorRegion();
  const sheetLink = h("p", { class: "sheet-link" });
  const sheet = h("button", { type: "button" }, t("door.sheet"));
  sheet.addEventListener("click", async () => {
    sheetError.show(null);
    sheetLink.replaceChildren();
    // Opened now, while the click still counts as one: a window opened after the download
    // would be taken for a pop-up and blocked.
    const tab = window.open("", "_blank");
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/emargement.pdf`, { headers: { authorization: `Bearer ${identity.token}` } }).catch(() => {
        throw new NetworkError("network");
      });
      if (!response.ok) {
        const problem = (await response.json().catch(() => ({}))) as Record<string, unknown>;
        throw new ApiError(response.status, String(problem.code ?? response.status), String(problem.detail_fr ?? ""), String(problem.detail_en ?? ""));
      }
      const url = URL.createObjectURL(new Blob([await response.blob()], { type: "application/pdf" }));
      if (tab) tab.location.href = url;
      // Also a link here, should the browser have refused the new tab.
      sheetLink.replaceChildren(h("a", { href: url, target: "_blank", rel: "noopener" }, t("door.sheet_open")));
      window.setTimeout(() => URL.revokeObjectURL(url), 10 * 60_000);
    } catch (e) {
      tab?.close();
      sheetError.show(errorText(e));
    }
  });

  // 5. Who is in the room, as the server says (a reload or a second console sees the same),
  // read again whenever attendance changes; each with « Pointer le départ ».
  const hereTitle = h("h3", { id: "here-title", tabindex: "-1" });
  const hereList = h("ul", { class: "door-here-list", "aria-labelledby": "here-title" });
  const nobodyHere = h("p", { class: "muted" }, t("door.here_none"));
  const goneTitle = h("h4", { id: "gone-title" });
  const goneList = h("ul", { class: "door-here-list gone", "aria-labelledby": "gone-title" });
  const goneBox = h("div", { hidden: true }, goneTitle, goneList);
  const hereSaid = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const hereError = errorRegion();
  let attendees: Attendee[] = [];
  // Answers may cross: only one asked later than what is shown replaces it.
  let asked = 0;
  let shown = 0;
  const showHere = (n: number, list: AttendanceList) => {
    if (n <= shown) return;
    shown = n;
    attendees = list.people;
    const before = [...checkedIn].sort().join();
    checkedIn.clear();
    for (const p of attendees) if (!p.checked_out_at) checkedIn.add(p.participant_id);
    drawHere();
    drawFound();
    // The people list is drawn again only when who is here changed (a redraw loses its focus).
    if ([...checkedIn].sort().join() !== before) changed();
  };
  const loadHere = () => {
    const n = ++asked;
    api<AttendanceList>("GET", `/api/sessions/${encodeURIComponent(sessionId)}/attendance`, undefined, identity.token)
      .then((list) => {
        hereError.show(null);
        showHere(n, list);
      })
      .catch((e) => hereError.show(errorText(e)));
  };
  const checkOut = async (person: Attendee, button: HTMLButtonElement) => {
    hereError.show(null);
    button.disabled = true; // a double click is one departure (the server keeps the first)
    const n = ++asked;
    try {
      const list = await api<AttendanceList>("DELETE", `/api/sessions/${encodeURIComponent(sessionId)}/attendance/${encodeURIComponent(person.participant_id)}`, undefined, identity.token);
      showHere(n, list);
      hereSaid.textContent = t("door.checked_out_now", { name: person.display_name });
      // The pressed button is gone with its row: focus goes to the list's heading.
      hereTitle.focus();
    } catch (e) {
      button.disabled = false;
      hereError.show(errorText(e));
    }
  };
  const checkBack = async (person: Attendee, button: HTMLButtonElement) => {
    hereError.show(null);
    button.disabled = true;
    try {
      await api("POST", `/api/sessions/${encodeURIComponent(sessionId)}/attendance`, { participant_id: person.participant_id }, identity.token);
      hereSaid.textContent = t("door.checked_in_now", { name: person.display_name });
      hereTitle.focus();
      loadHere();
    } catch (e) {
      button.disabled = false;
      hereError.show(errorText(e));
    }
  };
  const attendeeRow = (p: Attendee): HTMLElement => {
    const gone = p.checked_out_at !== null;
    const button = isClosed ? null : h("button", { type: "button", class: "small", "aria-label": t(gone ? "door.check_back_label" : "door.check_out_label", { name: p.display_name }) }, t(gone ? "door.check_back" : "door.check_out"));
    button?.addEventListener("click", () => void (gone ? checkBack(p, button) : checkOut(p, button)));
    return h(
      "li",
      { "data-person": p.participant_id },
      h("span", { class: "person-name" }, p.display_name),
      roleBadge(p.role),
      p.walk_in ? h("span", { class: "walk-in-tag" }, t("door.walk_in_tag")) : null,
      h("span", { class: "here-since" }, gone ? t("door.left_at", { time: cityClock(p.checked_out_at ?? "") }) : t("door.arrived_at", { time: cityClock(p.checked_in_at) })),
      button,
    );
  };
  const drawHere = () => {
    const here = attendees.filter((p) => p.checked_out_at === null);
    const gone = attendees.filter((p) => p.checked_out_at !== null);
    // Another console's change redraws the rows: a focused button keeps its focus.
    const focused = document.activeElement instanceof HTMLElement && hereList.parentElement?.contains(document.activeElement) ? document.activeElement.closest("li")?.dataset.person : undefined;
    hereTitle.textContent = tn("door.here_title", here.length);
    hereList.replaceChildren(...here.map(attendeeRow));
    hereList.hidden = !here.length;
    nobodyHere.hidden = here.length > 0;
    goneTitle.textContent = tn("door.gone_title", gone.length);
    goneList.replaceChildren(...gone.map(attendeeRow));
    goneBox.hidden = !gone.length;
    if (focused) hereList.parentElement?.querySelector<HTMLElement>(`li[data-person="${CSS.escape(focused)}"] button`)?.focus();
  };
  drawHere();
  // Times are the city's: drawn again once its zone is known.
  void cityTimeZone().then(drawHere);

  const sheetBox = h("div", { "data-testid": "door-sheet" }, h("h3", {}, t("door.sheet_title")), h("p", { class: "actions" }, sheet), sheetLink, sheetError.el);
  // What a cancelled séance or a closed atelier refuses is not offered (the reason is said once,
  // in the console's banner or notice); an open slip loses its QR code, which opens nothing.
  // A closed atelier's attendance stays as it was when it closed: no « Pointer l’arrivée »,
  // « Pointer le départ » nor « Pointer le retour » (409 atelier_closed), and why, in the door.
  const doorClosed = h("p", { class: "hint", hidden: true, "data-testid": "door-closed" }, t("door.closed"));
  const shut = () => {
    sheetBox.hidden = isCancelled;
    walkIn.hidden = headcount.hidden = isClosed;
    doorClosed.hidden = !isClosed;
    drawFound();
    drawHere();
    if (isCancelled || isClosed) slipBox.querySelectorAll(".slip-qr").forEach((img) => img.remove());
    const how = slipBox.querySelector(".slip-how");
    if (how && (isCancelled || isClosed)) how.textContent = t("door.slip_how_no_qr");
  };
  const el = h(
    "section",
    { class: "card door", "aria-labelledby": "door-title", "data-testid": "door" },
    h("h2", { id: "door-title" }, t("door.title")),
    doorClosed,
    h(
      "div",
      { class: "door-columns" },
      h(
        "div",
        {},
        h("h3", {}, t("door.search_title")),
        h("label", { for: searchId }, t("door.search")),
        h("p", { class: "hint", id: `${searchId}-hint` }, t("door.search_hint")),
        search,
        foundCount,
        found,
        searchError.el,
        headcount,
        sheetBox,
      ),
      h("div", {}, walkIn, slipBox),
    ),
    h("div", { class: "door-here", "data-testid": "door-here" }, hereTitle, h("p", { class: "hint" }, t("door.here_hint")), hereSaid, nobodyHere, hereList, goneBox, hereError.el),
  );
  const refresh = () => {
    people()
      .then((rows) => {
        known = rows;
        drawFound();
      })
      .catch(() => undefined); // the search keeps the last list
  };
  refresh();
  loadHere();
  shut();
  const cancelled = (on: boolean) => {
    if (on === isCancelled) return;
    isCancelled = on;
    shut();
  };
  const closed = (on: boolean) => {
    if (on === isClosed) return;
    isClosed = on;
    shut();
  };
  return { el, refresh, checkedIn, attendanceChanged: loadHere, onChange: (f) => listeners.push(f), cancelled, closed };
}

/** The slip for someone without a phone: the code read aloud in groups, and the way to join
 * later; « Imprimer le ticket » prints the slip alone (styles.css, @media print). */
function slipView(person: Participant, code: string, joinUrl: string, joinCode: string, shut: boolean): HTMLElement {
  const qr = `/api/join/${encodeURIComponent(joinCode)}/qr.svg`;
  const card = () =>
    h(
      "div",
      { class: "slip" },
      h("p", { class: "slip-name" }, person.display_name, " — ", roleLabel(person.role)),
      h("p", { class: "slip-label" }, t("door.slip_code")),
      h("p", { class: "slip-code" }, code),
      // A cancelled séance's code, or a closed atelier's, has no QR code (410): none is printed.
      shut ? null : h("img", { src: qr, alt: t("console.qr_alt", { url: joinUrl }), class: "slip-qr", width: "140", height: "140" }),
      h("p", { class: "slip-how" }, t(shut ? "door.slip_how_no_qr" : "door.slip_how")),
      h("p", { class: "slip-url url" }, joinUrl),
    );
  const print = h("button", { type: "button", class: "primary" }, t("door.slip_print"));
  print.addEventListener("click", () => {
    // The slip alone on the page: a copy outside the app, shown only when printing.
    const sheet = h("div", { class: "print-slip" }, card());
    document.body.append(sheet);
    document.body.classList.add("printing-slip");
    const done = () => {
      document.body.classList.remove("printing-slip");
      sheet.remove();
      window.removeEventListener("afterprint", done);
    };
    window.addEventListener("afterprint", done);
    const img = sheet.querySelector("img");
    const go = () => {
      window.print();
      // Some browsers return from print() without an afterprint event.
      window.setTimeout(done, 60_000);
    };
    if (img && !img.complete) {
      img.addEventListener("load", go, { once: true });
      img.addEventListener("error", go, { once: true });
    }
    else go();
  });
  return h(
    "div",
    { class: "slip-view", "data-testid": "slip" },
    h("h4", { tabindex: "-1" }, t("door.slip_title", { name: person.display_name })),
    h("p", { class: "hint" }, t("door.slip_hint")),
    card(),
    h("p", { class: "actions" }, print),
  );
}
