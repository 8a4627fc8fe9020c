// The facilitator's panel on the atelier screen (issue 19, items 2 and 3): schedule a séance,
// the séances already scheduled with their join codes, and the atelier's logo. Loaded only for
// a facilitator, with the organisers' strings (a resident's phone never downloads it).
import "../organise.css";
import { api, ApiError, errorText, NetworkError, type Atelier, type Seance } from "../api";
import { h, newId } from "../dom";
import { formatDate, need, t } from "../i18n";
import { remember, type Identity } from "../identity";
import { errorRegion, formatCode } from "../ui";

export const MAX_IMAGE_BYTES = 2 * 1024 * 1024; // server/services/ateliers.py MAX_IMAGE_BYTES
export const IMAGE_TYPES = ["image/png", "image/jpeg"];

export async function organiserPanel(identity: Identity, atelier: Atelier): Promise<HTMLElement> {
  await need("organise");
  const id = encodeURIComponent(atelier.id);
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
                  " ",
                  h("a", { href: `/seance/${encodeURIComponent(s.id)}/modifier`, "aria-label": t("organise.panel.edit_seance_label", { n: s.number }) }, t("organise.panel.edit_seance")),
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
    h(
      "p",
      { class: "actions" },
      h("a", { href: `/atelier/${id}/nouvelle-seance`, class: "button primary-link" }, t("organise.panel.schedule")),
      h("a", { href: `/atelier/${id}/modifier`, class: "button" }, t("organise.panel.edit_atelier")),
    ),
    h("h3", {}, t("organise.panel.seances")),
    seances,
    logoBox(identity, atelier),
  );
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
