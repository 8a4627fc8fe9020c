"""A :class:`~domain.report.Report` as an OpenDocument text (ODT): what city staff open in their
office suite to edit the minutes or file a version (issue 21, #5).

The same model the PDF, Markdown and HTML are made from, so the four say the same thing; its
structure is the office suite's own — real headings (``text:h`` with their outline level, in
the « Heading 1…3 » styles, so the navigator and a screen reader find them), real lists
(``text:list``), marks as text styles, links as ``text:a`` — not formatted paragraphs that only
look like them. The document's language is French (``fr-FR``), its title in its metadata, the
atelier's image with a text alternative.

Written by hand with the standard library: an ODT is a ZIP whose first member is the
uncompressed ``mimetype``, then ``content.xml``, ``styles.xml``, ``meta.xml`` and the manifest
(OpenDocument 1.3, part 3). Every text goes through :func:`xml.sax.saxutils.escape`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

from domain.errors import typeset_fr
from domain.proposals import link_of
from domain.report import Report, typeset_blocks

__all__ = ["report_odt"]

MIMETYPE: Final = "application/vnd.oasis.opendocument.text"

_NS: Final = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'office:version="1.3"'
)

#: The marks a text style can carry, and how (a run's marks name one style: « B-I »).
_MARK_PROPERTIES: Final = {
    "bold": 'fo:font-weight="bold"',
    "italic": 'fo:font-style="italic"',
    "underline": (
        'style:text-underline-style="solid" style:text-underline-width="auto" '
        'style:text-underline-color="font-color"'
    ),
    "strike": 'style:text-line-through-style="solid"',
    "code": 'style:font-name="DejaVu Sans Mono"',
}
_MARK_LETTERS: Final = {"bold": "B", "italic": "I", "underline": "U", "strike": "S", "code": "C"}


class _Writer:
    """content.xml's body, and the text styles its runs used."""

    def __init__(self) -> None:
        self.body: list[str] = []
        self.styles: set[tuple[str, ...]] = set()

    def runs(self, runs: Iterable[Any]) -> str:
        out = []
        for text, marks in runs:
            names = tuple(sorted(m for m in marks if m in _MARK_PROPERTIES))
            span = _text(str(text))
            if names:
                self.styles.add(names)
                span = f'<text:span text:style-name="{_style_name(names)}">{span}</text:span>'
            if href := link_of(str(m) for m in marks):
                span = f'<text:a xlink:type="simple" xlink:href={quoteattr(href)}>{span}</text:a>'
            out.append(span)
        return "".join(out)

    def paragraph(self, inner: str, style: str = "Text_20_body") -> str:
        return f'<text:p text:style-name="{style}">{inner}</text:p>'

    def heading(self, text: str, level: int) -> None:
        self.body.append(
            f'<text:h text:style-name="Heading_20_{level}" text:outline-level="{level}">'
            f"{_text(typeset_fr(text))}</text:h>"
        )

    def blocks(self, blocks: Iterable[Mapping[str, Any]], heading_base: int = 2) -> str:
        out = []
        for block in blocks:
            kind = block.get("type")
            if kind in ("bullet_list", "ordered_list"):
                style = "List_Number" if kind == "ordered_list" else "List_Bullet"
                items = "".join(
                    f"<text:list-item>{self.blocks(item, heading_base)}</text:list-item>"
                    for item in block["items"]
                )
                out.append(f'<text:list text:style-name="{style}">{items}</text:list>')
            elif kind == "heading":
                level = min(6, max(1, int(block.get("level", 1))) + heading_base)
                out.append(
                    f'<text:h text:style-name="Heading_20_{min(level, 3)}" '
                    f'text:outline-level="{level}">{self.runs(block.get("runs", []))}</text:h>'
                )
            elif kind == "blockquote":
                out.append(self.paragraph(self.runs(block.get("runs", [])), "Quotations"))
            else:
                out.append(self.paragraph(self.runs(block.get("runs", []))))
        return "".join(out)


