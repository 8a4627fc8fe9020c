"""Subjects: the way in (issue 22, item 2). A resident or an instance proposes a subject; the
city's staff moderate it; residents support it; once the supports of residents reach the city's
minimum, the city constitutes an atelier d'initiative citoyenne from it, opens an atelier de
projet on it, or declines with a public reason.

Lifecycle (one pure function per step, each raising :class:`InvalidTransition` from a state
where it does not apply)::

    en_moderation --publish--> publie --constitute_aic--> aic
          |                      |----open_ap----------> ap
          +--refuse--> refuse    +----decline----------> decline

« Seuil atteint » is not a state: it is ``publie`` with enough supports (:func:`threshold_met`),
so that a lower minimum set by the city applies at once to every published subject.

A supporter is recognised, not identified: :func:`identity_key` folds a name and a quartier
(case, accents, spaces) so that « Zoé Martin, Neudorf » and « zoe  MARTIN, neudorf » are one
person; the server keeps only a keyed hash of it, never the name.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Final

import msgspec

from domain.errors import InvalidInput, InvalidTransition, check_line, check_text, normalize_line

__all__ = [
    "NAME_MAX",
    "REASON_MAX",
    "TITLE_MAX",
    "WHY_MAX",
    "Outcome",
    "SubjectDraft",
    "SubjectState",
    "check_reason",
    "identity_key",
    "new_subject",
    "next_state",
    "threshold_met",
]

TITLE_MAX: Final = 200
WHY_MAX: Final = 4_000
NAME_MAX: Final = 80
HOOD_MAX: Final = 200
REASON_MAX: Final = 2_000


class SubjectState(StrEnum):
    EN_MODERATION = "en_moderation"
    PUBLIE = "publie"
    REFUSE = "refuse"
    AIC = "aic"
    AP = "ap"
    DECLINE = "decline"

    @property
    def public(self) -> bool:
        """Shown on the public pages: every state but waiting for moderation or refused."""
        return self not in (SubjectState.EN_MODERATION, SubjectState.REFUSE)

    @property
    def label_fr(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: Final = {
    SubjectState.EN_MODERATION: ("en attente de modération", "awaiting moderation"),
    SubjectState.PUBLIE: ("ouvert aux soutiens", "open for support"),
    SubjectState.REFUSE: ("refusé à la modération", "refused at moderation"),
    SubjectState.AIC: (
        "devenu un atelier d’initiative citoyenne",
        "became a citizens’ initiative atelier",
    ),
    SubjectState.AP: ("la Ville ouvre un atelier de projet", "the city opens a project atelier"),
    SubjectState.DECLINE: ("décliné par la Ville", "declined by the city"),
}


class Outcome(StrEnum):
    """What the city's staff decide for a published subject (moderation included)."""

    PUBLISH = "publish"
    REFUSE = "refuse"
    CONSTITUTE_AIC = "constitute_aic"
    OPEN_AP = "open_ap"
    DECLINE = "decline"

    @property
    def needs_reason(self) -> bool:
        """Refusing and declining say why, publicly."""
        return self in (Outcome.REFUSE, Outcome.DECLINE)


_FROM: Final = {
    Outcome.PUBLISH: (SubjectState.EN_MODERATION, SubjectState.PUBLIE),
    Outcome.REFUSE: (SubjectState.EN_MODERATION, SubjectState.REFUSE),
    Outcome.CONSTITUTE_AIC: (SubjectState.PUBLIE, SubjectState.AIC),
    Outcome.OPEN_AP: (SubjectState.PUBLIE, SubjectState.AP),
    Outcome.DECLINE: (SubjectState.PUBLIE, SubjectState.DECLINE),
}


