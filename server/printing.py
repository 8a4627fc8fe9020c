"""What leaves the screen: QR codes (SVG, PNG) and printable invitations (PDF, A4 or A5).

The seed asks to invite people "par boîtage" (letterboxes) and notice boards: the invitation
carries the atelier's image, the date and place, the join code in large type and a QR code of the
join link, so that someone with a phone joins by scanning and someone without by typing.

This module is what the server needs on its event loop: the sheets as plain data, and the QR
codes (``segno`` loaded with the first one). The PDFs are drawn with fpdf in a render worker
(``server.documents.invitation``, ``server.documents.sign_in``), so that the server does not
carry fpdf, fontTools and Pillow in its memory (issue 24).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import segno

__all__ = [
    "FONT_DIRS",
    "InvitationSheet",
    "Paper",
    "SignInRow",
    "SignInSheet",
    "cancelled_sheet",
    "closed_atelier_sheet",
    "fold_latin1",
    "invitation_pdf",
    "qr_png",
    "qr_svg",
]

# A Unicode font if the system has one (French typography: ’ « » œ), else the PDF core font
# with the text folded to Latin-1.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "œ": "oe",
        "Œ": "OE",
        "…": "...",
        "–": "-",
        "—": "-",
        "\u202f": " ",
        "\u2009": " ",
    }
)


def fold_latin1(text: str) -> str:
    """``text`` for a PDF core font: typographic signs folded, anything else outside Latin-1
    replaced by « ? »."""
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


def _qr(data: str) -> segno.QRCode:
    import segno

    # Level M survives a creased or slightly smudged flyer and stays small for a short URL.
    return segno.make(data, error="m", micro=False)


def qr_svg(data: str, *, title: str = "") -> bytes:
    out = io.BytesIO()
    _qr(data).save(out, kind="svg", scale=8, border=4, title=title or None, xmldecl=True)
    return out.getvalue()


def qr_png(data: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _qr(data).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


#: The invitation's sizes: A4 and A5 for letterboxes and hands, A3 a poster (beside the
#: letterbox invitation, on the town hall's or the school's door) whose code reads from afar.
Paper = Literal["A4", "A5", "A3"]


@dataclass(frozen=True)
class InvitationSheet:
    title: str  # the atelier
    subtitle: str  # e.g. « Séance 1 — Étude de faisabilité »
    when: str  # already formatted for French readers: « mardi 12 décembre 2017 à 18 h 30 »
    where: str
    join_code: str
    join_url: str
    image: bytes | None = None  # PNG or JPEG
    #: A cancelled séance's sheet says so, with the public reason, and carries neither the
    #: join code nor the QR code (:func:`cancelled_sheet`).
    cancelled: bool = False
    cancel_reason: str | None = None
    #: A séance of a closed atelier: its notice says the atelier is closed
    #: (:func:`closed_atelier_sheet`).
    atelier_closed: bool = False


def cancelled_sheet(
    title: str, subtitle: str, when: str, where: str, reason: str | None, image: bytes | None
) -> InvitationSheet:
    """The sheet of a cancelled séance: no join code nor link to print (they open nothing)."""
    return InvitationSheet(
        title, subtitle, when, where, "", "", image, cancelled=True, cancel_reason=reason
    )


def closed_atelier_sheet(
    title: str, subtitle: str, when: str, where: str, reason: str | None, image: bytes | None
) -> InvitationSheet:
    """The sheet of a séance of a closed atelier: a notice, as for a cancelled séance."""
    return InvitationSheet(
        title,
        subtitle,
        when,
        where,
        "",
        "",
        image,
        cancelled=True,
        cancel_reason=reason,
        atelier_closed=True,
    )


@dataclass(frozen=True)
class SignInRow:
    name: str
    role: str  # as people read it: « Habitant·e », « Élu·e »…
    present: bool  # already checked in (on their phone, or at the door)


@dataclass(frozen=True)
class SignInSheet:
    """A séance's feuille d'émargement (``server.documents.sign_in``)."""

    atelier: str
    seance: str  # « Séance 1 — mardi 12 décembre 2017 à 18 h 30 »
    place: str
    rows: tuple[SignInRow, ...]
    headcount: int | None = None


def invitation_pdf(sheet: InvitationSheet, paper: Paper = "A4") -> bytes:
    """The invitation's PDF (``server.documents.invitation``); the server has it drawn by a render
    worker (``server.documents.jobs``), and fpdf is imported here only if called."""
    from server.documents.invitation import invitation_pdf as draw

    return draw(sheet, paper)
