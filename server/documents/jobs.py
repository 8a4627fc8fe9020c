"""The jobs render workers run (``server.documents.workers``): module-level functions of
picklable arguments, so that a worker process can import and call them.

The server imports this module to name the jobs, not to run them: what they render with (fpdf,
and fontTools and Pillow under it) is imported inside each job, in the worker, and all at once
by :func:`warm_up` when a worker starts. The server's own memory stays without it (issue 24).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.report import Report
    from server.documents.sign_in import SignInSheet
    from server.printing import InvitationSheet, Paper

__all__ = [
    "invitation_document",
    "report_document",
    "report_odt_document",
    "sign_in_sheet_pdf",
    "warm_up",
]


def warm_up() -> None:
    """Import what the jobs render with: a worker's first task, so that a job's time limit
    counts the job and not these imports."""
    import server.documents.images
    import server.documents.invitation
    import server.documents.sign_in
    import server.odt
    import server.pdf  # noqa: F401


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
