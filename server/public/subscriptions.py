"""The public door's e-mail subscriptions (issue 22, #5): a form on an atelier's, an instance's,
a quartier's (and a project's) page, and the pages a subscriber sees. No script, no account.

* ``POST /decouvrir/abonnements`` (form: ``scope``, ``email``, ``lang``) → « Vérifiez votre
  boîte » (a confirmation message goes out: :mod:`server.mail`); a bad address is 400, too many
  requests 429, an unknown scope 404, no SMTP host 503 — each a page saying why, with the form.
* ``GET /decouvrir/abonnements/confirmer/{token}`` shows a button; ``POST`` confirms (the link
  works once). A link scanner that only opens links confirms nothing.
* ``GET /decouvrir/abonnements/desabonner/{token}`` shows a button; ``POST`` unsubscribes at
  once — what a mail client's one-click unsubscribe sends (RFC 8058,
  ``List-Unsubscribe=One-Click``) — and deletes the address.

:func:`form` is the section a page embeds (``pages.atelier_page(…, subscribe=…)``);
:func:`register` lets another feature name its own scopes (``project``, ``subject``): it gives a
resolver from the scope's identifier to :class:`server.services.subscriptions.Followed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from litestar import Request, Response, get, post
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.ateliers import Instance
from domain.subjects import SubjectState
from server.db.models import AtelierRow, ProjectRow, SubjectRow
from server.db.writes import reading
from server.errors import Problem, prefers_english
from server.guards import client_address
from server.mail import CONFIRM_PATH, UNSUBSCRIBE_PATH
from server.public.data import neighbourhood_key
from server.public.pages import DIRECTORY, Lang, Page, _layout, e
from server.public.subscribe_form import (
    SUBSCRIBE_PATH,
    for_atelier,
    for_instance,
    for_project,
    for_quartier,
    for_subject,
    form,
)
from server.services import subscriptions
from server.services.subscriptions import Followed
from server.state import AppServices

__all__ = [
    "SUBSCRIBE_PATH",
    "for_atelier",
    "for_instance",
    "for_quartier",
    "form",
    "register",
    "subscription_routes",
]

Resolver = Callable[[AsyncEngine, str], Awaitable[Followed | None]]
_RESOLVERS: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    """Let ``kind:<id>`` scopes be subscribed to: ``resolver(engine, id)`` gives what it is
    (None: no such public thing → 404). For projects and subjects."""
    _RESOLVERS[kind] = resolver


# --- what can be followed --------------------------------------------------------------------


async def _atelier(engine: AsyncEngine, atelier_id: str) -> Followed | None:
    async with reading(engine) as session:
        row = await session.get(AtelierRow, atelier_id)
    return for_atelier(row.id, row.title) if row is not None and row.listed else None


async def _instance(engine: AsyncEngine, code: str) -> Followed | None:
    code = code.upper()
    return for_instance(Instance(code)) if code in Instance.__members__ else None


async def _quartier(engine: AsyncEngine, name: str) -> Followed | None:
    wanted = neighbourhood_key(name)
    async with reading(engine) as session:
        hoods = await session.scalars(
            select(AtelierRow.neighbourhood).where(
                AtelierRow.listed.is_(True), AtelierRow.neighbourhood.is_not(None)
            )
        )
        for hood in hoods:
            if hood and neighbourhood_key(hood) == wanted:
                return for_quartier(hood)
        # A quartier where only a subject is public yet can be followed too: its residents
        # want to hear of the atelier it may become.
        subject_hoods = await session.scalars(
            select(SubjectRow.neighbourhood).where(
                SubjectRow.state.in_(_PUBLIC_SUBJECT_STATES), SubjectRow.neighbourhood.is_not(None)
            )
        )
        for hood in subject_hoods:
            if hood and neighbourhood_key(hood) == wanted:
                return for_quartier(hood)
    return None


_PUBLIC_SUBJECT_STATES: Final = [state.value for state in SubjectState if state.public]


async def _subject(engine: AsyncEngine, subject_id: str) -> Followed | None:
    async with reading(engine) as session:
        row = await session.get(SubjectRow, subject_id)
    if row is None or row.state not in _PUBLIC_SUBJECT_STATES:
        return None
    return for_subject(row.id, row.title)


async def _project(engine: AsyncEngine, project_id: str) -> Followed | None:
    async with reading(engine) as session:
        project = await session.get(ProjectRow, project_id)
        atelier = await session.get(AtelierRow, project.atelier_id) if project else None
    if project is None or atelier is None or not atelier.listed:
        return None
    return for_project(project.id, project.title)


register("atelier", _atelier)
register("project", _project)
register("subject", _subject)
register("instance", _instance)
register("quartier", _quartier)


async def _resolve(engine: AsyncEngine, scope: str) -> Followed:
    kind, _, ident = scope.partition(":")
    resolver = _RESOLVERS.get(kind)
    found = await resolver(engine, ident) if resolver and ident and len(scope) <= 200 else None
    if found is None:
        raise Problem(
            404,
            "unknown_scope",
            "Il n’y a rien de public à suivre à cette adresse.",
            "There is nothing public to follow here.",
        )
    return found


# --- texts -----------------------------------------------------------------------------------

_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "check_title": ("Vérifiez votre boîte", "Check your inbox"),
    "check_text": (
        "Si l’adresse {email} ne suit pas encore {what}, un e-mail de confirmation vient d’y "
        "partir. Ouvrez le lien qu’il contient pour confirmer : rien ne vous sera envoyé "
        "d’autre sans cette confirmation. Pensez aux courriers indésirables.",
        "If {email} does not follow {what} yet, a confirmation e-mail is on its way there. "
        "Open its link to confirm: nothing else is sent without it. Check the spam folder "
        "too.",
    ),
    "back_to": ("Revenir à la page", "Back to the page"),
    "error_title": ("L’abonnement n’a pas abouti", "The subscription did not go through"),
    "confirm_title": ("Confirmer votre abonnement", "Confirm your subscription"),
    "confirm_text": (
        "Vous allez recevoir par e-mail les nouvelles de {what}.",
        "You are about to receive the news of {what} by e-mail.",
    ),
    "confirm_button": ("Confirmer l’abonnement", "Confirm the subscription"),
    "confirmed_title": ("Abonnement confirmé", "Subscription confirmed"),
    "confirmed_text": (
        "C’est fait : vous recevrez par e-mail les nouvelles de {what}. Chaque message a un "
        "lien pour vous désabonner.",
        "Done: you will receive the news of {what} by e-mail. Each message has a link to "
        "unsubscribe.",
    ),
    "confirm_unknown": (
        "Ce lien de confirmation n’est plus valable : il a déjà servi, ou l’adresse a été "
        "effacée. Abonnez-vous à nouveau depuis la page à suivre.",
        "This confirmation link is no longer valid: it was used already, or the address was "
        "erased. Subscribe again from the page you want to follow.",
    ),
    "unsubscribe_title": ("Se désabonner", "Unsubscribe"),
    "unsubscribe_text": (
        "Ne plus recevoir les nouvelles de {what} : votre adresse sera effacée.",
        "Stop receiving the news of {what}: your address will be erased.",
    ),
    "unsubscribe_button": ("Me désabonner", "Unsubscribe me"),
    "unsubscribed_title": ("Vous êtes désabonné·e", "You are unsubscribed"),
    "unsubscribed_text": (
        "Vous ne recevrez plus les nouvelles de {what}, et votre adresse est effacée.",
        "You will no longer receive the news of {what}, and your address is erased.",
    ),
    "unsubscribe_unknown": (
        "Aucun abonnement ne correspond à ce lien : vous êtes sans doute déjà désabonné·e, et "
        "l’adresse effacée.",
        "No subscription matches this link: you are most likely unsubscribed already, and the "
        "address erased.",
    ),
    "discover": ("Découvrir les ateliers", "Discover the ateliers"),
}


def t(lang: Lang, key: str, **params: object) -> str:
    text = _TEXTS[key][0 if lang == "fr" else 1]
    return text.format(**params) if params else text


# --- pages -----------------------------------------------------------------------------------


def _page(request: Request[Any, Any, Any], lang: str | None = None) -> Page:
    """The page's language: the form's ``lang``, else ``?lang=``, else the browser's."""
    from server.public.routes import STYLESHEET  # the routes import this module

    asked = lang if lang in ("fr", "en") else request.query_params.get("lang")
    chosen: Lang
    if asked in ("fr", "en"):
        chosen = "en" if asked == "en" else "fr"
    else:
        chosen = "en" if prefers_english(request) else "fr"
    return Page(
        lang=chosen,
        path=request.url.path,
        query={},
        base_url=str(request.base_url).rstrip("/"),
        explicit=asked in ("fr", "en"),
        stylesheet=STYLESHEET,
        mail=AppServices.of(request.app).settings.mail_enabled,
    )


