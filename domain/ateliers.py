"""Ateliers: what they are about, how they are linked to the city's bodies, and their lifecycle.

An :class:`Atelier` is a frozen value, valid by construction: building one (directly, with
:func:`msgspec.structs.replace`, or by decoding) checks every field and raises
:class:`~domain.errors.InvalidInput` naming the field. :func:`new_atelier` also tidies what was
typed (trimming, de-duplicating) before checking.

Lifecycle, one pure function per transition, each returning a new value or raising
:class:`~domain.errors.InvalidTransition`::

    en_constitution --constitute--> constituee --activate--> active
          |                              |                      |
          +------------------------------+-------close----------+--> close

An atelier is constituted once at least ``min_residents`` habitant·es have joined and accepted
the charter's current version (the seed: "définir le nombre minimum d'habitants requis pour
constituer un atelier"). The status is not recomputed afterwards: a departure or a new charter
version does not un-constitute an atelier that has started working.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from domain.errors import (
    InvalidInput,
    InvalidTransition,
    check_id,
    check_line,
    check_text,
    normalize_line,
    normalize_text,
)
from domain.roles import Role
from domain.sessions import Participant

__all__ = [
    "Atelier",
    "AtelierKind",
    "AtelierStatus",
    "Charter",
    "ConstitutionStatus",
    "Instance",
    "Scope",
    "activate",
    "close",
    "constitute",
    "constitute_if_ready",
    "constitution_status",
    "edit_atelier",
    "new_atelier",
    "refuse_if_closed",
    "reopen",
    "revise_charter",
]

TITLE_MAX = 200
SUBJECT_MAX = 20_000
NAME_MAX = 80
PILOTS_MAX = 20
IMAGE_MAX = 500
CHARTER_MAX = 20_000
MIN_RESIDENTS_MAX = 10_000


class AtelierKind(StrEnum):
    """Who started the atelier, and so whether the city funds it (seed, « Propositions de nom »)."""

    # From an idea carried by a collective of residents; no line in the city's budget.
    INITIATIVE_CITOYENNE = "initiative_citoyenne"
    # Proposed and piloted by the city with residents; funded by the city.
    PROJET = "projet"

    @property
    def abbreviation(self) -> str:
        return "AIC" if self is AtelierKind.INITIATIVE_CITOYENNE else "AP"

    @property
    def label_fr(self) -> str:
        if self is AtelierKind.INITIATIVE_CITOYENNE:
            return "atelier d’initiative citoyenne"
        return "atelier de projet"

    @property
    def label_en(self) -> str:
        if self is AtelierKind.INITIATIVE_CITOYENNE:
            return "citizens’ initiative workshop"
        return "city project workshop"


class Scope(StrEnum):
    """The atelier's scale: a neighbourhood (AQ) or the whole city (AV)."""

    QUARTIER = "quartier"
    VILLE = "ville"

    @property
    def abbreviation(self) -> str:
        return "AQ" if self is Scope.QUARTIER else "AV"

    @property
    def label_fr(self) -> str:
        return "atelier de quartier" if self is Scope.QUARTIER else "atelier ville"

    @property
    def label_en(self) -> str:
        return "neighbourhood workshop" if self is Scope.QUARTIER else "city-wide workshop"


class Instance(StrEnum):
    """The bodies of local democracy an atelier is linked to: its entry doors, its relays of
    information and its memory (seed, « Clarifications »)."""

    CQ = "CQ"
    CC = "CC"
    CRE = "CRE"
    CDJ = "CDJ"
    CD = "CD"
    ATP = "ATP"

    @property
    def name_fr(self) -> str:
        return _INSTANCE_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _INSTANCE_NAMES[self][1]

    @property
    def description_fr(self) -> str:
        """What the body is, in the seed's words (« Clarifications »): its public page says it."""
        return _INSTANCE_DESCRIPTIONS[self][0]

    @property
    def description_en(self) -> str:
        return _INSTANCE_DESCRIPTIONS[self][1]


_INSTANCE_NAMES: Final = {
    Instance.CQ: ("Conseil de quartier", "Neighbourhood council"),
    Instance.CC: ("Conseil citoyen", "Citizens’ council"),
    Instance.CRE: ("Conseil des résidents étrangers", "Foreign residents’ council"),
    Instance.CDJ: ("Conseil des jeunes", "Youth council"),
    Instance.CD: ("Conseil de développement", "Development council"),
    Instance.ATP: ("Ateliers territoriaux de partenaires", "Local partners’ workshops"),
}

