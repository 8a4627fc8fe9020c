"""Request and response bodies of the HTTP API (msgspec; validated at the edge).

Create/Update/Read shapes are separate: what a client may send is never what it reads back.
Limits here are the first line; the domain's rules are the second.

Every JSON body is checked once, whatever its route, before any shape (:class:`CheckedRequest`):
it nests at most :data:`MAX_JSON_DEPTH` deep, and none of its strings (keys included) holds a
character people do not type — NUL, the other controls but tab and line breaks, the line and
paragraph separators, the bidi embeddings, overrides and isolates
(:func:`domain.errors.refused_character`). Each refusal is a 400 problem naming the field. The
shapes below then keep a line to one line (:data:`ONE_LINE`) and numbers within what a database
column holds (:data:`DB_INT_MAX`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.serialization import decode_json
from litestar.types import Empty
from litestar.typing import FieldDefinition

from domain.errors import refused_character
from server.db.models import DB_INT_MAX
from server.errors import Problem

#: One line: no line break nor tab (the other controls are refused for every body). The
#: ``(?!\n)``: msgspec matches with ``re.search``, whose ``$`` also matches before a last newline.
ONE_LINE: Final = msgspec.Meta(pattern=r"^[^\n\r\t]*(?!\n)$")

Name = Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=80)]
Title = Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=200)]
Item = Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Short = Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=200)]
#: An identifier or a code a client sends back (a proposal's id, an invitation code).
Ref = Annotated[str, ONE_LINE, msgspec.Meta(max_length=64)]
#: A number counted from 1 and stored (a charter's version).
Number = Annotated[int, msgspec.Meta(ge=1, le=DB_INT_MAX)]


# --- what every JSON body is checked for --------------------------------------------------------

#: The deepest a request's JSON may nest. The API's own bodies nest four deep (a ballot's
#: ranking); msgspec's decoder recurses, and a body nested a thousand deep raised RecursionError.
MAX_JSON_DEPTH: Final = 32

# In a JSON text a refused character is either escaped (``\u0000``, ``\b``, ``\u202e``) or
# written as is in UTF-8 (U+007F–U+009F, U+2028–U+202E, U+2066–U+2069): a body with none of
# these bytes holds none, and is not walked. (An escaped backslash before ``u0000`` matches too;
# the walk then finds nothing.)
_SUSPECT = re.compile(
    rb"\\(?:u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|202[89a-eA-E]|206[6-9])|[bf])"
    rb"|\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
)
_LINE_BREAKS: Final = "\t\n\r"  # a field that must be one line says so in its shape


def _too_deep() -> Problem:
    return Problem(
        400,
        "json_too_deep",
        f"Le corps de la requête est imbriqué trop profondément ({MAX_JSON_DEPTH} niveaux au "
        "plus).",
        f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
        max_depth=MAX_JSON_DEPTH,
    )


def _refused(path: str, char: str) -> Problem:
    field = path or "body"
    return Problem(
        400,
        "control_character",
        f"Le champ « {field} » contient un caractère invisible ou de contrôle "
        f"(U+{ord(char):04X}) : retirez-le.",
        f"The field “{field}” contains an invisible or control character (U+{ord(char):04X}).",
        field=field,
    )


def check_json(body: bytes, value: Any) -> None:
    """Raise a 400 :class:`Problem` if ``value`` (``body`` decoded) nests deeper than
    :data:`MAX_JSON_DEPTH` or holds a refused character, naming the field (``agenda[1].title``).

    Walks ``value`` only when ``body`` could hold either (more brackets than the bound, or a
    suspect byte sequence), without recursion."""
    deep = body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
    suspect = _SUSPECT.search(body) is not None
    if not (deep or suspect):
        return
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if suspect and (char := refused_character(node, allowed=_LINE_BREAKS)):
                raise _refused(path, char)
        elif isinstance(node, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            if isinstance(node, dict):
                children = []
                for key, child in node.items():
                    where = f"{path}.{key}" if path else str(key)
                    if suspect and (char := refused_character(key, allowed="")):
                        raise _refused(where, char)
                    children.append((child, where, depth + 1))
            else:
                children = [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(node)]
            stack.extend(reversed(children))  # fields in the order they were written


async def check_url(request: Request[Any, Any, Any]) -> None:
    """Before every route: a NUL in the path or the query is refused (400) before any lookup
    (PostgreSQL refuses NUL in text, and the query failed with a 500)."""
    if "\x00" in request.scope["path"] or b"%00" in request.scope["query_string"]:
        raise Problem(
            400,
            "control_character",
            "L’adresse contient un caractère nul (U+0000).",
            "The address contains a NUL character (U+0000).",
        )


class CheckedRequest(Request[Any, Any, Any]):
    """The application's request: its JSON body is checked by :func:`check_json` as it is
    decoded, before any route reads it."""

    async def json(self) -> Any:
        # Litestar's own ``Request.json``, with the check before the value is kept (the same
        # private caches: the decoded body is shared by every reader of the request).
        if self._json is Empty:
            if (cached := self._connection_state.json) is not Empty:
                self._json = cached
            else:
                body = await self.body() or b"null"
                try:
                    value = decode_json(
                        body, type_decoders=self.route_handler.resolve_type_decoders()
                    )
                except RecursionError:
                    raise _too_deep() from None
                check_json(body, value)
                self._json = self._connection_state.json = value
        return self._json


class AgendaItemIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Item
    #: Planned, or ``None`` when not (a point carried from the previous séance's next agenda
    #: has none: ``domain.sessions.AgendaItem``), so that such a séance can be sent back whole.
    minutes: Annotated[int, msgspec.Meta(ge=1, le=600)] | None = None
    #: The writing mode the step of the same rank sets on the atelier's proposals when it
    #: starts (issue 20, #4); absent: unchanged (``domain.sessions.writing_at``).
    writing: Literal["libre", "amendements"] | None = None


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
    #: An atelier de projet's budget line or financing note (« ligne budgétaire … »).
    financing: Short | None = None
    #: An atelier de projet's pilot service (« Direction de territoire Neudorf »).
    pilot_service: Short | None = None


class AtelierClose(msgspec.Struct, forbid_unknown_fields=True):
    """« Clore l'atelier »: ``reason`` is public (its page, its join codes, its followers'
    e-mail); empty or absent, none is given."""

    reason: Annotated[str, ONE_LINE, msgspec.Meta(max_length=500)] | None = None


class AtelierEdit(msgspec.Struct, forbid_unknown_fields=True):
    """An atelier's description as a whole (the form sends every field). Its kind is not
    here: an atelier de projet is the city's from its creation (« Who may create what »)."""

    title: Title
    subject: LongText
    scope: Literal["quartier", "ville"]
    neighbourhood: Short | None = None
    instances: list[Literal["CQ", "CC", "CRE", "CDJ", "CD", "ATP"]] = []
    pilots: Annotated[list[Name], msgspec.Meta(max_length=20)] = []
    min_residents: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 5
    financing: Short | None = None
    pilot_service: Short | None = None


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    date: date
    start_time: time
    mode: Literal["presentiel", "distanciel", "hybride"]
    end_time: time | None = None
    place: Short | None = None
    remote_link: (
        Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\n\r\t]*(?!\n)$")] | None
    ) = None
    objectives: Annotated[list[Item], msgspec.Meta(max_length=30)] = []
    agenda: Annotated[list[AgendaItemIn], msgspec.Meta(max_length=50)] = []
    method_steps: Annotated[list[Item], msgspec.Meta(max_length=50)] = []
    next_agenda: Annotated[list[Item], msgspec.Meta(max_length=30)] = []