def _message_page(page: Page, title: str, body: str, status: int = 200) -> Response[str]:
    html = _layout(
        page,
        title=title,
        description=title,
        body=f"<h1>{e(title)}</h1>{body}",
    )
    return Response(
        html,
        status_code=status,
        media_type="text/html",
        headers={"cache-control": "no-store", "x-robots-tag": "noindex"},
    )


def _back(page: Page, href: str, text: str) -> str:
    return f'<p><a href="{e(page.href(href))}">{e(text)}</a></p>'


@post(SUBSCRIBE_PATH, include_in_schema=False, name="public-subscribe", status_code=200)
async def subscribe(request: Request[Any, Any, Any]) -> Response[str]:
    data = await request.form()
    scope = str(data.get("scope") or "")
    email = str(data.get("email") or "")
    page = _page(request, str(data.get("lang") or ""))
    lang = page.lang
    services = AppServices.of(request.app)
    settings = services.settings
    followed: Followed | None = None
    try:
        if not settings.mail_enabled:
            raise Problem(
                503,
                "mail_unavailable",
                "Les abonnements par e-mail ne sont pas disponibles sur ce site.",
                "E-mail subscriptions are not available on this site.",
            )
        followed = await _resolve(services.engine, scope)
        subscriptions.normalise_email(email)  # 400 before anything is counted
        services.subscription_guard.spend(
            client_address(request),
            "too_many_subscriptions",
            "Trop de demandes d’abonnement depuis cette adresse réseau : réessayez dans une heure.",
            "Too many subscription requests from this network address: try again in an hour.",
        )
        await subscriptions.subscribe(services.engine, email, followed, lang)
    except Problem as problem:
        message = problem.detail_fr if lang == "fr" else problem.detail_en
        body = (
            form(page, followed, error=message, email=email[:254])
            + _back(page, followed.page, t(lang, "back_to"))
            if followed is not None
            else f'<p class="error" role="alert">{e(message)}</p>'
            + _back(page, DIRECTORY, t(lang, "discover"))
        )
        response = _message_page(page, t(lang, "error_title"), body, problem.status_code)
        response.headers["x-atelier-problem"] = problem.code
        if problem.headers and "retry-after" in problem.headers:
            response.headers["retry-after"] = problem.headers["retry-after"]
        return response
    what = followed.title_fr if lang == "fr" else followed.title_en
    body = (
        f'<p class="lead">{e(t(lang, "check_text", email=email.strip(), what=what))}</p>'
        + _back(page, followed.page, t(lang, "back_to"))
    )
    return _message_page(page, t(lang, "check_title"), body)


