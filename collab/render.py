"""How a proposal lives in a Y document, and how it is read back as text.

One ``Y.XmlFragment`` per template section, named by the section's key; inside it, ProseMirror
nodes as Tiptap's collaboration extension writes them (``paragraph`` elements holding text).
The browser binds each section's editor to ``ydoc.getXmlFragment(key)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from domain.proposals import bound_depth

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
    """Every text under ``node``, in reading order (iterative: a writer can nest elements
    without end, deeper than Python recurses)."""
    parts: list[str] = []
    stack: list[Iterator[Any]] = [iter([node])]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, XmlText):
            parts.append(str(child))
        else:
            stack.append(iter(child.children))
    return "".join(parts)


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


def _marks(attrs: Mapping[str, Any]) -> list[str]:
    """A run's mark names, sorted; a link keeps its address as ``link:<href>`` (the editor
    writes it as the mark's ``href`` attribute), a link without one is a plain ``link``."""
    marks = []
    for name, value in attrs.items():
        href = value.get("href") if name == "link" and isinstance(value, Mapping) else None
        marks.append(f"link:{href}" if isinstance(href, str) and href else name)
    return sorted(marks)


def _runs(node: Any) -> list[list[Any]]:
    """The text of a textblock, in runs with their mark names; inline elements (a mention, a
    link) give their text, however deep they nest."""
    runs: list[list[Any]] = []
    stack: list[Iterator[Any]] = [iter(node.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, XmlText):
            for text, attrs in child.diff():
                if isinstance(text, str) and text:
                    runs.append([text, _marks(attrs or {})])
        elif child.tag == "hardBreak":
            runs.append(["\n", []])
        else:
            stack.append(iter(child.children))
    return runs


def _textblock(node: Any) -> dict[str, Any]:
    block: dict[str, Any] = {"type": _BLOCK_TYPES.get(node.tag, "paragraph")}
    if node.tag == "heading":
        try:
            block["level"] = int(dict(node.attributes).get("level", 1))
        except (TypeError, ValueError):
            block["level"] = 1
    block["runs"] = _runs(node)
    return block


def _blocks(nodes: Iterable[Any]) -> list[dict[str, Any]]:
    """The blocks of a fragment, read without recursion, as deep as the document nests: a list
    gives a list block whose items hold blocks; a quote holding elements gives its textblocks
    as quotes, and its lists as lists (nothing inside it is dropped). Depth is bounded after
    (:func:`domain.proposals.bound_depth`)."""
    out: list[dict[str, Any]] = []
    # Each frame: the nodes still to read, where their blocks go, and what holds them.
    stack: list[tuple[Iterator[Any], list[Any], str]] = [(iter(nodes), out, "flow")]
    while stack:
        children, target, holder = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
        elif holder == "list":  # an item (text straight under a list is an item too)
            item: list[dict[str, Any]] = []
            target.append(item)
            if isinstance(node, XmlText):
                item.append({"type": "paragraph", "runs": [[str(node), []]]})
            else:
                stack.append((iter(node.children), item, "flow"))
        elif isinstance(node, XmlText):  # text straight under the fragment: a paragraph
            kind = "blockquote" if holder == "quote" else "paragraph"
            target.append({"type": kind, "runs": [[str(node), []]]})
        elif node.tag in _LIST_TYPES:
            block: dict[str, Any] = {"type": _LIST_TYPES[node.tag], "items": []}
            target.append(block)
            stack.append((iter(node.children), block["items"], "list"))
        elif node.tag == "blockquote" and any(not isinstance(c, XmlText) for c in node.children):
            stack.append((iter(node.children), target, "quote"))
        else:
            textblock = _textblock(node)
            if holder == "quote":
                textblock["type"] = "blockquote"
            target.append(textblock)
    return out


def section_blocks(doc: Doc[Any], keys: Iterable[str]) -> dict[str, list[Mapping[str, Any]]]:
    """Each section's content as plain JSON blocks (see ``domain.proposals``): paragraphs,
    headings, quotes and lists, their text in runs with mark names; lists nested at most
    :data:`domain.proposals.MAX_LIST_DEPTH` deep, the items of deeper ones read as items of the
    deepest (all the text is kept)."""
    return {key: bound_depth(_blocks(doc.get(key, type=XmlFragment).children)) for key in keys}