_INSTANCE_DESCRIPTIONS: Final = {
    Instance.CQ: (
        "Instance obligatoire dans les villes de plus de 80 000 habitants, dont les membres sont "
        "tirés au sort sur les listes électorales : un lieu de dialogue entre la ville et les "
        "habitant·es d’un quartier. Facilitateur et mémoire des projets, il contribue à la "
        "priorisation des sujets et propose des sujets d’ateliers.",
        "Mandatory in cities of more than 80,000 inhabitants, its members drawn by lot from the "
        "electoral rolls: where the city and the residents of a neighbourhood talk. It "
        "facilitates projects and keeps their memory, helps set the priorities among subjects "
        "and proposes subjects for ateliers.",
    ),
    Instance.CC: (
        "Prévu par la loi sur la politique de la ville : l’instance des habitant·es des "
        "quartiers prioritaires de la politique de la ville (QPV).",
        "Set up by the law on urban policy: the body of the residents of the city’s priority "
        "neighbourhoods (QPV).",
    ),
    Instance.CRE: (
        "Instance dédiée aux résident·es étranger·es, qui leur donne de la visibilité. Elle "
        "produit ses travaux avec une grande autonomie et échange avec les services de la ville "
        "sur les politiques publiques.",
        "The body of the city’s foreign residents, which makes them visible. It works with "
        "much autonomy and discusses public policies with the city’s services.",
    ),
    Instance.CDJ: (
        "Des jeunes de 10 à 16 ans, et des projets pour les jeunes.",
        "Young people aged 10 to 16, and projects for young people.",
    ),
    Instance.CD: (
        "Instance de l’Eurométropole de Strasbourg, interne à celle-ci.",
        "A body within the Eurométropole de Strasbourg.",
    ),
    Instance.ATP: (
        "Les réseaux de professionnels des quartiers, portés par les chargé·es de mission de "
        "quartier des directions de territoire : ils réunissent les agents et toutes les "
        "personnes engagées dans un projet, animées par l’idée de co-construction.",
        "The neighbourhoods’ networks of professionals, run by the neighbourhood officers of "
        "the city’s territorial directorates: they bring together the city’s agents and everyone "
        "engaged in a project, in a spirit of co-construction.",
    ),
}


class AtelierStatus(StrEnum):
    EN_CONSTITUTION = "en_constitution"
    CONSTITUEE = "constituee"
    ACTIVE = "active"
    CLOSE = "close"

    @property
    def label_fr(self) -> str:
        return _STATUS_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _STATUS_LABELS[self][1]


_STATUS_LABELS: Final = {
    AtelierStatus.EN_CONSTITUTION: ("en constitution", "being formed"),
    AtelierStatus.CONSTITUEE: ("constitué", "formed"),
    AtelierStatus.ACTIVE: ("actif", "active"),
    AtelierStatus.CLOSE: ("clos", "closed"),
}


class Charter(msgspec.Struct, frozen=True):
    """The atelier's charter. Joining means accepting its current ``version``; any change to the
    text makes a new version (see :func:`revise_charter`)."""

    version: int
    text: str

    def __post_init__(self) -> None:
        if self.version < 1:
            raise InvalidInput(
                "invalid_charter_version",
                "Le numéro de version de la charte commence à 1.",
                "Charter versions start at 1.",
                field="charter.version",
            )
        check_text(
            self.text,
            field="charter.text",
            label_fr="le texte de la charte",
            label_en="charter text",
            max_length=CHARTER_MAX,
        )


