"""How a proposal lives in a Y document, and how it is read back as text.

One ``Y.XmlFragment`` per template section, named by the section's key; inside it, ProseMirror
nodes as Tiptap's collaboration extension writes them (``paragraph`` elements holding text).
The browser binds each section's editor to ``ydoc.getXmlFragment(key)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

__all__ = ["initial_update", "section_blocks", "section_texts"]


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


_BLOCK_TYPES = {
    "paragraph": "paragraph",
    "heading": "heading",
    "blockquote": "blockquote",
    "codeBlock": "paragraph",
}
_LIST_TYPES = {"bulletList": "bullet_list", "orderedList": "ordered_list"}


def _runs(node: Any) -> list[list[Any]]:
    runs: list[list[Any]] = []
    for child in node.children:
        if isinstance(child, XmlText):
            for text, attrs in child.diff():
                if isinstance(text, str) and text:
                    runs.append([text, sorted(attrs or {})])
        elif child.tag == "hardBreak":
            runs.append(["\n", []])
        else:
            runs.extend(_runs(child))
    return runs


def _blocks(nodes: Iterable[Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for node in nodes:
        if isinstance(node, XmlText):  # text straight under the fragment: a paragraph
            blocks.append({"type": "paragraph", "runs": [[str(node), []]]})
        elif node.tag in _LIST_TYPES:
            items = [
                _blocks(item.children) for item in node.children if not isinstance(item, XmlText)
            ]
            blocks.append({"type": _LIST_TYPES[node.tag], "items": items})
        elif node.tag == "blockquote" and any(not isinstance(c, XmlText) for c in node.children):
            blocks.extend(
                {**b, "type": "blockquote"} for b in _blocks(node.children) if "runs" in b
            )
        else:
            block: dict[str, Any] = {"type": _BLOCK_TYPES.get(node.tag, "paragraph")}
            if node.tag == "heading":
                try:
                    block["level"] = int(dict(node.attributes).get("level", 1))
                except (TypeError, ValueError):
                    block["level"] = 1
            block["runs"] = _runs(node)
            blocks.append(block)
    return blocks


def section_blocks(doc: Doc[Any], keys: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each section's content as plain JSON blocks (see ``domain.proposals``): paragraphs,
    headings, quotes and lists, their text in runs with mark names."""
    return {key: _blocks(doc.get(key, type=XmlFragment).children) for key in keys}
