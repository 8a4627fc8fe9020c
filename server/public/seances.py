"""A séance as anyone may read it (the public pages, the calendar feeds).

Apart from :mod:`server.public.data`, which reads it from the database: a calendar feed is built
in a render worker (:func:`server.documents.jobs.calendar_feed`), which unpickles these, and
which must not import SQLAlchemy, the models and Litestar to do so (a worker's start would take
five times as long, and its memory with it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.sessions import Session

__all__ = ["PublicSeance"]


@dataclass(frozen=True)
class PublicSeance:
    """A séance as anyone may read it: when, where, what for. No code, no link, no names."""

    id: str
    atelier_id: str
    atelier_title: str
    number: int
    session: Session
    created_at: dt.datetime
    updated_at: dt.datetime
    #: How many times the séance was edited (``SEQUENCE`` in a calendar).
    revision: int = 0
