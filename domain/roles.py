"""Who may do what: the six roles, everything the product does, and one permission table.

>>> can(Role.HABITANT, Action.VOTE), can(Role.CONSEIL, Action.EDIT_PROPOSAL)
(True, False)

:data:`PERMISSIONS` is the only place where a permission is decided; :func:`can` reads it and
:func:`require` turns a "no" into :class:`~domain.errors.Forbidden`. Roles are about what one
does in an atelier, not who one is: a resident who pilots their own atelier d'initiative
citoyenne is invited as animateur·rice for it, and stays habitant·e everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.errors import Forbidden, InvalidInput

__all__ = [
    "INVITED_ROLES",
    "OPEN_ROLES",
    "PERMISSIONS",
    "Action",
    "Role",
    "allowed_actions",
    "can",
    "parse_action",
    "parse_role",
    "require",
]


class Role(StrEnum):
    """A participant's role in one atelier; the value is what is stored and sent."""

    HABITANT = "habitant"
    ELU = "elu"
    AGENT = "agent"
    ANIMATEUR = "animateur"
    CONSEIL = "conseil"  # council staff: the conseil municipal's services
    OBSERVATEUR = "observateur"

    @property
    def label_fr(self) -> str:
        return _ROLE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _ROLE_LABELS[self][1]


_ROLE_LABELS: Final[Mapping[Role, tuple[str, str]]] = {
    Role.HABITANT: ("habitant·e", "resident"),
    Role.ELU: ("élu·e", "elected official"),
    Role.AGENT: ("agent", "city agent"),
    Role.ANIMATEUR: ("animateur·rice", "facilitator"),
    Role.CONSEIL: ("conseil municipal", "city council staff"),
    Role.OBSERVATEUR: ("observateur·rice", "observer"),
}

# Anyone may take these roles on joining, with the séance's join code alone: the seed wants "la
# participation du plus grand nombre", and an observer can do nothing but read.
OPEN_ROLES: Final = frozenset({Role.HABITANT, Role.OBSERVATEUR})
# These need an invitation code bound to the atelier and the role: each carries powers (or
# weight, or an institution's voice) that a self-declaration must not be enough to get.
INVITED_ROLES: Final = frozenset(Role) - OPEN_ROLES


class Action(StrEnum):
    """Everything the product lets someone do, as the permission table names it."""

    READ_ATELIER = "read_atelier"
    EDIT_PROPOSAL = "edit_proposal"
    COMMENT = "comment"
    VOTE = "vote"
    RUN_POLL = "run_poll"  # create, open, close and publish polls
    ENTER_PROXY_BALLOT = "enter_proxy_ballot"  # a ballot on behalf of someone without a device
    MANAGE_SESSION = "manage_session"  # agenda, steps, attendance
    INVITE_ELEVATED = "invite_elevated"  # invitation codes for the invited roles
    REVOKE_PARTICIPANT = "revoke_participant"
    FREEZE = "freeze"
    REOPEN_DRAFT = "reopen_draft"
    TRANSMIT_TO_COUNCIL = "transmit_to_council"
    READ_FROZEN = "read_frozen"
    RECORD_DECISION = "record_decision"
    READ_DRAFTS_VIA_COUNCIL_API = "read_drafts_via_council_api"
    MANAGE_ATELIER = "manage_atelier"  # the atelier's presentation and charter

    @property
    def label_fr(self) -> str:
        """What the action is, as an infinitive: « voter »."""
        return _ACTION_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """What the action is, as an infinitive without "to": "vote"."""
        return _ACTION_LABELS[self][1]


_ACTION_LABELS: Final[Mapping[Action, tuple[str, str]]] = {
    Action.READ_ATELIER: ("consulter l’atelier", "read the atelier"),
    Action.EDIT_PROPOSAL: ("modifier une proposition", "edit a proposal"),
    Action.COMMENT: ("commenter", "comment"),
    Action.VOTE: ("voter", "vote"),
    Action.RUN_POLL: (
        "organiser les votes (créer, ouvrir, clore, publier)",
        "run polls (create, open, close, publish)",
    ),
    Action.ENTER_PROXY_BALLOT: (
        "saisir le bulletin d’une autre personne",
        "enter a ballot on someone else’s behalf",
    ),
    Action.MANAGE_SESSION: (
        "animer la séance (ordre du jour, étapes, présences)",
        "run the séance (agenda, steps, attendance)",
    ),
    Action.INVITE_ELEVATED: (
        "inviter des élu·es, agents, animateur·rices ou membres du conseil",
        "invite elected officials, agents, facilitators or council staff",
    ),
    Action.REVOKE_PARTICIPANT: (
        "retirer l’accès d’un·e participant·e",
        "revoke a participant’s access",
    ),
    Action.FREEZE: ("figer une version des propositions", "freeze a version of the proposals"),
    Action.REOPEN_DRAFT: ("rouvrir un brouillon", "reopen a draft"),
    Action.TRANSMIT_TO_COUNCIL: ("transmettre au conseil municipal", "transmit to the council"),
    Action.READ_FROZEN: ("consulter les versions figées", "read frozen versions"),
    Action.RECORD_DECISION: (
        "enregistrer la décision du conseil municipal",
        "record the council’s decision",
    ),
    Action.READ_DRAFTS_VIA_COUNCIL_API: (
        "lire les brouillons par l’accès du conseil municipal",
        "read drafts through the council API",
    ),
    Action.MANAGE_ATELIER: (
        "gérer l’atelier (présentation, charte)",
        "manage the atelier (presentation, charter)",
    ),
}

