"""Joining an atelier: séance join codes, invitation codes for the invited roles, and the rule.

Codes are read aloud in a room, copied from a projected slide or a flyer, and typed on phones.
They use :data:`ALPHABET`, 21 characters chosen so that no two look alike:

* left out in pairs, because each member is read as the other: ``0``/``O``, ``1``/``I``/``L``,
  ``5``/``S``, ``2``/``Z``, ``8``/``B``;
* also left out: ``G`` (read as ``6`` or ``C``), ``Q`` (read as ``O``), ``U`` and ``V`` (one
  another, when written by hand on a board).

What is left: ``3 4 6 7 9 A C D E F H J K M N P R T W X Y``.

A séance's **join code** has 8 characters (21⁸ ≈ 3.8·10¹⁰, about 35 bits; the server also limits
attempts), shown in two groups of four: ``ACDE-F347``. An **invitation code** has 12 (about 53
bits: it grants powers), shown ``ACDE-F347-KMNP``. Codes are stored and compared in their
canonical form: upper case, no separators.

Reading what people type (:func:`normalize_join_code`): case does not matter; spaces and dashes
of any kind (phones turn ``-`` into ``–``) are ignored; full-width characters are folded. A
character that codes never contain is refused with a message naming it, rather than mapped to a
guess: since both members of each look-alike pair are left out, an ``O`` cannot be told to mean
any particular character of the alphabet, and a wrong guess would silently send someone to a
"code not found".
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta
from typing import Final

import msgspec

from domain.ateliers import Atelier, AtelierStatus
from domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    check_aware,
    check_id,
)
from domain.roles import INVITED_ROLES, OPEN_ROLES, Role, parse_role
from domain.sessions import Participant, Session, normalize_display_name

__all__ = [
    "ALPHABET",
    "INVITATION_CODE_LENGTH",
    "INVITATION_ROLES",
    "JOIN_CODE_LENGTH",
    "Admission",
    "Invitation",
    "accept_charter",
    "format_code",
    "generate_invitation_code",
    "generate_join_code",
    "is_valid_invitation_code",
    "is_valid_join_code",
    "issue_invitation",
    "join",
    "normalize_invitation_code",
    "normalize_join_code",
    "redeem_invitation",
]

ALPHABET: Final = "34679ACDEFHJKMNPRTWXY"
JOIN_CODE_LENGTH: Final = 8
INVITATION_CODE_LENGTH: Final = 12
GROUP: Final = 4  # characters per group when shown: short enough to hold in mind while typing

# Each character codes never contain, with why (shown to whoever typed it).
_LOOKALIKES: Final = {
    **dict.fromkeys("0O", ("0 et O se confondent", "0 and O look alike")),
    **dict.fromkeys("1IL", ("1, I et L se confondent", "1, I and L look alike")),
    **dict.fromkeys("5S", ("5 et S se confondent", "5 and S look alike")),
    **dict.fromkeys("2Z", ("2 et Z se confondent", "2 and Z look alike")),
    **dict.fromkeys("8B", ("8 et B se confondent", "8 and B look alike")),
    "G": ("G se confond avec 6 et C", "G looks like 6 and C"),
    "Q": ("Q se confond avec O", "Q looks like O"),
    **dict.fromkeys("UV", ("U et V se confondent", "U and V look alike")),
}
# Hyphen, non-breaking hyphen, figure dash, en and em dashes, horizontal bar, minus sign.
_DASHES: Final = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")

#: Roles an invitation can be for: the invited roles, and observers (a journalist, a visiting
#: official), who could join without one but may be invited by name. Never habitant·e.
INVITATION_ROLES: Final = INVITED_ROLES | {Role.OBSERVATEUR}
INVITATION_VALIDITY_MAX: Final = timedelta(days=90)
INVITATION_VALIDITY_DEFAULT: Final = timedelta(days=14)


# --- codes -----------------------------------------------------------------------------------


def _generate(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def generate_join_code(rng: random.Random) -> str:
    """A new séance join code, canonical (8 characters of :data:`ALPHABET`).

    ``rng`` is the randomness: the server passes ``secrets.SystemRandom()``, tests a seeded
    ``random.Random``. Uniqueness among live séances is the server's to check.
    """
    return _generate(rng, JOIN_CODE_LENGTH)


def generate_invitation_code(rng: random.Random) -> str:
    """A new invitation code, canonical (12 characters of :data:`ALPHABET`)."""
    return _generate(rng, INVITATION_CODE_LENGTH)


def format_code(code: str) -> str:
    """A canonical code as shown and read aloud: groups of four joined by ``-``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _normalize(text: str, length: int, what_fr: str, what_en: str) -> str:
    chars = [
        c
        for c in unicodedata.normalize("NFKC", text).upper()
        if not c.isspace() and c not in _DASHES
    ]
    for char in chars:
        if char in ALPHABET:
            continue
        if char in _LOOKALIKES:
            why_fr, why_en = _LOOKALIKES[char]
            raise InvalidInput(
                "ambiguous_character",
                f"Les codes ne contiennent jamais « {char} » ({why_fr}) : vérifiez ce caractère.",
                f"Codes never contain “{char}” ({why_en}): please check that character.",
                field="code",
            )
        raise InvalidInput(
            "invalid_character",
            f"« {char} » ne peut pas figurer dans un code : vérifiez le code.",
            f"“{char}” cannot appear in a code: please check the code.",
            field="code",
        )
    if len(chars) != length:
        example = format_code(ALPHABET[:length] if length <= len(ALPHABET) else ALPHABET)
        raise InvalidInput(
            "wrong_length",
            f"Un {what_fr} compte {length} caractères (par exemple {example}), "
            f"et non {len(chars)}.",
            f"A {what_en} has {length} characters (for example {example}), not {len(chars)}.",
            field="code",
        )
    return "".join(chars)


