// The facilitator's panel on the atelier screen (issue 19, items 2 and 3): schedule a séance,
// the séances already scheduled with their join codes, the atelier's logo, and « Clore
// l'atelier… » (in two steps, as « Annuler la séance… »: a stray tap closes nothing). A closed
// atelier's panel lists its séances only: nothing in it changes any more (the server refuses
// with 409 atelier_closed). Loaded only for a facilitator, with the organisers' strings (a
// resident's phone never downloads it).
import "../organise.css";
import { api, ApiError, errorText, NetworkError, type Atelier, type Seance } from "../api";
import { h, newId } from "../dom";
import { formatDate, need, t } from "../i18n";
import { remember, type Identity } from "../identity";
import { errorRegion, formatCode, twoStep } from "../ui";
import { checkText, field, oneLine } from "../forms";

export const MAX_IMAGE_BYTES = 2 * 1024 * 1024; // server/services/ateliers.py MAX_IMAGE_BYTES
export const IMAGE_TYPES = ["image/png", "image/jpeg"];

const REASON_MAX = 500; // server/schemas.py AtelierClose

/** The panel; ``closed`` gets the atelier as the server has it once closed from here. */
export async function organiserPanel(identity: Identity, atelier: Atelier, closed: (fresh: Atelier) => void = () => {}): Promise<HTMLElement> {
  await need("organise");
  const id = encodeURIComponent(atelier.id);
  const open = atelier.status !== "close";
  const seances = h("div", {}, h("p", { class: "muted" }, t("common.loading")));
  api<Seance[]>("GET", `/api/ateliers/${id}/sessions`, undefined, identity.token)
    .then((rows) => {
      for (const s of rows) remember(s.id, atelier.id);
      seances.replaceChildren(
        rows.length
          ? h(
              "ul",
              { class: "links seance-list" },
              rows.map((s) =>
                h(
                  "li",
                  {},
                  h("a", { href: `/atelier/${id}?seance=${encodeURIComponent(s.id)}` }, t("organise.panel.seance", { n: s.number })),
                  s.details.date ? ` — ${formatDate(s.details.date)}` : "",
                  s.details.start_time ? `, ${s.details.start_time.slice(0, 5)}` : "",
                  " — ",
                  t("organise.panel.code"),
                  " ",
                  h("span", { class: "code" }, formatCode(s.join_code)),
                  open ? " " : "",
                  open ? h("a", { href: `/seance/${encodeURIComponent(s.id)}/modifier`, "aria-label": t("organise.panel.edit_seance_label", { n: s.number }) }, t("organise.panel.edit_seance")) : "",
                ),
              ),
            )
          : h("p", { class: "muted" }, t("organise.panel.no_seance")),
      );
    })
    .catch((e) => seances.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e))));
  return h(
    "section",
    { class: "card organiser", "aria-labelledby": "organiser-title" },
    h("h2", { id: "organiser-title" }, t("organise.panel.title")),
    open
      ? h(
          "p",
          { class: "actions" },
          h("a", { href: `/atelier/${id}/nouvelle-seance`, class: "button primary-link" }, t("organise.panel.schedule")),
          h("a", { href: `/atelier/${id}/modifier`, class: "button" }, t("organise.panel.edit_atelier")),
        )
      : "",
    h("h3", {}, t("organise.panel.seances")),
    seances,
    open ? logoBox(identity, atelier) : "",
    open ? closeBox(identity, atelier, closed) : "",
  );
}

/** « Clore l'atelier… »: the public reason, then the question with « Oui, clore » focused;
 * « Ne pas clore » (or Escape) puts the start button back, focused. */
