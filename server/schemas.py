"""Request and response bodies of the HTTP API (msgspec; validated at the edge).

Create/Update/Read shapes are separate: what a client may send is never what it reads back.
Limits here are the first line; the domain's rules are the second.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Item = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class AgendaItemIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Item
    minutes: Annotated[int, msgspec.Meta(ge=1, le=600)]


class AtelierCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    subject: LongText
    kind: Literal["initiative_citoyenne", "projet"]
    scope: Literal["quartier", "ville"]
    facilitator_name: Name
    neighbourhood: Short | None = None
    instances: list[Literal["CQ", "CC", "CRE", "CDJ", "CD", "ATP"]] = []
    pilots: Annotated[list[Name], msgspec.Meta(max_length=20)] = []
    charter_text: LongText = ""
    min_residents: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 5


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    date: date
    start_time: time
    mode: Literal["presentiel", "distanciel", "hybride"]
    end_time: time | None = None
    place: Short | None = None
    remote_link: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://")] | None = None
    objectives: Annotated[list[Item], msgspec.Meta(max_length=30)] = []
    agenda: Annotated[list[AgendaItemIn], msgspec.Meta(max_length=50)] = []
    method_steps: Annotated[list[Item], msgspec.Meta(max_length=50)] = []
    next_agenda: Annotated[list[Item], msgspec.Meta(max_length=30)] = []


class JoinRequest(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Name
    role: Literal["habitant", "elu", "agent", "animateur", "conseil", "observateur"]
    accept_charter_version: int | None = None
    invitation_code: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    show_name_in_minutes: bool = False


class CharterUpdate(msgspec.Struct, forbid_unknown_fields=True):
    text: LongText


class CharterAcceptance(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]


class StepMove(msgspec.Struct, forbid_unknown_fields=True):
    move: Literal["start", "next", "previous", "goto"]
    index: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["elu", "agent", "animateur", "conseil"]
    valid_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 90)] = 24 * 14


class ProposalCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    kind: Literal["fiche_action", "synthese"] = "fiche_action"
    session_id: str | None = None


RoleName = Literal["habitant", "elu", "agent", "animateur", "conseil", "observateur"]
MethodName = Literal[
    "plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"
]
# A ballot is a small JSON object; its shape is the method's business (domain.voting).
BallotBody = dict[str, Any]


class PollOptionIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Title
    proposal_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class PollCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    method: MethodName
    options: Annotated[list[PollOptionIn], msgspec.Meta(min_length=2, max_length=50)]
    params: dict[str, Any] = {}
    voter_roles: Annotated[list[RoleName], msgspec.Meta(min_length=1)] | None = None
    secret: bool = True
    hide_results: bool = False
    quorum: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None


class BallotCast(msgspec.Struct, forbid_unknown_fields=True):
    ballot: BallotBody
    # A secret poll's receipt, to change the ballot it was given for.
    receipt: Annotated[str, msgspec.Meta(min_length=16, max_length=64)] | None = None


class ProxyBallotCast(msgspec.Struct, forbid_unknown_fields=True):
    ballot: BallotBody
    origin: Literal["papier", "procuration"]
    role: RoleName | None = None  # for someone without an account; else the participant's
    on_behalf_of: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class BallotReceipt(msgspec.Struct):
    poll_id: str
    receipt: str | None  # secret polls: only the voter's device holds it
    changed: bool
    seq: int  # the ballot is in every tally event whose seq is at least this


# --- read shapes ---------------------------------------------------------------------------


class ParticipantRead(msgspec.Struct):
    id: str
    atelier_id: str
    display_name: str
    role: str
    role_label_fr: str
    charter_version: int | None
    joined_at: datetime
    revoked: bool


class Joined(msgspec.Struct):
    participant: ParticipantRead
    token: str
    atelier_id: str
    session_id: str | None = None


class InvitationRead(msgspec.Struct):
    code: str
    atelier_id: str
    role: str
    expires_at: datetime


class ProposalRead(msgspec.Struct):
    id: str
    atelier_id: str
    kind: str
    title: str
    doc_id: str
    session_id: str | None
    sections: list[dict[str, str]]
    created_at: datetime
    #: Where it is on its way to the council (``domain.proposals.ProposalStatus``), and whether
    #: its live text is locked by a freeze: the console offers « Transmettre » on a frozen one.
    status: str
    locked: bool