def _what(lang: Lang, row: Any) -> str:
    return str(row.title_fr if lang == "fr" else row.title_en)


def _button(action: str, text: str) -> str:
    return (
        f'<form method="post" action="{e(action)}">'
        f'<button type="submit" class="primary">{e(text)}</button></form>'
    )


@get(f"{CONFIRM_PATH}/{{token:str}}", include_in_schema=False, name="public-confirm")
async def confirm_page(request: Request[Any, Any, Any], token: str) -> Response[str]:
    page = _page(request)
    lang = page.lang
    row = await subscriptions.confirmable(AppServices.of(request.app).engine, token)
    if row is None:
        body = f"<p>{e(t(lang, 'confirm_unknown'))}</p>" + _back(
            page, DIRECTORY, t(lang, "discover")
        )
        return _message_page(page, t(lang, "confirm_title"), body, 404)
    body = f'<p class="lead">{e(t(lang, "confirm_text", what=_what(lang, row)))}</p>' + _button(
        page.href(f"{CONFIRM_PATH}/{token}"), t(lang, "confirm_button")
    )
    return _message_page(page, t(lang, "confirm_title"), body)


@post(f"{CONFIRM_PATH}/{{token:str}}", include_in_schema=False, name="public-confirm-post")
async def confirm(request: Request[Any, Any, Any], token: str) -> Response[str]:
    page = _page(request)
    lang = page.lang
    row = await subscriptions.confirm(AppServices.of(request.app).engine, token)
    if row is None:
        body = f"<p>{e(t(lang, 'confirm_unknown'))}</p>" + _back(
            page, DIRECTORY, t(lang, "discover")
        )
        return _message_page(page, t(lang, "confirm_title"), body, 404)
    body = f'<p class="lead">{e(t(lang, "confirmed_text", what=_what(lang, row)))}</p>' + _back(
        page, row.page, t(lang, "back_to")
    )
    return _message_page(page, t(lang, "confirmed_title"), body)