def normalize_join_code(text: str) -> str:
    """The canonical join code in what someone typed, or :class:`InvalidInput` (field ``code``).

    Idempotent. Codes: ``ambiguous_character`` (a look-alike codes never contain, named in the
    message), ``invalid_character``, ``wrong_length``.
    """
    return _normalize(text, JOIN_CODE_LENGTH, "code de séance", "séance code")


def normalize_invitation_code(text: str) -> str:
    """As :func:`normalize_join_code`, for a 12-character invitation code."""
    return _normalize(text, INVITATION_CODE_LENGTH, "code d’invitation", "invitation code")


def is_valid_join_code(text: str) -> bool:
    """Whether ``text`` reads as a join code (:func:`normalize_join_code` would accept it)."""
    try:
        normalize_join_code(text)
    except InvalidInput:
        return False
    return True


def is_valid_invitation_code(text: str) -> bool:
    """Whether ``text`` reads as an invitation code."""
    try:
        normalize_invitation_code(text)
    except InvalidInput:
        return False
    return True


# --- invitations -----------------------------------------------------------------------------


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    """A single-use code letting one person join one atelier under one role, until it expires.

    ``created_by`` is the issuing participant's id; ``used_at``/``used_by`` are set when it is
    redeemed (and then it can never be redeemed again).
    """

    code: str
    atelier_id: str
    role: Role
    expires_at: datetime
    created_by: str
    used_at: datetime | None = None
    used_by: str | None = None

    def __post_init__(self) -> None:
        if normalize_invitation_code(self.code) != self.code:
            raise InvalidInput(
                "not_normalized",
                "Le code d’invitation n’est pas sous sa forme canonique.",
                "The invitation code is not in its canonical form.",
                field="code",
            )
        check_id(self.atelier_id, "atelier_id")
        check_id(self.created_by, "created_by")
        if self.role not in INVITATION_ROLES:
            raise _invitation_not_needed(self.role)
        check_aware(self.expires_at, "expires_at")
        if self.used_at is not None:
            check_aware(self.used_at, "used_at")
        if self.used_by is not None:
            check_id(self.used_by, "used_by")

    @property
    def used(self) -> bool:
        return self.used_at is not None

    def expired(self, now: datetime) -> bool:
        """Whether it has expired at ``now`` (it is valid strictly before ``expires_at``)."""
        return now >= self.expires_at


