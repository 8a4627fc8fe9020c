"""What leaves the screen: QR codes (SVG, PNG) and printable invitations (PDF, A4 or A5).

The seed asks to invite people "par boîtage" (letterboxes) and notice boards: the invitation
carries the atelier's image, the date and place, the join code in large type and a QR code of the
join link, so that someone with a phone joins by scanning and someone without by typing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import segno
from fpdf import FPDF

__all__ = [
    "FONT_DIRS",
    "InvitationSheet",
    "Paper",
    "TaggedPDF",
    "cancelled_sheet",
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
_SCALE: dict[str, float] = {"A4": 1.0, "A5": 0.72, "A3": 1.41}


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


def cancelled_sheet(
    title: str, subtitle: str, when: str, where: str, reason: str | None, image: bytes | None
) -> InvitationSheet:
    """The sheet of a cancelled séance: no join code nor link to print (they open nothing)."""
    return InvitationSheet(
        title, subtitle, when, where, "", "", image, cancelled=True, cancel_reason=reason
    )


class TaggedPDF(FPDF):
    """An FPDF whose content can be tagged (a structure tree read by screen readers in order):
    :meth:`tagged` makes what is written inside one structure element, and the page furniture
    goes between ``/Artifact BMC`` and ``EMC``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tag: str | None = None  # the structure element being written, if any

    @contextmanager
    def tagged(self, kind: str) -> Iterator[None]:
        """What is written inside is one structure element of ``kind`` (``H1``, ``P``, ``LI``…);
        continued on the next page as a new element of the same kind when it runs over."""
        outer = self._tag
        if outer is not None:  # one element at a time: the inner one takes over
            self._out("EMC")
        self._tag = kind
        self._open_tag()
        try:
            yield
        finally:
            self._out("EMC")
            self._tag = outer
            if outer is not None:
                self._open_tag()

    def _open_tag(self) -> None:
        assert self._tag is not None
        mcid = self.struct_builder.next_mcid_for_page(self.page)
        self._add_marked_content(struct_type=f"/{self._tag}", mcid=mcid)
        self._out(f"/{self._tag} <</MCID {mcid}>> BDC")

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        """A page break inside an element closes it on this page (before the footer, an
        artifact) and opens its continuation on the next."""
        open_tag = self._tag
        if open_tag is not None:
            self._out("EMC")
            self._tag = None
        super().add_page(*args, **kwargs)
        if open_tag is not None:
            self._tag = open_tag
            self._open_tag()

    def artifact_begin(self) -> None:
        self._out("/Artifact BMC")

    def artifact_end(self) -> None:
        self._out("EMC")


class _Sheet(TaggedPDF):
    def __init__(self, paper: Paper) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper)
        self.set_auto_page_break(auto=False)
        self.unicode = self._load_unicode_font()

    def _load_unicode_font(self) -> bool:
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("Sans", "", str(regular))
                self.add_font("Sans", "B", str(bold))
                return True
        return False

    def font(self, size: float, *, bold: bool = False) -> None:
        family = "Sans" if self.unicode else "Helvetica"
        self.set_font(family, "B" if bold else "", size)

    def text_block(
        self, text: str, size: float, *, bold: bool = False, gap: float = 2, kind: str = "P"
    ) -> None:
        self.font(size, bold=bold)
        if not self.unicode:
            text = fold_latin1(text)
        with self.tagged(kind):
            self.multi_cell(0, size * 0.45, text, align="C")
        self.ln(gap)


def invitation_pdf(sheet: InvitationSheet, paper: Paper = "A4") -> bytes:
    """One page: image, title, date and place, the join code and a QR code of the join link;
    for a cancelled séance, a notice to post instead (:func:`_cancelled_notice`)."""
    pdf = _Sheet(paper)
    pdf.set_title(f"{'Séance annulée' if sheet.cancelled else 'Invitation'} — {sheet.title}")
    pdf.set_lang("fr")
    pdf.add_page()
    scale = _SCALE[paper]
    margin = 18 * scale
    pdf.set_margins(margin, margin, margin)
    pdf.set_y(margin)
    if sheet.image:
        pdf.image(
            io.BytesIO(sheet.image),
            x=pdf.w / 2 - 30 * scale,
            w=60 * scale,
            alt_text="Logo de l’atelier",
        )
        pdf.ln(4)
    if sheet.cancelled:
        _cancelled_notice(pdf, sheet, scale)
        return bytes(pdf.output())
    pdf.text_block("Vous êtes invité·e à un atelier citoyen", 13 * scale)
    pdf.text_block(sheet.title, 24 * scale, bold=True, gap=1, kind="H1")
    if sheet.subtitle:
        pdf.text_block(sheet.subtitle, 14 * scale)
    pdf.text_block(f"Quand : {sheet.when}", 14 * scale, bold=True, gap=1)
    pdf.text_block(f"Où : {sheet.where}", 14 * scale, bold=True, gap=6)
    size = 70 * scale
    pdf.image(
        io.BytesIO(qr_png(sheet.join_url, scale=10)),
        x=(pdf.w - size) / 2,
        w=size,
        h=size,
        alt_text=f"QR code du lien pour rejoindre la séance : {sheet.join_url}",
    )
    pdf.ln(4)
    pdf.text_block("Scannez le code avec votre téléphone, ou tapez ce code sur", 12 * scale, gap=1)
    pdf.text_block(sheet.join_url.split("/rejoindre")[0] or sheet.join_url, 12 * scale, gap=3)
    pdf.text_block(sheet.join_code, 34 * scale, bold=True, gap=6)
    pdf.text_block(
        "Pas besoin de compte : un prénom ou un pseudo suffit. "
        "Habitantes, habitants, élu·es et agents y construisent ensemble des propositions.",
        10 * scale,
    )
    pdf.text_block("You are invited to a citizens' workshop — scan the code to join.", 9 * scale)
    return bytes(pdf.output())


def _cancelled_notice(pdf: _Sheet, sheet: InvitationSheet, scale: float) -> None:
    """What a facilitator prints (or reprints) for a cancelled séance, to post over its
    invitation: which meeting does not take place, and why when a public reason was given. No
    join code nor QR code: they open nothing any more."""
    pdf.text_block("Séance annulée", 30 * scale, bold=True, gap=3, kind="H1")
    pdf.text_block(sheet.title, 20 * scale, bold=True, gap=1, kind="H2")
    if sheet.subtitle:
        pdf.text_block(sheet.subtitle, 14 * scale)
    pdf.text_block(f"Prévue le {sheet.when}", 14 * scale, gap=1)
    if sheet.where:
        pdf.text_block(f"à {sheet.where}", 14 * scale, gap=1)
    pdf.text_block("Cette séance n’aura pas lieu.", 16 * scale, bold=True, gap=4)
    if sheet.cancel_reason:
        pdf.text_block(f"Motif : {sheet.cancel_reason}", 14 * scale, gap=6)
    english = "Cancelled: this séance will not take place."
    if sheet.cancel_reason:
        english += f" Reason: {sheet.cancel_reason}"
    pdf.text_block(english, 9 * scale)