@get(f"{UNSUBSCRIBE_PATH}/{{token:str}}", include_in_schema=False, name="public-unsubscribe")
async def unsubscribe_page(request: Request[Any, Any, Any], token: str) -> Response[str]:
    page = _page(request)
    lang = page.lang
    row = await subscriptions.unsubscribable(AppServices.of(request.app).engine, token)
    if row is None:
        body = f"<p>{e(t(lang, 'unsubscribe_unknown'))}</p>" + _back(
            page, DIRECTORY, t(lang, "discover")
        )
        return _message_page(page, t(lang, "unsubscribe_title"), body)
    body = f'<p class="lead">{e(t(lang, "unsubscribe_text", what=_what(lang, row)))}</p>' + _button(
        page.href(f"{UNSUBSCRIBE_PATH}/{token}"), t(lang, "unsubscribe_button")
    )
    return _message_page(page, t(lang, "unsubscribe_title"), body)


@post(f"{UNSUBSCRIBE_PATH}/{{token:str}}", include_in_schema=False, name="public-unsubscribe-post")
async def unsubscribe(request: Request[Any, Any, Any], token: str) -> Response[str]:
    """The one-click unsubscribe (a mail client's POST, RFC 8058) and the button's: done at
    once, the same page whether the subscription still existed or not."""
    page = _page(request)
    lang = page.lang
    row = await subscriptions.unsubscribe(AppServices.of(request.app).engine, token)
    if row is None:
        body = f"<p>{e(t(lang, 'unsubscribe_unknown'))}</p>"
        return _message_page(page, t(lang, "unsubscribed_title"), body)
    body = f'<p class="lead">{e(t(lang, "unsubscribed_text", what=_what(lang, row)))}</p>' + _back(
        page, row.page, t(lang, "back_to")
    )
    return _message_page(page, t(lang, "unsubscribed_title"), body)


def subscription_routes() -> list[BaseRouteHandler]:
    return [subscribe, confirm_page, confirm, unsubscribe_page, unsubscribe]