def next_state(
    state: SubjectState, outcome: Outcome, *, supports: int, minimum: int
) -> SubjectState:
    """The state ``outcome`` leads to from ``state``.

    Constituting an AIC needs the residents' supports to have reached ``minimum`` (the AIC is
    the residents' own); the city may open an AP or decline at any time once published.
    """
    start, end = _FROM[outcome]
    if state is not start:
        raise InvalidTransition(
            "invalid_subject_transition",
            f"Un sujet « {state.label_fr} » ne peut pas passer à « {end.label_fr} ».",
            f"A subject that is “{state.label_en}” cannot become “{end.label_en}”.",
        )
    if outcome is Outcome.CONSTITUTE_AIC and not threshold_met(supports, minimum):
        raise InvalidTransition(
            "subject_threshold_not_met",
            f"Il manque {minimum - supports} soutien(s) d’habitant·es pour constituer un "
            f"atelier d’initiative citoyenne ({supports} sur {minimum}).",
            f"{minimum - supports} more residents’ support(s) are needed to form a citizens’ "
            f"initiative atelier ({supports} of {minimum}).",
        )
    return end


def threshold_met(supports: int, minimum: int) -> bool:
    return supports >= minimum


def check_reason(outcome: Outcome, reason: str | None) -> str | None:
    """The public reason, tidied; required when refusing or declining."""
    text = (reason or "").strip()
    if outcome.needs_reason and not text:
        raise InvalidInput(
            "reason_required",
            "Donnez la raison, qui sera publique.",
            "Give the reason; it will be public.",
            field="reason",
        )
    if text:
        check_text(
            text, field="reason", label_fr="la raison", label_en="reason", max_length=REASON_MAX
        )
    return text or None


class SubjectDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A subject as proposed, tidied and checked."""

    title: str
    why: str
    neighbourhood: str | None  # None: the whole city
    initiator_name: str
    initiator_neighbourhood: str | None
    show_name: bool


def new_subject(
    *,
    title: str,
    why: str,
    neighbourhood: str | None,
    initiator_name: str,
    initiator_neighbourhood: str | None,
    show_name: bool,
) -> SubjectDraft:
    """Trim and check what was typed (:class:`InvalidInput` naming the field)."""
    title = normalize_line(title)
    why = why.strip()
    hood = normalize_line(neighbourhood or "") or None
    name = normalize_line(initiator_name)
    home = normalize_line(initiator_neighbourhood or "") or None
    check_line(title, field="title", label_fr="le titre", label_en="title", max_length=TITLE_MAX)
    check_text(
        why,
        field="why",
        label_fr="le « pourquoi »",
        label_en="why",
        max_length=WHY_MAX,
        min_length=1,
    )
    if hood is not None:
        check_line(
            hood,
            field="neighbourhood",
            label_fr="le quartier",
            label_en="neighbourhood",
            max_length=HOOD_MAX,
        )
    check_line(
        name,
        field="initiator_name",
        label_fr="votre nom",
        label_en="your name",
        max_length=NAME_MAX,
    )
    if home is not None:
        check_line(
            home,
            field="initiator_neighbourhood",
            label_fr="votre quartier",
            label_en="your neighbourhood",
            max_length=HOOD_MAX,
        )
    return SubjectDraft(
        title=title,
        why=why,
        neighbourhood=hood,
        initiator_name=name,
        initiator_neighbourhood=home,
        show_name=show_name,
    )


def fold(text: str) -> str:
    """Case, accents and runs of spaces aside."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("-", " ").split())


def identity_key(name: str, neighbourhood: str) -> str:
    """One supporter per subject: their name and quartier, folded (never stored as such)."""
    who, where = fold(name), fold(neighbourhood)
    if not who or not where:
        raise InvalidInput(
            "supporter_required",
            "Indiquez votre nom et votre quartier pour soutenir ce sujet.",
            "Give your name and your neighbourhood to support this subject.",
            field="name" if not who else "neighbourhood",
        )
    if len(who) > NAME_MAX or len(where) > HOOD_MAX:
        raise InvalidInput(
            "supporter_too_long",
            "Nom ou quartier trop long.",
            "Name or neighbourhood too long.",
            field="name",
        )
    return f"{who}\n{where}"