# Short names, so that the table below reads as a grid.
HAB, ELU, AGT, ANI = Role.HABITANT, Role.ELU, Role.AGENT, Role.ANIMATEUR
CNS, OBS = Role.CONSEIL, Role.OBSERVATEUR
NOBODY: Final[frozenset[Role]] = frozenset()

#: The permission table: for each action, the roles that may do it. Nothing else grants a
#: permission. A poll may later widen or narrow who votes in it; ``VOTE`` is the default.
PERMISSIONS: Final[Mapping[Action, frozenset[Role]]] = MappingProxyType(
    {
        # Everyone reads the atelier: the seed's complaint is "le manque de visibilité", and
        # observers and council staff are there to read.
        Action.READ_ATELIER: frozenset({HAB, ELU, AGT, ANI, CNS, OBS}),
        # "Ils se réunissent et participent à la co-construction du projet": residents, élu·es
        # and agents all write. Facilitators write too, as the room's scribe. Council staff never
        # edit (the council decides on what the atelier wrote); observers only read.
        Action.EDIT_PROPOSAL: frozenset({HAB, ELU, AGT, ANI}),
        # Commenting is writing, short: the same people as editing.
        Action.COMMENT: frozenset({HAB, ELU, AGT, ANI}),
        # Priority polls give the residents' and the field's view. Élu·es do not vote by
        # default: a proposal becomes a project "sur décision politique", in the conseil
        # municipal where they vote anyway; a vote here too would count them twice, and the
        # seed asks them to "favoriser la co-construction", not to weigh on it. Agents vote:
        # they co-construct (ATP "incluent les agents"). Facilitators stay neutral. A poll can
        # still open itself to élu·es or facilitators.
        Action.VOTE: frozenset({HAB, AGT}),
        # Running the séance is the facilitators' job, all of it.
        Action.RUN_POLL: frozenset({ANI}),
        # Entering a paper ballot for someone is facilitation, and is logged as such.
        Action.ENTER_PROXY_BALLOT: frozenset({ANI}),
        Action.MANAGE_SESSION: frozenset({ANI}),
        # Invitation codes grant powers: only those who run the atelier hand them out.
        Action.INVITE_ELEVATED: frozenset({ANI}),
        Action.REVOKE_PARTICIPANT: frozenset({ANI}),
        # Freezing, reopening and transmitting close the séance's work: the facilitator does it
        # for the group, at the end of the séance.
        Action.FREEZE: frozenset({ANI}),
        Action.REOPEN_DRAFT: frozenset({ANI}),
        Action.TRANSMIT_TO_COUNCIL: frozenset({ANI}),
        # A frozen version is the atelier's public record: everyone reads it.
        Action.READ_FROZEN: frozenset({HAB, ELU, AGT, ANI, CNS, OBS}),
        # Only the council's staff record what the council decided.
        Action.RECORD_DECISION: frozenset({CNS}),
        # Nobody: the council reads what the atelier chose to freeze and transmit, never work
        # in progress ("suivre l'évolution de projets jusqu'à leur présentation en conseil
        # municipal" — the presenting is the atelier's). Listed so that the "no" is explicit.
        Action.READ_DRAFTS_VIA_COUNCIL_API: NOBODY,
        # The atelier's presentation and charter belong to those who run it.
        Action.MANAGE_ATELIER: frozenset({ANI}),
    }
)


def parse_role(value: Role | str) -> Role:
    """``value`` as a :class:`Role`; an unknown role is :class:`InvalidInput` ``unknown_role``."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            "unknown_role",
            f"Rôle inconnu : « {value} ».",
            f"Unknown role: “{value}”.",
            field="role",
        ) from None


def parse_action(value: Action | str) -> Action:
    """``value`` as an :class:`Action`; unknown is :class:`InvalidInput` ``unknown_action``."""
    try:
        return Action(value)
    except ValueError:
        raise InvalidInput(
            "unknown_action",
            f"Action inconnue : « {value} ».",
            f"Unknown action: “{value}”.",
            field="action",
        ) from None


def can(role: Role | str, action: Action | str) -> bool:
    """Whether ``role`` may do ``action``, by :data:`PERMISSIONS` alone.

    Strings are accepted (roles come from storage and tokens); an unknown role or action raises
    :class:`InvalidInput` rather than answering, so a typo never reads as a plain "no".
    """
    return parse_role(role) in PERMISSIONS[parse_action(action)]


def require(
    role: Role | str, action: Action | str, *, doing: tuple[str, str] | None = None
) -> None:
    """Return if ``role`` may do ``action``; else raise :class:`Forbidden` (code ``forbidden``)
    that names what was refused: the action, or ``doing`` — what the person tried, as French and
    English infinitives — when ``action`` allows it under another name (proposing an amendment
    is allowed by ``COMMENT``, and refused as « proposer un amendement », not « commenter »)."""
    role, action = parse_role(role), parse_action(action)
    if role not in PERMISSIONS[action]:
        fr, en = doing or (action.label_fr, action.label_en)
        raise Forbidden(
            "forbidden",
            f"Votre rôle ({role.label_fr}) ne permet pas {_de(fr)}.",
            f"Your role ({role.label_en}) does not allow you to {en}.",
        )


def _de(infinitive: str) -> str:
    """« de voter », « d’organiser »: French elides *de* before a vowel."""
    return ("d’" if infinitive[:1] in "aeiouyéèêàâîô" else "de ") + infinitive


def allowed_actions(role: Role | str) -> frozenset[Action]:
    """Every action ``role`` may do (what a client shows or hides)."""
    role = parse_role(role)
    return frozenset(action for action, roles in PERMISSIONS.items() if role in roles)
