"""A :class:`~domain.report.Report` as an A4 PDF: a frozen version, or a séance's compte-rendu.

Pure: a report (and the atelier's image) in, bytes out. Paragraphs, headings, quotes and lists
come from the blocks as they were frozen, with bold, italic and underline; every page's footer
carries the report's footer line (a version's SHA-256) and « Page n / N ». French typography
(non-breaking spaces before : ; ? ! and inside « ») is applied as in the Markdown and HTML.
DejaVu Sans when the system has it, as for invitations; otherwise Helvetica with the text folded
to Latin-1 (see ``server.printing``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from domain.errors import typeset_fr
from domain.proposals import link_of
from domain.report import Report, typeset_blocks
from server.documents.tagged_pdf import TaggedPDF
from server.printing import FONT_DIRS, fold_latin1

__all__ = ["report_pdf"]

_MARGIN = 20.0
_INDENT = 6.0  # a list level
_BODY = 10.5  # points
_MM_PER_PT = 0.3528


class _Printer(TaggedPDF):
    """A4 pages whose content is tagged (a structure tree: headings, paragraphs, list items, the
    figure with its text alternative; the page furniture as artifacts), so a screen reader
    reads it in order with its headings, as RGAA asks of a public body's documents."""

    def __init__(self, footer_line: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_line = footer_line
        self.unicode = self._load_unicode_font()
        self.set_margins(_MARGIN, 18, _MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages("{nb}")

    def _load_unicode_font(self) -> bool:
        names = {"": "", "B": "-Bold", "I": "-Oblique", "BI": "-BoldOblique"}
        for folder in FONT_DIRS:
            files = {style: folder / f"DejaVuSans{suffix}.ttf" for style, suffix in names.items()}
            if all(path.exists() for path in files.values()):
                for style, path in files.items():
                    self.add_font("Sans", style, str(path))
                return True
        return False

    # --- text -------------------------------------------------------------------------------

    def t(self, value: str) -> str:
        value = typeset_fr(value)
        return value if self.unicode else fold_latin1(value)

    def style(self, size: float, marks: Iterable[str] = ()) -> None:
        marks = set(marks)
        style = ("B" if "bold" in marks else "") + ("I" if "italic" in marks else "")
        style += "U" if "underline" in marks else ""
        self.set_font("Sans" if self.unicode else "Helvetica", style, size)

    @staticmethod
    def line_height(size: float) -> float:
        return size * _MM_PER_PT * 1.4

    def runs(self, runs: Iterable[Any], size: float, marks: Iterable[str] = ()) -> None:
        """Text that flows and wraps from the current position, one font style per run."""
        height = self.line_height(size)
        for text, run_marks in runs:
            href = link_of(str(m) for m in run_marks)
            self.style(size, [*marks, *run_marks, *(["underline"] if href else [])])
            self.write(height, self.t(str(text)), link=href or "")
        self.ln(height)

    def heading(self, text: str, size: float, *, before: float, after: float, kind: str) -> None:
        if self.get_y() > self.h - 45:  # never a heading alone at the foot of a page
            self.add_page()
        self.ln(before)
        self.style(size, ["bold"])
        with self.tagged(kind):
            self.multi_cell(0, self.line_height(size), self.t(text), align="L")
        self.ln(after)

    # --- blocks -----------------------------------------------------------------------------

    def blocks(self, blocks: Iterable[Mapping[str, Any]], indent: float = 0.0) -> None:
        for block in blocks:
            kind = block.get("type")
            if kind in ("bullet_list", "ordered_list"):
                self.items(block, indent)
            elif kind == "heading":
                level = int(block.get("level", 1))
                size = max(_BODY + 0.5, 14 - 1.5 * level)
                self.ln(1.5)
                with self.tagged(f"H{min(6, level + 2)}"):  # under the parts' H2
                    self.runs(block.get("runs", []), size, ["bold"])
                self.ln(1)
            elif kind == "blockquote":
                left = self.l_margin
                self.set_left_margin(left + _INDENT)
                self.set_x(left + _INDENT)
                with self.tagged("BlockQuote"):
                    self.runs(block.get("runs", []), _BODY, ["italic"])
                self.set_left_margin(left)
                self.ln(1.5)
            else:
                with self.tagged("P"):
                    self.runs(block.get("runs", []), _BODY)
                self.ln(1.5)

    def items(self, block: Mapping[str, Any], indent: float) -> None:
        left = self.l_margin
        ordered = block.get("type") == "ordered_list"
        width = 7.0 if ordered else 5.0
        for number, item in enumerate(block.get("items", []), start=1):
            marker = f"{number}." if ordered else ("•" if self.unicode else "-")
            self.set_left_margin(left)
            self.set_x(left)
            self.style(_BODY)
            with self.tagged("Lbl"):  # the item's label, then its blocks (paragraphs…)
                self.cell(width, self.line_height(_BODY), marker)
            # Wrapped lines and the item's later blocks hang under the text, not the marker.
            self.set_left_margin(left + width)
            if item:
                self.blocks(item, indent + width)
            else:
                self.ln(self.line_height(_BODY) + 1.5)
        self.set_left_margin(left)
        self.set_x(left)

    # --- page furniture -----------------------------------------------------------------------

    def rule(self) -> None:
        """A grey line across the page: decoration, an artifact."""
        self.set_draw_color(160, 160, 160)
        self.artifact_begin()
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.artifact_end()

    def footer(self) -> None:
        self.artifact_begin()  # repeated on every page: not part of the reading order
        self.set_y(-16)
        self.set_text_color(90, 90, 90)
        self.style(7)
        if self.footer_line:
            self.multi_cell(0, 3.2, self.t(self.footer_line), align="C")
        self.style(8)
        self.cell(0, 4, f"Page {self.page_no()} / {{nb}}", align="C")
        self.set_text_color(0, 0, 0)
        self.artifact_end()


def report_pdf(report: Report, *, image: bytes | None = None) -> bytes:
    """The report on A4 pages: the image (PNG or JPEG) on top when there is one, the title,
    lead lines and facts, every part, then the closing lines (fingerprints)."""
    pdf = _Printer(report.footer)
    pdf.set_title(typeset_fr(report.title))
    pdf.set_lang("fr")
    pdf.set_creator("Atelier")
    pdf.add_page()
    if image:
        pdf.image(io.BytesIO(image), x=pdf.w / 2 - 20, w=40, alt_text="Logo de l’atelier")
        pdf.ln(4)
    pdf.style(17, ["bold"])
    with pdf.tagged("H1"):
        pdf.multi_cell(0, pdf.line_height(17), pdf.t(report.title), align="L")
    pdf.ln(2)
    for line in report.lead:
        with pdf.tagged("P"):
            pdf.runs([[line, []]], 9.5, ["italic"])
    pdf.ln(2)
    for label, value in report.facts:
        with pdf.tagged("P"):
            pdf.runs([[label, ["bold"]], [f" : {value}", []]], _BODY)
        pdf.ln(1)
    for part in report.parts:
        if part.level == 1:
            pdf.heading(part.heading, 13.5, before=5, after=2, kind="H2")
        else:
            pdf.heading(part.heading, 11.5, before=2.5, after=1.5, kind="H3")
        pdf.blocks(typeset_blocks(part.blocks))
    if report.closing:
        pdf.ln(6)
        pdf.rule()
        pdf.ln(3)
        for line in report.closing:
            with pdf.tagged("P"):
                pdf.runs([[line, []]], 8.5)
            pdf.ln(1)
    return bytes(pdf.output())
