"""What the routes call to have a document made: a render worker's job, or a clear problem.

A busy pool and a job past its time limit are 503 with ``Retry-After`` (try again in a moment;
nothing is lost, a frozen version does not change); a job that failed is a 500 that says the
document could not be made, without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from server.documents.images import ImageRejected, normalized_image
from server.documents.workers import RenderBusy, RenderFailed, RenderPool, RenderTimeout
from server.errors import Problem

__all__ = ["normalize_upload", "render"]

P = ParamSpec("P")
T = TypeVar("T")

_IMAGE_REFUSALS = {
    "image_type": (
        415,
        "L’image doit être au format PNG ou JPEG.",
        "The image must be PNG or JPEG.",
    ),
    "image_pixels": (
        413,
        "Image trop grande : 40 millions de pixels au plus (environ 7 700 × 5 200).",
        "Image too large: 40 million pixels at most (about 7,700 × 5,200).",
    ),
    "image_unreadable": (
        422,
        "Cette image est illisible : le fichier semble abîmé. Enregistrez-la de nouveau "
        "au format PNG ou JPEG.",
        "This image cannot be read: the file seems damaged. Save it again as PNG or JPEG.",
    ),
}


async def render(pool: RenderPool, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``job(*args)`` in a render worker; raises :class:`Problem` (503, 500) when it cannot."""
    try:
        return await pool.run(job, *args, **kwargs)
    except RenderBusy:
        raise Problem(
            503,
            "render_busy",
            "Trop de documents sont en préparation : réessayez dans quelques secondes.",
            "Too many documents are being prepared: try again in a few seconds.",
            headers={"retry-after": "5"},
        ) from None
    except RenderTimeout:
        raise Problem(
            503,
            "render_timeout",
            "Ce document a pris trop de temps à préparer ; réessayez plus tard.",
            "This document took too long to prepare; try again later.",
            headers={"retry-after": "30"},
        ) from None
    except RenderFailed:
        raise Problem(
            500,
            "render_failed",
            "Ce document n’a pas pu être préparé ; l’erreur est inscrite au journal du serveur.",
            "This document could not be prepared; the error is in the server's log.",
        ) from None


async def normalize_upload(pool: RenderPool, data: bytes) -> tuple[bytes, str]:
    """An uploaded image decoded and encoded again in a worker, or a 413/415/422 problem."""
    try:
        return await render(pool, normalized_image, data)
    except ImageRejected as exc:
        status, fr, en = _IMAGE_REFUSALS[exc.code]
        raise Problem(status, exc.code, fr, en) from None
