"""The jobs render workers run (``server.documents.workers``): module-level functions of
picklable arguments, so that a worker process can import and call them.

The server imports this module to name the jobs, not to run them: what they render with (fpdf,
and fontTools and Pillow under it) is imported inside each job, in the worker, and all at once
by :func:`warm_up` when a worker starts. The server's own memory stays without it (issue 24).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from domain.report import Report
    from server.documents.sign_in import SignInSheet
    from server.printing import InvitationSheet, Paper
    from server.public.seances import PublicSeance

__all__ = [
    "calendar_feed",
    "invitation_document",
    "qr_code",
    "report_document",
    "report_odt_document",
    "sign_in_sheet_pdf",
    "warm_up",
]


def warm_up() -> None:
    """Import what the jobs render with: a worker's first task, so that a job's time limit
    counts the job and not these imports."""
    import icalendar  # noqa: F401
    import segno  # noqa: F401

    import server.documents.images
    import server.documents.invitation
    import server.documents.sign_in
    import server.odt
    import server.pdf
    import server.public.ical  # noqa: F401


def report_document(report: Report, image: bytes | None) -> bytes:
    """A version or a compte-rendu as a PDF, with the atelier's image if it decodes."""
    from server.documents.images import printable_image
    from server.pdf import report_pdf

    return report_pdf(report, image=printable_image(image))


def report_odt_document(report: Report, image: bytes | None) -> bytes:
    """A version or a compte-rendu as an ODT, for the office suite, with the image if it decodes."""
    from server.documents.images import printable_image
    from server.odt import report_odt

    return report_odt(report, image=printable_image(image))


def invitation_document(sheet: InvitationSheet, paper: Paper) -> bytes:
    """A printable invitation, with the atelier's image if it decodes."""
    from server.documents.images import printable_image
    from server.documents.invitation import invitation_pdf

    sheet = dataclasses.replace(sheet, image=printable_image(sheet.image))
    return invitation_pdf(sheet, paper)


def sign_in_sheet_pdf(sheet: SignInSheet) -> bytes:
    """The feuille d'émargement of a séance (``server.documents.sign_in``)."""
    from server.documents.sign_in import sign_in_sheet_pdf as render

    return render(sheet)


def qr_code(data: str, kind: Literal["svg", "png"], title: str = "") -> bytes:
    """A QR code of ``data`` (a join link): about 15 ms of pure Python each, and segno's import
    ten times that, kept off the event loop."""
    from server.printing import qr_png, qr_svg

    return qr_svg(data, title=title) if kind == "svg" else qr_png(data)


def calendar_feed(
    seances: Sequence[PublicSeance],
    *,
    name: str,
    host: str,
    base_url: str,
    time_zone: str,
    page_url: str,
) -> bytes:
    """A séances' iCalendar feed (``server.public.ical``): icalendar builds and folds it in pure
    Python, a few milliseconds a séance."""
    from server.public.ical import calendar

    return calendar(
        seances,
        name=name,
        host=host,
        base_url=base_url,
        time_zone=time_zone,
        page_url=page_url,
    )
