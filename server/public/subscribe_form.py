"""The « get the news by e-mail » section a public page embeds, and what each page follows.

Kept apart from :mod:`server.public.subscriptions` (the routes), which imports the pages: the
pages import this. ``page.mail`` says whether an SMTP host is set; without one, the section says
subscriptions are unavailable and shows no field that would only fail.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from domain.ateliers import Instance
from server.public.data import neighbourhood_key
from server.services.subscriptions import Followed

if TYPE_CHECKING:
    from server.public.pages import Lang, Page

__all__ = [
    "SUBSCRIBE_PATH",
    "for_atelier",
    "for_instance",
    "for_project",
    "for_quartier",
    "for_subject",
    "form",
    "quartier_form",
]

ROOT: Final = "/decouvrir"
DIRECTORY: Final = f"{ROOT}/ateliers"
SUBSCRIBE_PATH: Final = f"{ROOT}/abonnements"


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "title": ("Recevoir les nouvelles par e-mail", "Get the news by e-mail"),
    "lead": (
        "Un e-mail quand une séance est prévue, déplacée ou annulée, quand une proposition est "
        "transmise au conseil municipal et quand il décide. Votre adresse ne sert qu’à cela ; "
        "chaque message a un lien pour vous désabonner en un clic.",
        "An e-mail when a séance is planned, moved or cancelled, when a proposal is handed to "
        "the city council and when it decides. Your address is used for this alone; each "
        "message has a one-click unsubscribe link.",
    ),
    "email": ("Votre adresse e-mail", "Your e-mail address"),
    "submit": ("S’abonner", "Subscribe"),
    "unavailable": (
        "Les abonnements par e-mail ne sont pas disponibles sur ce site : suivez le calendrier "
        "ou le fil d’activité.",
        "E-mail subscriptions are not available on this site: follow the calendar or the "
        "activity feed.",
    ),
}


def t(lang: Lang, key: str) -> str:
    return _TEXTS[key][0 if lang == "fr" else 1]


# --- what can be followed --------------------------------------------------------------------


def for_atelier(atelier_id: str, title: str) -> Followed:
    return Followed(
        f"atelier:{atelier_id}",
        f"l’atelier « {title} »",
        f"the “{title}” atelier",
        f"{DIRECTORY}/{quote(atelier_id)}",
    )


def for_instance(instance: Instance) -> Followed:
    return Followed(
        f"instance:{instance.value}",
        f"les ateliers reliés à {instance.name_fr} ({instance.value})",
        f"the ateliers linked to the {instance.name_en} ({instance.value})",
        f"{ROOT}/instances/{instance.value}",
    )


def for_project(project_id: str, title: str) -> Followed:
    return Followed(
        f"project:{project_id}",
        f"le projet « {title} »",
        f"the “{title}” project",
        f"{ROOT}/projets/{quote(project_id)}",
    )


def for_subject(subject_id: str, title: str) -> Followed:
    return Followed(
        f"subject:{subject_id}",
        f"le sujet « {title} »",
        f"the subject “{title}”",
        f"{ROOT}/sujets/{quote(subject_id)}",
    )


def for_quartier(name: str) -> Followed:
    shown = name.strip()
    return Followed(
        f"quartier:{neighbourhood_key(shown)}",
        f"les ateliers du quartier {shown}",
        f"the ateliers of the {shown} neighbourhood",
        f"{DIRECTORY}?quartier={quote(shown)}",
    )


# --- the form a page embeds ------------------------------------------------------------------


def form(page: Page, followed: Followed, *, error: str = "", email: str = "") -> str:
    """The « get the news by e-mail » section for ``followed``; without an SMTP host it says
    subscriptions are unavailable (no field that would only fail)."""
    lang = page.lang
    head = (
        '<section class="card subscribe" aria-labelledby="subscribe-title">'
        f'<h2 id="subscribe-title">{e(t(lang, "title"))}</h2>'
    )
    if not page.mail:
        return head + f'<p class="muted">{e(t(lang, "unavailable"))}</p></section>'
    alert = f'<p class="error" role="alert" id="subscribe-error">{e(error)}</p>' if error else ""
    described = "subscribe-lead" + (" subscribe-error" if error else "")
    return (
        head
        + f'<p id="subscribe-lead">{e(t(lang, "lead"))}</p>'
        + alert
        + f'<form method="post" action="{e(SUBSCRIBE_PATH)}">'
        f'<input type="hidden" name="scope" value="{e(followed.scope)}">'
        f'<input type="hidden" name="lang" value="{lang}">'
        '<div class="search-row">'
        f'<label for="subscribe-email" class="visually-hidden">{e(t(lang, "email"))}</label>'
        f'<input type="email" id="subscribe-email" name="email" required maxlength="254" '
        f'autocomplete="email" inputmode="email" value="{e(email)}" '
        f'placeholder="{e(t(lang, "email"))}" aria-describedby="{described}"'
        + (' aria-invalid="true"' if error else "")
        + ">"
        f'<button type="submit" class="primary">{e(t(lang, "submit"))}</button></div>'
        "</form></section>"
    )


def quartier_form(page: Page, where: str | None) -> str:
    """The directory filtered on a neighbourhood (« ?quartier=Neudorf »): follow it."""
    if not where or where.strip().casefold() == "ville":
        return ""
    return form(page, for_quartier(where))