def _invitation_not_needed(role: Role) -> InvalidInput:
    return InvalidInput(
        "invitation_not_needed",
        f"Le rôle {role.label_fr} se rejoint sans invitation, avec le code de la séance.",
        f"The {role.label_en} role needs no invitation: the séance code is enough.",
        field="role",
    )


def issue_invitation(
    atelier: Atelier,
    role: Role | str,
    *,
    created_by: str,
    now: datetime,
    rng: random.Random,
    valid_for: timedelta = INVITATION_VALIDITY_DEFAULT,
) -> Invitation:
    """A new, unused invitation to ``atelier`` for ``role``, valid ``valid_for`` from ``now``.

    The caller checks ``require(actor.role, Action.INVITE_ELEVATED)`` and that the code is not
    already taken. Refused: ``invitation_not_needed`` for habitant·e, ``invalid_validity``
    outside (0, 90 days] (:class:`InvalidInput`); ``atelier_closed``
    (:class:`InvalidTransition`).
    """
    role = parse_role(role)
    check_aware(now, "now")
    _refuse_closed(atelier)
    if role not in INVITATION_ROLES:
        raise _invitation_not_needed(role)
    if not timedelta(0) < valid_for <= INVITATION_VALIDITY_MAX:
        raise InvalidInput(
            "invalid_validity",
            f"La durée de validité d’une invitation doit être positive et d’au plus "
            f"{INVITATION_VALIDITY_MAX.days} jours.",
            f"An invitation’s validity must be positive and at most "
            f"{INVITATION_VALIDITY_MAX.days} days.",
            field="valid_for",
        )
    return Invitation(
        code=generate_invitation_code(rng),
        atelier_id=atelier.id,
        role=role,
        expires_at=now + valid_for,
        created_by=created_by,
    )


def redeem_invitation(
    invitation: Invitation,
    atelier_id: str,
    now: datetime,
    *,
    role: Role | str | None = None,
    participant_id: str | None = None,
) -> Invitation:
    """``invitation`` marked used at ``now`` (by ``participant_id``), if it may be used.

    Checked in this order, each with its message for the person holding the code:
    ``invitation_wrong_atelier`` (:class:`Forbidden`), ``invitation_used`` (:class:`Conflict`),
    ``invitation_expired`` (:class:`Forbidden`), and, when ``role`` is given,
    ``invitation_wrong_role`` (:class:`Forbidden`, naming the invitation's role).
    """
    check_aware(now, "now")
    if invitation.atelier_id != atelier_id:
        raise Forbidden(
            "invitation_wrong_atelier",
            "Ce code d’invitation est valable pour un autre atelier.",
            "This invitation code is for another atelier.",
        )
    if invitation.used:
        raise Conflict(
            "invitation_used",
            "Ce code d’invitation a déjà servi : chaque code ne sert qu’une fois. Demandez-en un "
            "nouveau à l’animateur·rice de l’atelier.",
            "This invitation code has already been used, and a code works only once. Ask the "
            "atelier’s facilitator for a new one.",
        )
    if invitation.expired(now):
        raise Forbidden(
            "invitation_expired",
            "Ce code d’invitation a expiré : demandez-en un nouveau à l’animateur·rice de "
            "l’atelier.",
            "This invitation code has expired: ask the atelier’s facilitator for a new one.",
        )
    if role is not None and parse_role(role) is not invitation.role:
        raise Forbidden(
            "invitation_wrong_role",
            f"Ce code d’invitation est pour le rôle {invitation.role.label_fr} : "
            f"choisissez ce rôle pour rejoindre l’atelier.",
            f"This invitation code is for the {invitation.role.label_en} role: choose that "
            f"role to join the atelier.",
        )
    return msgspec.structs.replace(invitation, used_at=now, used_by=participant_id)


# --- joining ---------------------------------------------------------------------------------


class Admission(msgspec.Struct, frozen=True):
    """What a successful :func:`join` produces: the new participant and, if one was presented,
    the invitation now used (to be stored in the same transaction, so that it cannot be used
    twice)."""

    participant: Participant
    invitation: Invitation | None = None


def _refuse_closed(atelier: Atelier) -> None:
    if atelier.status is AtelierStatus.CLOSE:
        raise InvalidTransition(
            "atelier_closed",
            "Cet atelier est clos : il n’accueille plus de participant·es.",
            "This atelier is closed and no longer takes participants.",
        )


