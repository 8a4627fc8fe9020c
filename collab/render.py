"""How a proposal lives in a Y document, and how it is read back as text.

One ``Y.XmlFragment`` per template section, named by the section's key; inside it, ProseMirror
nodes as Tiptap's collaboration extension writes them (``paragraph`` elements holding text).
The browser binds each section's editor to ``ydoc.getXmlFragment(key)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

__all__ = ["initial_update", "section_texts"]


def _paragraphs(text: str) -> list[str]:
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def initial_update(sections: Mapping[str, str], client_id: int = 1) -> bytes:
    """One update that fills each section with its text, a paragraph per blank-line block.

    Applied once, when a document is created, so that reloading can never duplicate it.
    """
    doc: Doc[Any] = Doc(client_id=client_id)
    with doc.transaction():
        for key, text in sections.items():
            fragment = doc.get(key, type=XmlFragment)
            for block in _paragraphs(text):
                paragraph = XmlElement("paragraph")
                fragment.children.append(paragraph)
                paragraph.children.append(XmlText(block))
    return doc.get_update()


def _text_of(node: Any) -> str:
    if isinstance(node, XmlText):
        return str(node)
    return "".join(_text_of(child) for child in node.children)


def section_texts(doc: Doc[Any], keys: Iterable[str]) -> dict[str, str]:
    """The plain text of each section (paragraphs separated by blank lines)."""
    texts: dict[str, str] = {}
    for key in keys:
        fragment = doc.get(key, type=XmlFragment)
        blocks = [_text_of(child) for child in fragment.children]
        texts[key] = "\n\n".join(b for b in blocks if b)
    return texts
