"""The invitation as a one-page PDF (A5, A4 or A3), or the notice that replaces it once its séance
is cancelled. Drawn in a render worker (``server.documents.jobs``); its data is
:class:`server.printing.InvitationSheet`."""

from __future__ import annotations

import io

from server.documents.tagged_pdf import TaggedPDF
from server.printing import FONT_DIRS, InvitationSheet, Paper, fold_latin1, qr_png

__all__ = ["invitation_pdf"]

_SCALE: dict[str, float] = {"A4": 1.0, "A5": 0.72, "A3": 1.41}


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
    heading = _notice_heading(sheet) if sheet.cancelled else "Invitation"
    pdf.set_title(f"{heading} — {sheet.title}")
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
    pdf.text_block(_notice_heading(sheet), 30 * scale, bold=True, gap=3, kind="H1")
    pdf.text_block(sheet.title, 20 * scale, bold=True, gap=1, kind="H2")
    if sheet.subtitle:
        pdf.text_block(sheet.subtitle, 14 * scale)
    pdf.text_block(f"Prévue le {sheet.when}", 14 * scale, gap=1)
    if sheet.where:
        pdf.text_block(f"à {sheet.where}", 14 * scale, gap=1)
    said = (
        "L’atelier est clos : il ne tient plus de séance."
        if sheet.atelier_closed
        else "Cette séance n’aura pas lieu."
    )
    pdf.text_block(said, 16 * scale, bold=True, gap=4)
    if sheet.cancel_reason:
        pdf.text_block(f"Motif : {sheet.cancel_reason}", 14 * scale, gap=6)
    english = (
        "Closed: this atelier holds no more séances."
        if sheet.atelier_closed
        else "Cancelled: this séance will not take place."
    )
    if sheet.cancel_reason:
        english += f" Reason: {sheet.cancel_reason}"
    pdf.text_block(english, 9 * scale)


def _notice_heading(sheet: InvitationSheet) -> str:
    return "Atelier clos" if sheet.atelier_closed else "Séance annulée"