class JoinRequest(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Name
    role: Literal["habitant", "elu", "agent", "animateur", "conseil", "observateur"]
    accept_charter_version: Number | None = None
    invitation_code: Ref | None = None
    show_name_in_minutes: bool = False


class CharterUpdate(msgspec.Struct, forbid_unknown_fields=True):
    text: LongText


class CharterAcceptance(msgspec.Struct, forbid_unknown_fields=True):
    version: Number


class StepMove(msgspec.Struct, forbid_unknown_fields=True):
    move: Literal["start", "next", "previous", "goto"]
    index: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None


class TimerAction(msgspec.Struct, forbid_unknown_fields=True):
    """The step timer: ``start`` (``minutes``, by default the agenda's for the current step,
    else 10), ``pause``, ``resume``, ``add`` (``minutes``, negative to take some off), ``stop``."""

    action: Literal["start", "pause", "resume", "add", "stop"]
    minutes: Annotated[int, msgspec.Meta(ge=-240, le=240)] | None = None


class SessionCancel(msgspec.Struct, forbid_unknown_fields=True):
    """« Annuler la séance »: ``reason`` is public (the atelier's page, calendars, e-mails);
    empty or absent, none is given."""

    reason: Annotated[str, ONE_LINE, msgspec.Meta(max_length=500)] | None = None


class WalkInCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Someone at the door without a phone: the facilitator registers and checks them in."""

    display_name: Name
    role: Literal["habitant", "elu", "agent", "observateur"] = "habitant"
    show_name_in_minutes: bool = False


class CheckInFor(msgspec.Struct, forbid_unknown_fields=True):
    participant_id: Ref


class RoleChange(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["habitant", "elu", "agent", "animateur", "observateur"]


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["elu", "agent", "animateur", "conseil"]
    valid_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 90)] = 24 * 14


class ProposalCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    kind: Literal["fiche_action", "synthese"] = "fiche_action"
    session_id: str | None = None


#: A comment's id, chosen by the client so that sending it twice (a retry, a double click)
#: creates one comment: 32 lowercase hex digits, as a UUID without dashes.
CommentId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
#: A comment's text; its bounds (1 to 2,000 characters once trimmed) are ``domain.comments``',
#: answered as 422 problems with the words the comment form uses.
CommentBody = Annotated[str, msgspec.Meta(max_length=20_000)]
#: One encoded Yjs relative position, base64 (``domain.comments.anchor`` bounds its bytes).
Anchor = Annotated[str, msgspec.Meta(max_length=4096)]


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new thread on a section: on a passage (``anchor_start``, ``anchor_end`` and the
    ``quote`` of the passage as it is now) or on the whole section (none of the three)."""

    section: Ref
    body: CommentBody
    id: CommentId | None = None
    anchor_start: Anchor | None = None
    anchor_end: Anchor | None = None
    quote: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None


class ReplyCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: CommentBody
    id: CommentId | None = None


class ResolveRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: True: the thread is resolved (shown folded); False: reopened.
    resolved: bool


# --- amendments (issue 20, #4) -----------------------------------------------------------------


class AmendmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A replacement for a passage of one paragraph: its two positions (base64 Yjs relative
    positions), the passage as it reads now, the new text (empty: delete it), why."""

    section: Ref
    anchor_start: Anchor
    anchor_end: Anchor
    quote: Annotated[str, msgspec.Meta(max_length=20_000)]
    replacement: Annotated[str, msgspec.Meta(max_length=20_000)]
    rationale: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None


class AmendmentModeChange(msgspec.Struct, forbid_unknown_fields=True):
    #: True: « amendements » (participants propose, facilitators write); False: « écriture
    #: libre ».
    enabled: bool


class AmendmentReject(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None


class AmendmentVote(msgspec.Struct, forbid_unknown_fields=True):
    """Put amendments to a vote in one action: one option « Garder le texte actuel », one per
    amendment; created open in ``session_id``."""

    amendment_ids: Annotated[list[Ref], msgspec.Meta(min_length=1, max_length=49)]
    session_id: Ref
    method: MethodName | None = None
    title: Title | None = None


class AmendmentAuthor(msgspec.Struct):
    participant_id: str
    #: The name they chose (a pseudonym once erased).
    name: str | None
    role: str


class AmendmentRead(msgspec.Struct):
    id: str
    proposal_id: str
    section: str
    anchor_start: str
    anchor_end: str
    #: The passage as it read when proposed: plain text, shown as text, never as HTML.
    quote: str
    replacement: str
    rationale: str | None
    author: AmendmentAuthor
    mine: bool
    #: proposee, au_vote, applying, acceptee, rejetee, retiree
    status: str
    poll_id: str | None
    created_at: datetime
    decided_at: datetime | None
    #: Who decided it (a facilitator's name); None for a vote's result, or undecided.
    decided_by: str | None
    #: A vote's summary (``method``, ``winner``, ``counts``, ``tie``), or ``{"reason"}`` of a
    #: rejection.
    result: dict[str, Any] | None
    #: Its passage is gone from the live text (deleted meanwhile): it can still be decided.
    detached: bool = False
    #: How an accepted one went in: replaced, inserted (passage gone), appended (paragraph
    #: gone: a new paragraph at the end of its section), nothing.
    applied: str | None = None


class AmendmentVoteRead(msgspec.Struct):
    poll_id: str
    amendments: list[AmendmentRead]


class AmendmentModeRead(msgspec.Struct):
    proposal_id: str
    amendment_mode: bool


RoleName = Literal["habitant", "elu", "agent", "animateur", "conseil", "observateur"]
MethodName = Literal[
    "plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"
]
# A ballot is a small JSON object; its shape is the method's business (domain.voting).
BallotBody = dict[str, Any]


class PollOptionIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Title
    proposal_id: Ref | None = None


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
    on_behalf_of: Ref | None = None


class HeadcountBody(msgspec.Struct, forbid_unknown_fields=True):
    """People in the room, device or not, as the facilitator counted them; null clears it."""

    headcount: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None


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


class CommentRead(msgspec.Struct):
    """A comment as a participant reads it. ``body`` is plain text, to be shown as text (never
    as HTML); empty, with ``deleted``, for a thread's first comment deleted while it has
    replies. ``mine``, ``may_resolve`` and ``may_delete`` are for the reader."""

    id: str
    thread_id: str | None
    section: str
    author_name: str
    author_role: str
    body: str
    created_at: datetime
    deleted: bool
    mine: bool
    may_delete: bool


class ThreadRead(CommentRead):
    """A thread's first comment, with its anchor and its replies (oldest first). The anchor is
    two base64 Yjs relative positions (``null``: the whole section); ``quote`` is the passage as
    it was when commented."""

    anchor_start: str | None
    anchor_end: str | None
    quote: str | None
    resolved_at: datetime | None
    resolved_by: str | None  # who resolved it, by name
    may_resolve: bool
    replies: list[CommentRead]


class CommentsRead(msgspec.Struct):
    """A proposal's threads, oldest first, and whether the reader may comment (``reason``,
    when not: ``closed`` in a closed atelier, ``role`` or ``charter``; ``archived`` for an
    archived proposal)."""

    proposal_id: str
    may_comment: bool
    reason: str | None
    threads: list[ThreadRead]


class CommentDeleted(msgspec.Struct):
    id: str
    thread_id: str | None
    #: A thread's first comment with replies stays, without its text (« commentaire supprimé »).
    kept_for_replies: bool


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
    #: Who locked it: ``freeze`` or ``animation`` (the facilitator's switch); None unlocked.
    locked_by: str | None = None
    #: Set while archived (read-only, no vote option, not handed over; listed apart).
    archived_at: datetime | None = None
    #: How many frozen versions it has (1 to ``versions``).
    versions: int = 0
    #: The council's decision once recorded (outcome, official answer, deliberation, budget
    #: line, milestones): what the participants read on the atelier and proposal pages.
    decision: dict[str, Any] | None = None
    #: « Amendements » (True): participants who do not facilitate propose amendments instead of
    #: writing; False: « écriture libre ».
    amendment_mode: bool = False


# --- what the OpenAPI document says -------------------------------------------------------------


class TimeOfDaySchema(OpenAPISchemaPlugin):
    """A ``datetime.time`` is a time of day (``18:30:00``, RFC 3339 ``time``), which msgspec
    reads and writes; Litestar documents it as a ``duration`` (``PT18H30M``), which it refuses."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is time

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.TIME,
            description="Heure locale de la ville / the city's wall-clock time (HH:MM:SS)",
            examples=["18:30:00"],
        )