class Atelier(msgspec.Struct, frozen=True, kw_only=True):
    """A working group around one subject or project.

    Invariants (checked on every construction, :class:`InvalidInput` with the field name):
    ``title`` 1–200 characters on one trimmed line; ``neighbourhood`` given exactly when
    ``scope`` is ``quartier``; ``instances`` and ``pilots`` without duplicates (at most 20
    pilots, 1–80 characters each); ``min_residents`` from 1 to 10 000.
    """

    id: str
    title: str
    subject: str = ""
    kind: AtelierKind
    scope: Scope
    neighbourhood: str | None = None
    instances: tuple[Instance, ...] = ()
    pilots: tuple[str, ...] = ()
    image: str | None = None  # a reference (a stored file's key or a URL), never the bytes
    charter: Charter
    min_residents: int = 1
    status: AtelierStatus = AtelierStatus.EN_CONSTITUTION

    def __post_init__(self) -> None:
        check_id(self.id)
        check_line(
            self.title, field="title", label_fr="le titre", label_en="title", max_length=TITLE_MAX
        )
        check_text(
            self.subject,
            field="subject",
            label_fr="le sujet",
            label_en="subject",
            max_length=SUBJECT_MAX,
        )
        self._check_scope()
        if len(set(self.instances)) != len(self.instances):
            raise InvalidInput(
                "duplicate_instance",
                "Une même instance est citée deux fois.",
                "The same body is listed twice.",
                field="instances",
            )
        self._check_pilots()
        if self.image is not None and (
            not self.image or len(self.image) > IMAGE_MAX or any(c.isspace() for c in self.image)
        ):
            raise InvalidInput(
                "invalid_image",
                f"Référence d’image invalide (1 à {IMAGE_MAX} caractères, sans espace).",
                f"Invalid image reference (1 to {IMAGE_MAX} characters, no spaces).",
                field="image",
            )
        if not 1 <= self.min_residents <= MIN_RESIDENTS_MAX:
            raise InvalidInput(
                "invalid_min_residents",
                f"Le nombre minimum d’habitant·es doit être compris entre 1 et "
                f"{MIN_RESIDENTS_MAX}.",
                f"The minimum number of residents must be between 1 and {MIN_RESIDENTS_MAX}.",
                field="min_residents",
            )

    def _check_scope(self) -> None:
        if self.scope is Scope.QUARTIER:
            if self.neighbourhood is None:
                raise InvalidInput(
                    "neighbourhood_required",
                    "Un atelier de quartier doit nommer son quartier.",
                    "A neighbourhood workshop must name its neighbourhood.",
                    field="neighbourhood",
                )
            check_line(
                self.neighbourhood,
                field="neighbourhood",
                label_fr="le nom du quartier",
                label_en="neighbourhood name",
                max_length=TITLE_MAX,
            )
        elif self.neighbourhood is not None:
            # A city-wide atelier with a neighbourhood would be listed under that neighbourhood
            # and read as local: refuse the contradiction instead of storing it.
            raise InvalidInput(
                "neighbourhood_unexpected",
                "Un atelier ville ne se rattache pas à un quartier.",
                "A city-wide workshop has no neighbourhood.",
                field="neighbourhood",
            )

    def _check_pilots(self) -> None:
        if len(self.pilots) > PILOTS_MAX:
            raise InvalidInput(
                "too_many_pilots",
                f"Un atelier compte au plus {PILOTS_MAX} pilotes.",
                f"An atelier has at most {PILOTS_MAX} pilots.",
                field="pilots",
            )
        for pilot in self.pilots:
            check_line(
                pilot,
                field="pilots",
                label_fr="le nom d’un·e pilote",
                label_en="pilot’s name",
                max_length=NAME_MAX,
            )
        if len(set(self.pilots)) != len(self.pilots):
            raise InvalidInput(
                "duplicate_pilot",
                "Un·e même pilote est cité·e deux fois.",
                "The same pilot is listed twice.",
                field="pilots",
            )

    @property
    def tag(self) -> str:
        """« AIC · AQ Neudorf », « AP · AV »: the short tag shown next to the title."""
        where = f" {self.neighbourhood}" if self.neighbourhood else ""
        return f"{self.kind.abbreviation} · {self.scope.abbreviation}{where}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    # dict keeps the first occurrence's order: the order people typed things in is meaningful.
    return tuple(dict.fromkeys(items))


