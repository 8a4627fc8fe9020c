"""The public door's routes: pages under ``/decouvrir`` (no token, no script) and the séances'
calendars under ``/api``.

* ``GET /decouvrir`` → ``/decouvrir/ateliers``: the directory, filtered by plain GET parameters
  ``quartier`` (a neighbourhood's name, or ``ville``), ``instance`` (``CQ``…), ``type``
  (``aic``/``ap``) and ``etat`` (``en_constitution``/``actif``/``termine``); an unknown value
  filters nothing.
* ``GET /decouvrir/ateliers/{id}``: an atelier's page; an unlisted or unknown atelier is a 404
  page (the same answer for both: which ateliers exist unlisted is nobody's business).
* ``GET /decouvrir/instances/{code}``: an instance's page.
* ``GET /decouvrir/recherche?q=…``: search over the listed ateliers, their published
  proposals, public subjects and projects (``server.public.search``, on the index of
  ``server.search_index``), ``&kind=`` and ``&quartier=`` to filter; ``GET /api/search?q=…``:
  the same, as JSON.
* ``GET /decouvrir/propositions/{id}/versions/{n}``: a frozen version, and how to check its
  fingerprint (``server.public.versions``, with its JSON record under ``/api``).
* ``GET /decouvrir/style.css``: their stylesheet.
* ``GET /api/ateliers/{id}/seances.ics``, ``GET /api/instances/{code}/seances.ics``: the
  calendars (``server.public.ical``).

Language: ``?lang=fr|en``, else English when ``Accept-Language`` puts it first, else French.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect

from domain.ateliers import AtelierKind, Instance
from server.documents.jobs import calendar_feed
from server.documents.rendering import render
from server.errors import Problem, prefers_english
from server.public import data, pages, search
from server.public.pages import DIRECTORY, ROOT, SEARCH, Lang, Page
from server.state import AppServices

__all__ = ["public_routes"]

_CSS: Final = (Path(__file__).parent / "public.css").read_bytes()
#: The stylesheet's address carries a hash of its content: cached for a year, never stale.
STYLESHEET: Final = f"{ROOT}/style.css?v={hashlib.sha256(_CSS).hexdigest()[:12]}"
#: The pages change when someone acts (a séance planned, a decision recorded): a minute late
#: at most.
_PAGE_HEADERS: Final = {"cache-control": "public, max-age=60", "vary": "Accept-Language"}


def _page(request: Request[Any, Any, Any]) -> Page:
    asked = request.query_params.get("lang")
    lang: Lang
    if asked in ("fr", "en"):
        lang = "en" if asked == "en" else "fr"
    else:
        lang = "en" if prefers_english(request) else "fr"
    return Page(
        lang=lang,
        path=request.url.path,
        query={k: v for k, v in request.query_params.items() if isinstance(v, str) and v},
        base_url=str(request.base_url).rstrip("/"),
        explicit=asked in ("fr", "en"),
        stylesheet=STYLESHEET,
        mail=AppServices.of(request.app).settings.mail_enabled,
    )


def _html(body: str, status: int = 200) -> Response[str]:
    return Response(
        body,
        status_code=status,
        media_type="text/html",
        headers=_PAGE_HEADERS if status == 200 else {"cache-control": "no-cache"},
    )


def _today(request: Request[Any, Any, Any]) -> dt.date:
    zone = ZoneInfo(AppServices.of(request.app).settings.time_zone)
    return dt.datetime.now(zone).date()


def _filters(request: Request[Any, Any, Any]) -> data.Filters:
    query = request.query_params
    where = (query.get("quartier") or "").strip() or None
    instance = None
    if code := (query.get("instance") or "").upper():
        instance = Instance(code) if code in Instance.__members__ else None
    kind = {"aic": AtelierKind.INITIATIVE_CITOYENNE, "ap": AtelierKind.PROJET}.get(
        (query.get("type") or "").lower()
    )
    stage_value = query.get("etat") or ""
    stage = data.Stage(stage_value) if stage_value in data.Stage._value2member_map_ else None
    return data.Filters(where=where, instance=instance, kind=kind, stage=stage)


@get(ROOT, include_in_schema=False, name="public-root")
async def root(request: Request[Any, Any, Any]) -> Redirect:
    lang = request.query_params.get("lang")
    target = DIRECTORY + (f"?lang={lang}" if lang in ("fr", "en") else "")
    return Redirect(target, status_code=302)


@get(DIRECTORY, include_in_schema=False, name="public-directory")
async def directory(request: Request[Any, Any, Any]) -> Response[str]:
    filters = _filters(request)
    engine = AppServices.of(request.app).engine
    found = await data.directory(engine, filters, _today(request))
    return _html(pages.directory_page(_page(request), found, filters))


@get(f"{DIRECTORY}/{{atelier_id:str}}", include_in_schema=False, name="public-atelier")
async def atelier(request: Request[Any, Any, Any], atelier_id: str) -> Response[str]:
    page = _page(request)
    today = _today(request)
    zone = ZoneInfo(AppServices.of(request.app).settings.time_zone)
    found = await data.atelier_page(AppServices.of(request.app).engine, atelier_id, today, zone)
    if found is None:
        return _html(pages.not_found_page(page, "atelier"), status=404)
    from server.public import projects

    engine = AppServices.of(request.app).engine
    born, carried = await projects.projects_of_atelier(engine, atelier_id)
    section = projects.atelier_projects_section(page, born, carried)
    from server.public import subjects

    section += await subjects.atelier_section(request, page, atelier_id)
    return _html(pages.atelier_page(page, found, today, section))


def _instance(code: str) -> Instance | None:
    return Instance(code.upper()) if code.upper() in Instance.__members__ else None


@get(f"{ROOT}/instances/{{code:str}}", include_in_schema=False, name="public-instance")
async def instance(request: Request[Any, Any, Any], code: str) -> Response[str]:
    page = _page(request)
    found = _instance(code)
    if found is None:
        return _html(pages.not_found_page(page, "instance"), status=404)
    engine = AppServices.of(request.app).engine
    ateliers = await data.instance_ateliers(engine, found, _today(request))
    from server.public import subjects

    section = await subjects.instance_section(request, page, found)
    return _html(pages.instance_page(page, found, ateliers, section))


def _query(request: Request[Any, Any, Any]) -> str:
    """``?q=``, cut to its bound (a longer query is not an error: its end is ignored)."""
    value = request.query_params.get("q")
    return value[: search.MAX_QUERY] if isinstance(value, str) else ""


def _search_filters(request: Request[Any, Any, Any]) -> tuple[str | None, str | None]:
    """``?kind=`` (an unknown one filters nothing on the page) and ``?quartier=``."""
    kind = request.query_params.get("kind")
    quartier = request.query_params.get("quartier")
    return (
        kind if kind in search.KINDS else None,
        quartier.strip() or None if isinstance(quartier, str) else None,
    )


@get(SEARCH, include_in_schema=False, name="public-search")
async def search_page(request: Request[Any, Any, Any]) -> Response[str]:
    query = _query(request)
    kind, quartier = _search_filters(request)
    hits = await search.search(
        AppServices.of(request.app).engine, query, kind=kind, quartier=quartier
    )
    return _html(pages.search_page(_page(request), query, hits, kind))


class SearchHit(msgspec.Struct, kw_only=True):
    """A result: an atelier, a published proposal of one, a public subject or a project.
    ``title_html`` and ``excerpt_html`` are escaped HTML with the matched words in ``<mark>``;
    ``url`` is its public page; ``atelier_id``/``atelier_title`` the atelier it belongs to
    (empty for a subject or project of none); ``quartier`` its neighbourhood (None: the city)."""

    kind: str
    id: str
    title: str
    title_html: str
    atelier_id: str
    atelier_title: str
    excerpt_html: str
    url: str
    quartier: str | None


class SearchResults(msgspec.Struct, kw_only=True):
    query: str
    results: list[SearchHit]


@get(
    "/api/search",
    tags=["ateliers"],
    summary="Rechercher dans les ateliers publics, leurs propositions, les sujets et les projets",
    description=(
        "En français : accents et casse ignorés, mots rapprochés par leur racine (« quartiers » "
        'trouve « quartier ») ; tous les mots doivent figurer (sur PostgreSQL, `"…"` cherche '
        "une expression et `-mot` écarte un mot). Classés par pertinence, le titre avant le "
        f"texte ; au plus {search.MAX_RESULTS} résultats ; `q` est coupé à {search.MAX_QUERY} "
        "caractères. `kind` (atelier, proposal, subject, project) et `quartier` (un nom de "
        "quartier, ou `ville`) filtrent. Full-text search over the public ateliers, published "
        "proposals, subjects and projects, in French."
    ),
)
async def search_api(
    request: Request[Any, Any, Any],
    q: str = "",
    kind: Literal["atelier", "proposal", "subject", "project"] | None = None,
    quartier: str | None = None,
) -> SearchResults:
    query = q[: search.MAX_QUERY]
    hits = await search.search(
        AppServices.of(request.app).engine,
        query,
        kind=kind,
        quartier=quartier[: search.MAX_QUERY] if quartier else None,
    )
    return SearchResults(
        query=query,
        results=[
            SearchHit(
                kind=h.kind,
                id=h.id,
                title=h.title,
                title_html=h.title_html,
                atelier_id=h.atelier_id or "",
                atelier_title=h.atelier_title or "",
                excerpt_html=h.excerpt,
                url=h.url,
                quartier=h.quartier,
            )
            for h in hits
        ],
    )


@get(f"{ROOT}/style.css", include_in_schema=False, name="public-stylesheet")
async def stylesheet() -> Response[bytes]:
    return Response(
        _CSS,
        media_type="text/css",
        headers={"cache-control": "public, max-age=31536000, immutable"},
    )


async def _calendar(
    request: Request[Any, Any, Any], seances: Any, *, name: str, page_path: str
) -> Response[bytes]:
    """The feed, built in a render worker: icalendar is pure Python, milliseconds a séance."""
    base = str(request.base_url).rstrip("/")
    services = AppServices.of(request.app)
    body = await render(
        services.renders,
        calendar_feed,
        seances,
        name=name,
        host=request.url.hostname or "atelier",
        base_url=base,
        time_zone=services.settings.time_zone,
        page_url=base + page_path,
    )
    return Response(
        body,
        media_type="text/calendar",
        headers={
            "cache-control": "public, max-age=300",
            "content-disposition": 'inline; filename="seances.ics"',
        },
    )


@get(
    "/api/ateliers/{atelier_id:str}/seances.ics",
    tags=["feeds"],
    summary="Les séances d’un atelier (iCalendar, pour s’abonner)",
    media_type="text/calendar",
)
async def atelier_calendar(request: Request[Any, Any, Any], atelier_id: str) -> Response[bytes]:
    found = await data.atelier_seances(AppServices.of(request.app).engine, atelier_id)
    if found is None:  # not public until approved or constituted
        raise Problem(404, "atelier_not_found", "Atelier introuvable.", "Atelier not found.")
    title, seances = found
    return await _calendar(
        request,
        seances,
        name=f"Atelier « {title} » — séances",
        page_path=f"{DIRECTORY}/{quote(atelier_id)}",
    )


@get(
    "/api/instances/{code:str}/seances.ics",
    tags=["feeds"],
    summary="Les séances des ateliers reliés à une instance (iCalendar)",
    media_type="text/calendar",
)
async def instance_calendar(request: Request[Any, Any, Any], code: str) -> Response[bytes]:
    found = _instance(code)
    if found is None:
        raise Problem(404, "unknown_instance", "Instance inconnue.", "Unknown body.")
    seances = await data.instance_seances(AppServices.of(request.app).engine, found)
    return await _calendar(
        request,
        seances,
        name=f"{found.name_fr} — séances des ateliers",
        page_path=f"{ROOT}/instances/{found.value}",
    )


@get(
    "/api/quartiers/{name:str}/seances.ics",
    tags=["feeds"],
    summary="Les séances des ateliers d’un quartier (iCalendar)",
    media_type="text/calendar",
)
async def quartier_calendar(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    seances = await data.quartier_seances(AppServices.of(request.app).engine, name)
    if seances is None:
        raise Problem(
            404,
            "unknown_quartier",
            "Aucun atelier public dans ce quartier.",
            "No public atelier in this neighbourhood.",
        )
    return await _calendar(
        request,
        seances,
        name=f"Quartier {name.strip()} — séances des ateliers",
        page_path=f"{DIRECTORY}?quartier={quote(name.strip())}",
    )


def public_routes() -> list[BaseRouteHandler]:
    """Every route of the public door, for the application's list."""
    from server.public.subjects import subject_page_routes
    from server.public.subscriptions import subscription_routes  # it imports this module
    from server.public.versions import version_routes  # it imports this module too

    return [
        *subject_page_routes(),
        root,
        directory,
        atelier,
        instance,
        search_page,
        search_api,
        stylesheet,
        atelier_calendar,
        instance_calendar,
        quartier_calendar,
        *subscription_routes(),
        *version_routes(),
    ]