def _check_charter(atelier: Atelier, version: int | None) -> None:
    if version is None:
        raise Forbidden(
            "charter_not_accepted",
            "Pour rejoindre l’atelier, lisez et acceptez sa charte.",
            "To join the atelier, read and accept its charter.",
            field="charter_version",
        )
    if version != atelier.charter.version:
        raise Conflict(
            "charter_version_mismatch",
            f"La charte de l’atelier a changé : relisez sa version {atelier.charter.version} "
            f"et acceptez-la.",
            f"The atelier’s charter has changed: read version {atelier.charter.version} and "
            f"accept it.",
            field="charter_version",
        )


def join(
    atelier: Atelier,
    session: Session | None,
    display_name: str,
    role: Role | str,
    charter_version_accepted: int | None,
    invitation: Invitation | None,
    now: datetime,
    *,
    participant_id: str,
    show_name_in_minutes: bool = False,
) -> Admission:
    """Admit someone into ``atelier`` (through ``session``'s join code, when there is one).

    The rule, checked in this order:

    1. a closed atelier takes no one (``atelier_closed``, :class:`InvalidTransition`); the séance
       must be one of the atelier's (``session_wrong_atelier``, :class:`InvalidInput`);
    2. the display name is tidied and checked (1–80 characters, no control characters);
    3. habitant·e and observateur·rice need no invitation; the other roles need one
       (``invitation_required``, :class:`Forbidden`). A presented invitation must be for this
       atelier and this role, unused and unexpired (see :func:`redeem_invitation`);
    4. the charter's current version must be accepted (``charter_not_accepted``,
       :class:`Forbidden`; ``charter_version_mismatch``, :class:`Conflict`, when it changed
       while they were reading).

    Returns the new :class:`Participant` (joined at ``now``) and the invitation marked used.
    """
    check_aware(now, "now")
    _refuse_closed(atelier)
    if session is not None and session.atelier_id != atelier.id:
        raise InvalidInput(
            "session_wrong_atelier",
            "Cette séance n’appartient pas à cet atelier.",
            "This séance does not belong to this atelier.",
            field="session",
        )
    role = parse_role(role)
    name = normalize_display_name(display_name)
    # Build the participant first, so that a bad name is reported before any invitation is
    # looked at; charter_version is set once it is checked.
    participant = Participant(
        id=participant_id,
        atelier_id=atelier.id,
        display_name=name,
        role=role,
        joined_at=now,
        show_name_in_minutes=show_name_in_minutes,
    )
    used: Invitation | None = None
    if invitation is not None:
        used = redeem_invitation(
            invitation, atelier.id, now, role=role, participant_id=participant_id
        )
    elif role not in OPEN_ROLES:
        raise Forbidden(
            "invitation_required",
            f"Le rôle {role.label_fr} demande un code d’invitation, remis par l’animateur·rice "
            f"de l’atelier.",
            f"The {role.label_en} role needs an invitation code from the atelier’s facilitator.",
            field="invitation",
        )
    _check_charter(atelier, charter_version_accepted)
    participant = msgspec.structs.replace(participant, charter_version=charter_version_accepted)
    return Admission(participant=participant, invitation=used)


def accept_charter(participant: Participant, atelier: Atelier, version: int) -> Participant:
    """``participant`` having accepted ``version`` of ``atelier``'s charter (after a revision).

    ``version`` must be the current one (``charter_version_mismatch``, :class:`Conflict`); a
    revoked participant cannot (``participant_revoked``, :class:`Forbidden`); nor can anyone
    of another atelier (``wrong_atelier``, :class:`Forbidden`).
    """
    if participant.atelier_id != atelier.id:
        raise Forbidden(
            "wrong_atelier",
            "Cette personne ne participe pas à cet atelier.",
            "This person is not a participant of this atelier.",
        )
    if participant.revoked:
        raise Forbidden(
            "participant_revoked",
            "Votre accès à cet atelier a été retiré.",
            "Your access to this atelier was revoked.",
        )
    _check_charter(atelier, version)
    return msgspec.structs.replace(participant, charter_version=version)
