"""The application factory: one ``create_app(settings)`` builds the whole Litestar app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from sqlalchemy.exc import SQLAlchemyError

from server.errors import exception_handlers
from server.logging import configure_logging
from server.openapi import document_content, document_problems
from server.public import public_routes
from server.public.projects import project_routes
from server.retention import start_retention, stop_retention
from server.routes.amendments import AmendmentController
from server.routes.ateliers import (
    AtelierController,
    JoinController,
    create_atelier,
)
from server.routes.city import city
from server.routes.comments import CommentController
from server.routes.compte_rendu import CompteRenduController
from server.routes.council_session import CouncilSessionController
from server.routes.docs_ws import PREFIX, document_socket
from server.routes.door import DoorController
from server.routes.feeds import atelier_feed, handoff_feed, instance_feed, quartier_feed
from server.routes.health import health
from server.routes.history import HistoryController
from server.routes.people import PersonalDataController
from server.routes.polls import PollController
from server.routes.projects import ProjectController
from server.routes.proposals import CouncilController, ProposalVersionController
from server.routes.sessions_ws import session_socket
from server.routes.staff import StaffController
from server.routes.subjects import subject_routes
from server.routes.web import web_routes
from server.schemas import CheckedRequest, TimeOfDaySchema, check_url
from server.security import CrossSiteGuard, security_headers
from server.settings import Settings, load_settings
from server.state import AppServices

__all__ = ["create_app"]

log = logging.getLogger("atelier.server")


async def _fill_search_index(services: AppServices) -> None:
    """A new database, or one just migrated to the search index: index what is public."""
    from server.search_index import reindex_if_empty

    try:
        count = await reindex_if_empty(services.engine)
    except (SQLAlchemyError, OSError) as exc:
        # The server starts without its database (health says 503 until it is back); the index
        # is filled at the next start, or by `atelier search reindex`.
        log.warning("search index not checked: the database is unreachable (%s)", exc)
        return
    if count is not None:
        log.info("search index built: %d entries", count)


class AtelierApp(Litestar):
    """The Litestar app, except for document sockets, which go straight to
    :func:`server.routes.docs_ws.document_socket`: the busiest path of the server, with
    thousands of sockets opening when a room's Wi-Fi comes back, and one that needs none of
    the router's and middleware's work (bench/RESULTS.md §15)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(PREFIX):
            services: AppServices = self.state.services
            await document_socket(services, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, json=settings.env == "production")
    if settings.uses_dev_key:
        log.warning(
            "ATELIER_SECRET_KEY is not set: using the development key. "
            "Anyone can mint grants; never expose this instance."
        )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        services = AppServices.build(settings)
        app.state.services = services
        await services.control.start()
        await _fill_search_index(services)
        retention = start_retention(services.engine, settings)
        # What starting built (modules, the app and its routes, the schemas, the engine) lives
        # as long as the server: out of the collector's sight, a full collection no longer
        # walks it each time connections pile up (12 % of a connection's CPU, RESULTS.md §15).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if retention is not None:
                await stop_retention(retention)
            await services.close()

    app = AtelierApp(
        route_handlers=[
            health,
            city,
            session_socket,
            create_atelier,
            AtelierController,
            JoinController,
            DoorController,
            PollController,
            ProposalVersionController,
            StaffController,
            CouncilController,
            ProjectController,
            CouncilSessionController,
            CompteRenduController,
            CommentController,
            HistoryController,
            AmendmentController,
            PersonalDataController,
            atelier_feed,
            instance_feed,
            quartier_feed,
            handoff_feed,
            *public_routes(),
            *subject_routes(),
            *project_routes(),
            *web_routes(),
        ],
        exception_handlers=exception_handlers(),
        request_class=CheckedRequest,
        before_request=check_url,
        plugins=[TimeOfDaySchema()],
        request_max_body_size=settings.max_request_body_bytes,
        middleware=[CrossSiteGuard()],
        before_send=[security_headers],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Atelier",
            version="0.1.0",
            description=(
                "Atelier — espace de co-construction en temps réel pour la démocratie locale."
            ),
            path="/schema",
            # The document only: an API browser's script would come from a CDN (server.security).
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        debug=False,
    )
    document_problems(app)  # every route's problem details in the OpenAPI document
    document_content(app)  # and the formats of the routes that answer in several
    return app