function closeBox(identity: Identity, atelier: Atelier, closed: (fresh: Atelier) => void): HTMLElement {
  const titleId = newId("close-title");
  const askId = newId("close-ask");
  const error = errorRegion();
  const reason = field(t("organise.close.reason"), h("input", { name: "close_reason", maxlength: String(REASON_MAX), autocomplete: "off" }), t("organise.close.reason_hint"));
  const ask = h("p", { class: "notice", hidden: true, id: askId });
  const start = h("button", { type: "button", class: "danger" }, t("organise.close.start"));
  const confirm = h("button", { type: "button", class: "danger-strong", hidden: true, "aria-describedby": askId }, t("organise.close.confirm"));
  const keep = h("button", { type: "button", hidden: true }, t("organise.close.keep"));
  const asking = twoStep(start, ask, confirm, keep, (on) => (ask.textContent = on ? t("organise.close.ask", { title: atelier.title }) : ""));
  const box = h("div", { class: "close-atelier", role: "group", "aria-labelledby": titleId }, h("h3", { id: titleId }, t("organise.close.title")), h("p", {}, t("organise.close.intro")), reason.el, ask, h("p", { class: "actions" }, start, confirm, keep), error.el);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !confirm.hidden) {
      event.preventDefault();
      asking(false);
    }
  });
  confirm.addEventListener("click", async () => {
    const text = oneLine(reason.control.value);
    const problem = text ? checkText(text, t("organise.close.reason_label"), REASON_MAX, true) : null;
    if (problem) {
      reason.error(problem);
      asking(false);
      reason.control.focus();
      return;
    }
    error.show(null);
    confirm.disabled = true;
    try {
      closed(await api<Atelier>("POST", `/api/ateliers/${encodeURIComponent(atelier.id)}/close`, { reason: text || null }, identity.token));
    } catch (e) {
      confirm.disabled = false;
      error.show(errorText(e));
    }
  });
  return box;
}

function logoBox(identity: Identity, atelier: Atelier): HTMLElement {
  const url = `/api/ateliers/${encodeURIComponent(atelier.id)}/image`;
  const titleId = newId("logo");
  const preview = h("img", { class: "logo-preview", alt: t("organise.logo.alt", { title: atelier.title }), hidden: true });
  preview.addEventListener("load", () => (preview.hidden = false));
  preview.addEventListener("error", () => (preview.hidden = true));
  preview.src = url;
  const box = h("div", { class: "logo-box" }, h("h3", { id: titleId }, t("organise.logo.title")), preview);
  if (atelier.listed === false) {
    // The server refuses it too (403 atelier_not_approved): say why before anyone tries.
    box.append(h("p", { class: "notice" }, t("organise.logo.after_approval")));
    return box;
  }
  const problem = errorRegion();
  const done = h("p", { role: "status" });
  const inputId = newId("logo-file");
  const input = h("input", { type: "file", id: inputId, name: "logo", accept: IMAGE_TYPES.join(","), "aria-describedby": `${inputId}-hint` });
  const send = h("button", { type: "submit" }, t("organise.logo.send"));
  const form = h(
    "form",
    { class: "field", novalidate: true, "aria-labelledby": titleId },
    h("label", { for: inputId }, t("organise.logo.label")),
    h("p", { class: "hint", id: `${inputId}-hint` }, t("organise.logo.hint")),
    input,
    problem.el,
    h("p", { class: "actions" }, send),
    done,
  );
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    problem.show(null);
    done.textContent = "";
    input.removeAttribute("aria-invalid");
    const file = input.files?.[0];
    const refuse = (text: string) => {
      problem.show(text);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    };
    if (!file) return refuse(t("organise.logo.missing"));
    if (file.size > MAX_IMAGE_BYTES) return refuse(t("organise.logo.too_large"));
    if (file.type && !IMAGE_TYPES.includes(file.type)) return refuse(t("organise.logo.type"));
    busy = true;
    send.disabled = true;
    send.textContent = t("organise.logo.sending");
    try {
      await putImage(url, file, identity.token);
      preview.src = `${url}?v=${Date.now()}`;
      done.className = "ok-line";
      done.textContent = t("organise.logo.done");
      input.value = "";
    } catch (e) {
      refuse(e instanceof ApiError && e.code === "atelier_not_approved" ? t("organise.logo.after_approval") : errorText(e));
    } finally {
      busy = false;
      send.disabled = false;
      send.textContent = t("organise.logo.send");
    }
  });
  box.append(form);
  return box;
}

/** PUT the file's bytes as they are (the server decodes and encodes them again). */
export async function putImage(url: string, file: File, token: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": file.type || "application/octet-stream", accept: "application/json" },
      body: file,
    });
  } catch {
    throw new NetworkError("network");
  }
  if (response.ok) return;
  let problem: Record<string, unknown> = {};
  try {
    problem = await response.json();
  } catch {
    /* keep the status */
  }
  throw new ApiError(response.status, String(problem.code ?? response.status), String(problem.detail_fr ?? problem.detail ?? ""), String(problem.detail_en ?? problem.detail ?? ""));
}
