"""The feuille d'émargement: who is expected at a séance, by role, with room to sign, and blank
lines for those who come without having registered."""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from domain.errors import typeset_fr
from server.documents.tagged_pdf import TaggedPDF
from server.printing import FONT_DIRS, SignInRow, SignInSheet, fold_latin1

__all__ = ["SignInRow", "SignInSheet", "sign_in_sheet_pdf"]

#: Blank lines after the registered people, for those who come without a phone or a code.
BLANK_LINES = 12


class _Page(TaggedPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.title_line = title
        self.unicode = False
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("Sans", "", str(regular))
                self.add_font("Sans", "B", str(bold))
                self.unicode = True
                break
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages("{nb}")

    def t(self, text: str) -> str:
        text = typeset_fr(text)
        return text if self.unicode else fold_latin1(text)

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font("Sans" if self.unicode else "Helvetica", "B" if bold else "", size)

    def paragraph(self, text: str, size: float, *, bold: bool = False, kind: str = "P") -> None:
        """A paragraph across the page, then the next line at the left margin."""
        self.font(size, bold=bold)
        with self.tagged(kind):
            self.multi_cell(0, size * 0.5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.artifact_begin()
        self.set_y(-12)
        self.font(8)
        self.cell(0, 4, self.t(f"{self.title_line} — page {self.page_no()} / {{nb}}"), align="C")
        self.artifact_end()

    def row(self, cells: list[str], widths: list[float], *, bold: bool = False) -> None:
        self.font(10, bold=bold)
        with self.tagged("P"):  # a row read as a line: name, role, checked in
            for text, width in zip(cells, widths, strict=True):
                self.cell(width, 9, self.t(text), border=1)
        self.ln(9)


def sign_in_sheet_pdf(sheet: SignInSheet) -> bytes:
    """One table on A4 pages: name, role, « présent·e », signature; then blank lines."""
    pdf = _Page(f"Émargement — {sheet.atelier}")
    pdf.set_title(f"Feuille d’émargement — {sheet.atelier}")
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.paragraph("Feuille d’émargement", 15, bold=True, kind="H1")
    pdf.paragraph(sheet.atelier, 12, bold=True)
    pdf.paragraph(sheet.seance, 11)
    if sheet.place:
        pdf.paragraph(f"Lieu : {sheet.place}", 11)
    counted = "____" if sheet.headcount is None else str(sheet.headcount)
    pdf.paragraph(f"Nombre de personnes présentes : {counted}", 11)
    pdf.ln(3)
    widths = [70.0, 35.0, 20.0, 55.0]
    pdf.row(["Nom", "Rôle", "Pointé·e", "Signature"], widths, bold=True)
    for entry in sheet.rows:
        pdf.row([entry.name, entry.role, "oui" if entry.present else "", ""], widths)
    for _ in range(BLANK_LINES):
        pdf.row(["", "", "", ""], widths)
    return bytes(pdf.output())