def _text(text: str) -> str:
    """Escaped text, its line breaks and tabs as ODF's own elements (runs of spaces kept)."""
    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("<text:line-break/>")
        out.append(escape(line).replace("\t", "<text:tab/>").replace("  ", " <text:s/>"))
    return "".join(out)


def _style_name(marks: tuple[str, ...]) -> str:
    return "T-" + "".join(_MARK_LETTERS[m] for m in marks)


def _content(report: Report, image: tuple[bytes, str] | None) -> tuple[str, set[tuple[str, ...]]]:
    w = _Writer()
    if image is not None:
        w.body.append(
            '<text:p text:style-name="Text_20_body"><draw:frame draw:name="logo" '
            'text:anchor-type="as-char" svg:width="4cm" svg:height="2cm">'
            f'<draw:image xlink:href="Pictures/logo.{image[1]}" xlink:type="simple" '
            'xlink:show="embed" xlink:actuate="onLoad"/>'
            "<svg:title>Logo de l’atelier</svg:title></draw:frame></text:p>"
        )
    w.body.append(
        f'<text:h text:style-name="Heading_20_1" text:outline-level="1">'
        f"{_text(typeset_fr(report.title))}</text:h>"
    )
    for line in report.lead:
        w.body.append(w.paragraph(_text(typeset_fr(line))))
    for label, value in report.facts:
        w.styles.add(("bold",))
        w.body.append(
            w.paragraph(
                f'<text:span text:style-name="T-B">{_text(typeset_fr(label))} :</text:span> '
                f"{_text(typeset_fr(value))}"
            )
        )
    for part in report.parts:
        w.heading(part.heading, min(3, part.level + 1))
        w.body.append(w.blocks(typeset_blocks(part.blocks), heading_base=part.level + 1))
    for line in report.closing:
        w.body.append(w.paragraph(_text(typeset_fr(line)), "Closing"))
    return "".join(w.body), w.styles


def _automatic_styles(used: set[tuple[str, ...]]) -> str:
    styles = []
    for marks in sorted(used):
        properties = " ".join(_MARK_PROPERTIES[m] for m in marks)
        styles.append(
            f'<style:style style:name="{_style_name(marks)}" style:family="text">'
            f"<style:text-properties {properties}/></style:style>"
        )
    return "".join(styles)


def _list_style(name: str, numbered: bool) -> str:
    levels = []
    for level in range(1, 11):
        indent = f"{0.635 * level:.3f}cm"
        placement = (
            "<style:list-level-properties text:list-level-position-and-space-mode="
            '"label-alignment"><style:list-level-label-alignment text:label-followed-by='
            f'"listtab" text:list-tab-stop-position="{indent}" fo:text-indent="-0.635cm" '
            f'fo:margin-left="{indent}"/></style:list-level-properties>'
        )
        if numbered:
            levels.append(
                f'<text:list-level-style-number text:level="{level}" style:num-suffix="." '
                f'style:num-format="1">{placement}</text:list-level-style-number>'
            )
        else:
            levels.append(
                f'<text:list-level-style-bullet text:level="{level}" text:bullet-char="•">'
                f"{placement}</text:list-level-style-bullet>"
            )
    return f'<text:list-style style:name="{name}">{"".join(levels)}</text:list-style>'


