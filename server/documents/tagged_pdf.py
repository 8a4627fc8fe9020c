"""An FPDF whose content is tagged, so a screen reader reads a PDF in order (RGAA asks it of a
public body's documents): the base of every PDF Atelier prints. Imported by render workers only
(``server.documents.jobs``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fpdf import FPDF

__all__ = ["TaggedPDF"]


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
