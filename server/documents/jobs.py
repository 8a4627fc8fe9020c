"""The jobs render workers run (``server.documents.workers``): module-level functions of
picklable arguments, so that a worker process can import and call them."""

from __future__ import annotations

import dataclasses

from domain.report import Report
from server.documents.images import printable_image
from server.documents.sign_in import sign_in_sheet_pdf
from server.odt import report_odt
from server.pdf import report_pdf
from server.printing import InvitationSheet, Paper, invitation_pdf

__all__ = ["invitation_document", "report_document", "report_odt_document", "sign_in_sheet_pdf"]


def report_document(report: Report, image: bytes | None) -> bytes:
    """A version or a compte-rendu as a PDF, with the atelier's image if it decodes."""
    return report_pdf(report, image=printable_image(image))


def report_odt_document(report: Report, image: bytes | None) -> bytes:
    """A version or a compte-rendu as an ODT, for the office suite, with the image if it decodes."""
    return report_odt(report, image=printable_image(image))


def invitation_document(sheet: InvitationSheet, paper: Paper) -> bytes:
    """A printable invitation, with the atelier's image if it decodes."""
    sheet = dataclasses.replace(sheet, image=printable_image(sheet.image))
    return invitation_pdf(sheet, paper)