def _styles(footer: str) -> str:
    def paragraph(name: str, display: str, parent: str, props: str, text: str = "") -> str:
        return (
            f'<style:style style:name="{name}" style:display-name="{display}" '
            f'style:family="paragraph" style:parent-style-name="{parent}">'
            f"<style:paragraph-properties {props}/>"
            f"<style:text-properties {text}/></style:style>"
        )

    headings = "".join(
        f'<style:style style:name="Heading_20_{n}" style:display-name="Heading {n}" '
        f'style:family="paragraph" style:parent-style-name="Heading" '
        f'style:next-style-name="Text_20_body" style:default-outline-level="{n}">'
        f'<style:text-properties fo:font-size="{size}pt" fo:font-weight="bold"/></style:style>'
        for n, size in ((1, 18), (2, 14), (3, 12))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-styles {_NS}>"
        '<office:font-face-decls xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0">'
        '<style:font-face style:name="DejaVu Sans" svg:font-family="\'DejaVu Sans\'"/>'
        '<style:font-face style:name="DejaVu Sans Mono" svg:font-family="\'DejaVu Sans Mono\'"/>'
        "</office:font-face-decls>"
        "<office:styles>"
        '<style:default-style style:family="paragraph"><style:text-properties '
        'style:font-name="DejaVu Sans" fo:font-size="11pt" fo:language="fr" fo:country="FR"/>'
        "</style:default-style>"
        '<style:style style:name="Standard" style:family="paragraph" style:class="text"/>'
        + paragraph(
            "Text_20_body",
            "Text body",
            "Standard",
            'fo:margin-bottom="0.2cm" fo:line-height="130%"',
        )
        + paragraph(
            "Heading",
            "Heading",
            "Standard",
            'fo:margin-top="0.45cm" fo:margin-bottom="0.2cm" fo:keep-with-next="always"',
        )
        + headings
        + paragraph(
            "Quotations",
            "Quotations",
            "Text_20_body",
            'fo:margin-left="1cm"',
            'fo:font-style="italic"',
        )
        + paragraph(
            "Closing", "Closing", "Text_20_body", 'fo:margin-top="0.4cm"', 'fo:font-size="9pt"'
        )
        + paragraph("Footer", "Footer", "Standard", 'fo:text-align="center"', 'fo:font-size="8pt"')
        + _list_style("List_Bullet", numbered=False)
        + _list_style("List_Number", numbered=True)
        + "</office:styles>"
        "<office:automatic-styles>"
        '<style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="21cm" '
        'fo:page-height="29.7cm" fo:margin-top="2cm" fo:margin-bottom="1.5cm" '
        'fo:margin-left="2cm" fo:margin-right="2cm"/></style:page-layout>'
        "</office:automatic-styles>"
        '<office:master-styles><style:master-page style:name="Standard" '
        'style:page-layout-name="A4"><style:footer>'
        f'<text:p text:style-name="Footer">{_text(footer)}</text:p>'
        "</style:footer></style:master-page></office:master-styles>"
        "</office:document-styles>"
    )


def _meta(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-meta {_NS}><office:meta>"
        f"<dc:title>{escape(title)}</dc:title><dc:language>fr-FR</dc:language>"
        "<meta:generator>Atelier</meta:generator>"
        "</office:meta></office:document-meta>"
    )


def _manifest(image: tuple[bytes, str] | None) -> str:
    entries = [
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
        f'manifest:media-type="{MIMETYPE}"/>',
        *(
            f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
            for name in ("content.xml", "styles.xml", "meta.xml")
        ),
    ]
    if image is not None:
        entries.append(
            f'<manifest:file-entry manifest:full-path="Pictures/logo.{image[1]}" '
            f'manifest:media-type="image/{image[1]}"/>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        f'manifest:version="1.3">{"".join(entries)}</manifest:manifest>'
    )


def _image_kind(data: bytes | None) -> tuple[bytes, str] | None:
    """The image and its extension, for the formats the server stores (re-encoded PNG/JPEG)."""
    if not data:
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data, "png"
    if data.startswith(b"\xff\xd8\xff"):
        return data, "jpeg"
    return None


def report_odt(report: Report, *, image: bytes | None = None) -> bytes:
    """The report as an ODT file (bytes), with the atelier's image when it is a PNG or JPEG."""
    picture = _image_kind(image)
    body, used = _content(report, picture)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-content {_NS}>"
        f"<office:automatic-styles>{_automatic_styles(used)}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as odt:
        # The mimetype first and stored, so that a reader knows the file by its first bytes.
        odt.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        odt.writestr("content.xml", content)
        odt.writestr("styles.xml", _styles(report.footer))
        odt.writestr("meta.xml", _meta(report.title))
        if picture is not None:
            odt.writestr(f"Pictures/logo.{picture[1]}", picture[0])
        odt.writestr("META-INF/manifest.xml", _manifest(picture))
    return out.getvalue()