def new_atelier(
    *,
    id: str,
    title: str,
    kind: AtelierKind | str,
    scope: Scope | str,
    subject: str = "",
    neighbourhood: str | None = None,
    instances: Iterable[Instance | str] = (),
    pilots: Iterable[str] = (),
    image: str | None = None,
    charter_text: str = "",
    min_residents: int = 1,
) -> Atelier:
    """A new atelier, ``en_constitution``, with charter version 1.

    Text is tidied first (trimmed, spaces collapsed, blank pilots dropped, duplicates removed
    keeping the first); then every invariant of :class:`Atelier` is checked. An empty
    ``neighbourhood`` counts as none. Unknown ``kind``, ``scope`` or instance:
    :class:`InvalidInput`.
    """
    hood = normalize_line(neighbourhood) if neighbourhood is not None else None
    return Atelier(
        id=id,
        title=normalize_line(title),
        subject=normalize_text(subject),
        kind=_enum(AtelierKind, kind, "kind", "le type d’atelier", "atelier kind"),
        scope=_enum(Scope, scope, "scope", "l’échelle", "scope"),
        neighbourhood=hood or None,
        instances=tuple(
            dict.fromkeys(_enum(Instance, i, "instances", "l’instance", "body") for i in instances)
        ),
        pilots=_unique(p for p in (normalize_line(p) for p in pilots) if p),
        image=(image.strip() or None) if image is not None else None,
        charter=Charter(1, normalize_text(charter_text)),
        min_residents=min_residents,
    )


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: _E | str, field: str, label_fr: str, label_en: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(
            f"unknown_{field.rstrip('s')}",
            f"Valeur inconnue pour {label_fr} : « {value} ».",
            f"Unknown {label_en}: “{value}”.",
            field=field,
        ) from None


def refuse_if_closed(atelier: Atelier) -> None:
    """A closed atelier changes no more: its description, charter and séances stay as they
    were (:class:`InvalidTransition` ``atelier_closed``); what was written stays readable."""
    if atelier.status is AtelierStatus.CLOSE:
        raise InvalidTransition(
            "atelier_closed",
            "Cet atelier est clos : il ne peut plus être modifié.",
            "This atelier is closed and can no longer be changed.",
        )


def edit_atelier(
    atelier: Atelier,
    *,
    title: str | UnsetType = UNSET,
    subject: str | UnsetType = UNSET,
    kind: AtelierKind | str | UnsetType = UNSET,
    scope: Scope | str | UnsetType = UNSET,
    neighbourhood: str | UnsetType | None = UNSET,
    instances: Iterable[Instance | str] | UnsetType = UNSET,
    pilots: Iterable[str] | UnsetType = UNSET,
    image: str | UnsetType | None = UNSET,
    min_residents: int | UnsetType = UNSET,
) -> Atelier:
    """``atelier`` with the given fields changed (tidied and checked as in :func:`new_atelier`).

    The charter changes through :func:`revise_charter`, the status through the transitions.
    A closed atelier refuses: :class:`InvalidTransition` ``atelier_closed``.
    """
    refuse_if_closed(atelier)
    draft = new_atelier(
        id=atelier.id,
        title=atelier.title if title is UNSET else title,
        subject=atelier.subject if subject is UNSET else subject,
        kind=atelier.kind if kind is UNSET else kind,
        scope=atelier.scope if scope is UNSET else scope,
        neighbourhood=atelier.neighbourhood if neighbourhood is UNSET else neighbourhood,
        instances=atelier.instances if instances is UNSET else instances,
        pilots=atelier.pilots if pilots is UNSET else pilots,
        image=atelier.image if image is UNSET else image,
        charter_text=atelier.charter.text,
        min_residents=atelier.min_residents if min_residents is UNSET else min_residents,
    )
    return msgspec.structs.replace(draft, charter=atelier.charter, status=atelier.status)


def revise_charter(atelier: Atelier, text: str) -> Atelier:
    """``atelier`` with a new charter text, and so a new version (previous + 1).

    The same text (once tidied) changes nothing and returns ``atelier`` itself: re-saving must
    not make everyone accept the charter again. Participants who accepted an earlier version
    stop counting towards constitution until they accept the new one. A closed atelier refuses
    (``atelier_closed``).
    """
    refuse_if_closed(atelier)
    text = normalize_text(text)
    if text == atelier.charter.text:
        return atelier
    return msgspec.structs.replace(atelier, charter=Charter(atelier.charter.version + 1, text))


class ConstitutionStatus(msgspec.Struct, frozen=True):
    """How far an atelier is from being constituted."""

    required: int  # the atelier's min_residents
    counted: int  # habitant·es who joined, are not revoked and accepted the current charter

    @property
    def met(self) -> bool:
        return self.counted >= self.required

    @property
    def missing(self) -> int:
        return max(0, self.required - self.counted)


