"""The feuille d'émargement: who is expected at a séance, by role, with room to sign, and blank
lines for those who come without having registered."""

from __future__ import annotations

from fpdf.enums import MethodReturnValue, XPos, YPos

from domain.errors import typeset_fr
from server.documents.tagged_pdf import TaggedPDF
from server.printing import FONT_DIRS, SignInRow, SignInSheet, fold_latin1

__all__ = ["SignInRow", "SignInSheet", "sign_in_sheet_pdf"]

#: Blank lines after the registered people, for those who come without a phone or a code.
BLANK_LINES = 12
#: A row's height (room to sign) and a line's within a cell that wraps, in mm.
ROW = 9.0
LINE = 5.0


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

    def lines(self, text: str, width: float) -> int:
        """How many lines ``text`` takes in a column ``width`` wide, in the current font."""
        found = self.multi_cell(width, LINE, text, dry_run=True, output=MethodReturnValue.LINES)
        assert isinstance(found, list)  # what output=LINES returns
        return max(1, len(found))

    def row(self, cells: list[str], widths: list[float], *, bold: bool = False) -> None:
        """One line of the table; a cell too long for its column (a name may have 80
        characters) wraps inside it and the row grows, where it ran over the next column."""
        self.font(10, bold=bold)
        texts = [self.t(text) for text in cells]
        lines = [self.lines(text, width) for text, width in zip(texts, widths, strict=True)]
        height = max(ROW, max(lines) * LINE + 3)
        if self.will_page_break(height):
            self.add_page()
        x, y = self.l_margin, self.get_y()
        with self.tagged("P"):  # a row read as a line: name, role, checked in
            for text, width, count in zip(texts, widths, lines, strict=True):
                self.rect(x, y, width, height)
                self.set_xy(x, y + (height - count * LINE) / 2)
                self.multi_cell(width, LINE, text)  # its cell margin keeps it off the border
                x += width
        self.set_xy(self.l_margin, y + height)


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
