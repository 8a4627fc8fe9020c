"""The browser client: the committed Vite build (``web/dist``) served at ``/``.

Assets have content hashes in their names and are cached for a year; ``index.html`` and the
service worker (``/sw.js``, which keeps the app shell for reloads without network) are never
cached, so a new build reaches phones at their next visit. Client routes (the join link that
``join_url`` prints and encodes in QR codes, ``/rejoindre/{code}``, and the other screens) answer
with ``index.html``: the client reads its path and shows the right screen.

Where the build is: ``ATELIER_WEB_DIR`` if set; else the copy an installed wheel carries in
the ``server`` package (``server/web_dist``, put there by ``setup.py``: an installed package has
no ``web/`` beside it); else ``web/dist`` in the checkout (a development or editable install).
Without a build, ``/`` says how to make one instead of failing to start. The Content Security
Policy and the other security headers come from ``server.security``, as on every response.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.static_files import create_static_files_router

__all__ = ["WEB_DIR", "find_web_dir", "web_routes"]

log = logging.getLogger("atelier.web")


def find_web_dir() -> Path:
    """The web client's build: see the module's docstring for the order."""
    if configured := os.environ.get("ATELIER_WEB_DIR"):
        return Path(configured)
    packaged = Path(__file__).resolve().parents[1] / "web_dist"
    if (packaged / "index.html").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "web" / "dist"


WEB_DIR = find_web_dir()

#: Paths the client routes itself (see ``web/src/router.ts``); each answers with index.html.
CLIENT_ROUTES = (
    "/rejoindre/{code:str}",
    "/atelier/{atelier_id:str}",
    "/seance/{session_id:str}",
    "/proposition/{proposal_id:str}",
    "/proposition/{proposal_id:str}/historique",
    "/animation/{session_id:str}",
    "/projection/{session_id:str}",
    "/vote/{poll_id:str}",
    "/conseil",
    "/conseil/proposition/{proposal_id:str}",
    "/connexion",
    "/nouvel-atelier",
    "/atelier/{atelier_id:str}/nouvelle-seance",
    "/atelier/{atelier_id:str}/modifier",
    "/seance/{session_id:str}/modifier",
)

_NO_BUILD = (
    "<!doctype html><html lang=fr><meta charset=utf-8><title>Atelier</title>"
    "<p>Le client web n’est pas construit : <code>make web</code>."
    "<p lang=en>The web client is not built: run <code>make web</code>."
)


def _index(web_dir: Path) -> Response[bytes]:
    index = web_dir / "index.html"
    body = index.read_bytes() if index.is_file() else _NO_BUILD.encode()
    return Response(
        body,
        media_type="text/html",
        headers={"cache-control": "no-cache"},
    )


def web_routes(web_dir: Path = WEB_DIR) -> list[BaseRouteHandler | Any]:
    """``/`` and the client routes (index.html), and the hashed assets under ``/assets``."""
    if not (web_dir / "index.html").is_file():
        log.warning("web client not built (%s missing): run `make web`", web_dir / "index.html")

    async def index(request: Request[Any, Any, Any]) -> Response[bytes]:
        return _index(web_dir)

    async def service_worker() -> Response[bytes]:
        # At the root so that its scope is the whole client; never cached, so a new one is
        # picked up at the next visit.
        path = web_dir / "sw.js"
        if not path.is_file():
            raise NotFoundException()
        return Response(
            path.read_bytes(),
            media_type="text/javascript",
            headers={"cache-control": "no-cache"},
        )

    handlers: list[BaseRouteHandler | Any] = [
        get(["/", *CLIENT_ROUTES], include_in_schema=False, name="web-index")(index),
        get("/sw.js", include_in_schema=False, name="web-service-worker")(service_worker),
    ]
    assets = web_dir / "assets"
    handlers.append(
        create_static_files_router(
            path="/assets",
            directories=[assets],
            name="web-assets",
            include_in_schema=False,
            after_request=_immutable,
        )
    )
    # Anything else at the root of the build (icons, the manifest).
    handlers.append(
        create_static_files_router(
            path="/static",
            directories=[web_dir / "static"],
            name="web-static",
            include_in_schema=False,
        )
    )
    return handlers


async def _immutable(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "public, max-age=31536000, immutable"
    return response
