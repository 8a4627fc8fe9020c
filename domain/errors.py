"""Why a domain rule refuses something, in one small exception tree.

Every refusal is a :class:`DomainError` carrying:

* ``code``: a short, stable machine code (``forbidden``, ``invalid_transition``,
  ``charter_not_accepted``…). Clients and tests match on it; wordings may change, codes do not.
* ``message_fr``: what participants read, in French, typeset with non-breaking spaces
  (see :func:`typeset_fr`);
* ``message_en``: the same in English; ``str(error)`` is ``"<code>: <message_en>"`` for logs;
* ``field``: the input field at fault, when there is one.

The subclass says what kind of refusal it is, which the HTTP layer maps to a status:

==========================  ===================================================  ======
:class:`Forbidden`          the role or the credentials do not allow it          403
:class:`InvalidTransition`  the thing is not in a state where this can happen    409
:class:`Conflict`           it clashes with what already happened (used, twice)  409
:class:`InvalidInput`       a value is malformed or out of bounds                422
==========================  ===================================================  ======

The text checks every module applies to what people type (titles, names, places) live here too,
so that each wording exists once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

__all__ = [
    "ID_PATTERN",
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "InvalidTransition",
    "check_aware",
    "check_id",
    "check_line",
    "check_text",
    "normalize_line",
    "normalize_text",
    "refused_character",
    "typeset_fr",
]

# French typography: a (narrow) non-breaking space before : ; ? ! and inside « », so that a
# line never starts with a lone colon or guillemet.
_NBSP = "\u00a0"
_NNBSP = "\u202f"
_BEFORE_PUNCT = re.compile(r" ([:;?!»])")
_AFTER_GUILLEMET = re.compile(r"« ")


def typeset_fr(text: str) -> str:
    """``text`` with the spaces around : ; ? ! « » made non-breaking (idempotent)."""
    text = _BEFORE_PUNCT.sub(lambda m: (_NBSP if m.group(1) in ":»" else _NNBSP) + m.group(1), text)
    return _AFTER_GUILLEMET.sub("«" + _NBSP, text)


class DomainError(Exception):
    """A refusal: stable ``code``, French ``message_fr``, English ``message_en``, ``field``."""

    def __init__(
        self, code: str, message_fr: str, message_en: str, *, field: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_fr = typeset_fr(message_fr)
        self.message_en = message_en
        self.field = field  # the input at fault, when there is one

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r})"


class Forbidden(DomainError):
    """The actor's role, or the credentials they present, do not allow this."""


class InvalidTransition(DomainError):
    """The atelier, séance or participant is not in a state where this can happen."""


class Conflict(DomainError):
    """This clashes with what already happened: an invitation used, a check-in made twice."""


class InvalidInput(DomainError):
    """A value is malformed or out of bounds; ``field`` names it."""


# --- text people type ------------------------------------------------------------------------

# Refused everywhere: C0/C1 controls (except tab and newline in multi-line text), surrogates,
# line/paragraph separators, and the bidi embeddings, overrides and isolates, which can make a
# name display as something else (after U+202E, text shows reversed). Left/right marks stay
# allowed: mixed Arabic/Hebrew and Latin text needs them.
# The same set as one character class: Cc is U+0000–U+001F and U+007F–U+009F, Cs the
# surrogates, Zl U+2028 and Zp U+2029 alone; then the bidi controls.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_MULTILINE_ALLOWED = "\n\t"
_SPACES = re.compile(r" {2,}")


def normalize_line(text: str) -> str:
    """One line as people meant it: NFC, trimmed, runs of spaces collapsed to one.

    Control characters are left in place so that :func:`check_line` refuses them rather than
    silently dropping part of what was typed.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).strip())


def normalize_text(text: str) -> str:
    """Multi-line text: NFC, ``\\r\\n`` and ``\\r`` made ``\\n``, trimmed at both ends."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def refused_character(text: str, *, allowed: str = _MULTILINE_ALLOWED) -> str | None:
    """The first character of ``text`` refused in what people type (a control, a separator, a
    bidi embedding, override or isolate), those in ``allowed`` excepted; None if there is none.
    """
    for match in _REFUSED.finditer(text):
        if match.group() not in allowed:
            return match.group()
    return None


def _bad_character(text: str, *, multiline: bool) -> str | None:
    return refused_character(text, allowed=_MULTILINE_ALLOWED if multiline else "")


def check_text(
    value: str,
    *,
    field: str,
    label_fr: str,
    label_en: str,
    max_length: int,
    min_length: int = 0,
    multiline: bool = True,
) -> None:
    """Refuse ``value`` (:class:`InvalidInput`, ``field``) if out of length or with controls.

    Codes: ``too_short`` / ``too_long`` (``empty`` when at least one character is needed and
    there is none), ``control_character``; single-line text must also be trimmed
    (``not_normalized``: call :func:`normalize_line` first).
    """
    if min_length > 0 and not value:
        raise InvalidInput(
            "empty",
            f"{_capitalize(label_fr)} est obligatoire.",
            f"The {label_en} is required.",
            field=field,
        )
    if len(value) < min_length:
        raise InvalidInput(
            "too_short",
            f"{_capitalize(label_fr)} doit compter au moins {min_length} caractères.",
            f"The {label_en} must be at least {min_length} characters long.",
            field=field,
        )
    if len(value) > max_length:
        raise InvalidInput(
            "too_long",
            f"{_capitalize(label_fr)} doit compter au plus {max_length} caractères "
            f"({len(value)} saisis).",
            f"The {label_en} must be at most {max_length} characters long ({len(value)} given).",
            field=field,
        )
    bad = _bad_character(value, multiline=multiline)
    if bad is not None:
        raise InvalidInput(
            "control_character",
            f"{_capitalize(label_fr)} contient un caractère invisible ou de contrôle "
            f"(U+{ord(bad):04X}) : retirez-le.",
            f"The {label_en} contains an invisible or control character (U+{ord(bad):04X}).",
            field=field,
        )
    if not multiline and value != value.strip():
        raise InvalidInput(
            "not_normalized",
            f"{_capitalize(label_fr)} commence ou finit par une espace.",
            f"The {label_en} starts or ends with a space.",
            field=field,
        )


def check_line(
    value: str, *, field: str, label_fr: str, label_en: str, max_length: int, min_length: int = 1
) -> None:
    """:func:`check_text` for one required line (a title, a name, a place)."""
    check_text(
        value,
        field=field,
        label_fr=label_fr,
        label_en=label_en,
        max_length=max_length,
        min_length=min_length,
        multiline=False,
    )


def _capitalize(label: str) -> str:
    return label[:1].upper() + label[1:]


def check_aware(value: datetime, field: str) -> None:
    """Refuse a naive datetime (``InvalidInput`` ``naive_datetime``).

    Rules compare instants given by different callers; a naive time has no instant, and
    comparing it with an aware one would fail later, further from the mistake.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            "naive_datetime",
            "Heure sans fuseau horaire.",
            "A time without a time zone was given.",
            field=field,
        )


#: Ids are chosen by the server (or fixed, for the demo): short, URL- and log-safe.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_id(value: str, field: str = "id") -> None:
    """Refuse an id that does not match :data:`ID_PATTERN` (``InvalidInput`` ``invalid_id``)."""
    if not ID_PATTERN.fullmatch(value):
        raise InvalidInput(
            "invalid_id",
            f"Identifiant invalide : « {value} ».",
            f"Invalid identifier: “{value}”.",
            field=field,
        )