def constitution_status(
    atelier: Atelier, participants: Iterable[Participant]
) -> ConstitutionStatus:
    """Count the habitant·es that constitute ``atelier``.

    A participant counts when they belong to this atelier, are habitant·e, are not revoked, and
    accepted the charter's *current* version. Participants of other ateliers are ignored, and
    the same id counts once. Other roles never count: the threshold is about residents.
    """
    counted = {
        p.id
        for p in participants
        if p.atelier_id == atelier.id
        and p.role is Role.HABITANT
        and not p.revoked
        and p.charter_version == atelier.charter.version
    }
    return ConstitutionStatus(required=atelier.min_residents, counted=len(counted))


def _transition(
    atelier: Atelier, allowed_from: frozenset[AtelierStatus], to: AtelierStatus
) -> Atelier:
    if atelier.status not in allowed_from:
        raise InvalidTransition(
            "invalid_transition",
            f"Un atelier « {atelier.status.label_fr} » ne peut pas passer à « {to.label_fr} ».",
            f"An atelier that is “{atelier.status.label_en}” cannot become “{to.label_en}”.",
        )
    return msgspec.structs.replace(atelier, status=to)


def constitute(atelier: Atelier, participants: Iterable[Participant]) -> Atelier:
    """``en_constitution`` → ``constituee``, once :func:`constitution_status` is met.

    Raises :class:`InvalidTransition`: ``invalid_transition`` from any other status,
    ``constitution_threshold_not_met`` (saying how many habitant·es are missing) otherwise.
    """
    if atelier.status is not AtelierStatus.EN_CONSTITUTION:
        return _transition(
            atelier, frozenset({AtelierStatus.EN_CONSTITUTION}), AtelierStatus.CONSTITUEE
        )
    status = constitution_status(atelier, participants)
    if not status.met:
        raise InvalidTransition(
            "constitution_threshold_not_met",
            f"Il manque {status.missing} habitant·e(s) ayant accepté la charte pour constituer "
            f"l’atelier ({status.counted} sur {status.required}).",
            f"{status.missing} more resident(s) must join and accept the charter to form the "
            f"atelier ({status.counted} of {status.required}).",
        )
    return msgspec.structs.replace(atelier, status=AtelierStatus.CONSTITUEE)


def constitute_if_ready(atelier: Atelier, participants: Iterable[Participant]) -> Atelier:
    """:func:`constitute` when it applies and the threshold is met; else ``atelier`` unchanged.

    What the server calls after each join or charter acceptance.
    """
    if (
        atelier.status is AtelierStatus.EN_CONSTITUTION
        and constitution_status(atelier, participants).met
    ):
        return msgspec.structs.replace(atelier, status=AtelierStatus.CONSTITUEE)
    return atelier


def activate(atelier: Atelier) -> Atelier:
    """``constituee`` → ``active`` (the atelier starts working, e.g. its first séance opens).

    From any other status: :class:`InvalidTransition` ``invalid_transition``.
    """
    return _transition(atelier, frozenset({AtelierStatus.CONSTITUEE}), AtelierStatus.ACTIVE)


def close(atelier: Atelier) -> Atelier:
    """Any status but ``close`` → ``close``; closing twice is ``invalid_transition``.

    Closing is allowed before constitution too: an atelier that never gathers enough residents
    must be closable rather than linger.
    """
    return _transition(
        atelier, frozenset(AtelierStatus) - {AtelierStatus.CLOSE}, AtelierStatus.CLOSE
    )


def reopen(atelier: Atelier, participants: Iterable[Participant]) -> Atelier:
    """``close`` → ``en_constitution``, or ``constituee`` when :func:`constitution_status` is
    met (an atelier reopened by mistake is back to work, not to gathering people again).

    ``active`` is not restored: the status says what the atelier is, and it becomes active
    again when it starts working. From any other status: :class:`InvalidTransition`
    ``atelier_not_closed``.
    """
    if atelier.status is not AtelierStatus.CLOSE:
        raise InvalidTransition(
            "atelier_not_closed",
            "Cet atelier n’est pas clos.",
            "This atelier is not closed.",
        )
    forming = msgspec.structs.replace(atelier, status=AtelierStatus.EN_CONSTITUTION)
    return constitute_if_ready(forming, participants)
