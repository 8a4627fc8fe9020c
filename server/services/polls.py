"""Polls of a séance: setup, lifecycle, ballots (secret or public), ballots entered for others,
run-offs. One transaction per call; the rules are ``domain.polls`` and ``domain.voting``.

Three guarantees are the database's, not this module's good behaviour:

* one ballot per participant and poll: ``poll_voters``' primary key, however requests race;
* no ballot after the close: a ballot's transaction first increments the poll's ``seq`` *where
  the poll is open*, which takes the poll row's lock, so a ballot and the close exclude each
  other, and the close's count sees every ballot that committed before it;
* a ballot is whole or absent: its rows and the ``seq`` increment commit together.

A secret ballot row names nobody. ``poll_voters`` says who voted, ``ballots`` what was voted;
the voter changes their ballot with a receipt that only their device keeps (the row keeps its
SHA-256). While the poll is open, the database itself still knows which rows were written
together (PostgreSQL's transaction ids, the rows' physical order in both tables, on either
engine the order of its free pages). So at the close, in the close's transaction, both tables'
rows of a secret poll are deleted and written again: the ballots under new random ids, in the
order of those ids, without their receipts; the voters in the order of their participant ids.
Every row then carries the close's transaction id, and the physical order — what ``pg_dump`` or
a plain ``SELECT`` prints — follows random keys in one table and participant ids in the other,
never the order of the votes. On PostgreSQL a ``VACUUM`` then drops the old row versions.

Ballots entered by the facilitator (:func:`proxy_ballot`) are as unlinkable: on a secret poll
every ballot's origin reads ``secret``, and the audit log does not say for whom. Those for a
role only stay within the séance's headcount (:func:`_room_for_a_nameless_ballot`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, select, text, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import polls as rules
from domain import sessions as seances
from domain.errors import InvalidTransition
from domain.roles import Action, Role
from domain.voting import BallotError, ParamsError, Result
from domain.voting.ballots import counting_form
from domain.voting.count import LiveCount
from domain.voting.poll import Poll as CountingPoll
from server.actors import Actor
from server.db.models import (
    AttendanceRow,
    BallotRow,
    ParticipantRow,
    PollRow,
    PollVoterRow,
    ProposalRow,
)
from server.db.writes import reading
from server.errors import Problem
from server.live import BallotCounted
from server.schemas import BallotReceipt, PollCreate, ProxyBallotCast
from server.services.ateliers import (
    audit,
    get_seance,
    new_id,
    now,
    record,
    refuse_if_atelier_closed,
    require,
    require_charter,
    session_from_row,
    transaction,
)

__all__ = [
    "TextStates",
    "cast_ballot",
    "close_poll",
    "create_poll",
    "get_poll",
    "list_polls",
    "load_count",
    "open_poll",
    "poll_of",
    "poll_view",
    "proxy_ballot",
    "publish_poll",
    "record_headcount",
    "results_of",
    "runoff",
    "turnout_of",
]

log = logging.getLogger("atelier.polls")

#: The origin every ballot of a secret poll shows: a "procuration" among "direct" ones would
#: single out the ballot of the one person it was entered for.
SECRET_ORIGIN = "secret"

#: Given a poll's proposals, the state of each one's text now: what a ballot was cast on.
TextStates = Callable[[list[str]], Awaitable[dict[str, str]]]


# --- reading ----------------------------------------------------------------------------------


def poll_of(row: PollRow) -> rules.Poll:
    return rules.Poll(
        session_id=row.session_id,
        atelier_id=row.atelier_id,
        title=row.title,
        method=rules.Method(row.method),
        options=tuple(
            rules.Option(str(o["id"]), str(o["label"]), o.get("proposal_id"))  # type: ignore[arg-type]
            for o in row.options
        ),
        params=row.params,
        voter_roles=frozenset(Role(role) for role in row.voter_roles),
        secret=row.secret,
        hide_results=row.hide_results,
        quorum=row.quorum,
        status=rules.PollStatus(row.status),
        runoff_of=row.runoff_of,
    )


def counting_poll(row: PollRow) -> CountingPoll:
    return CountingPoll.create(row.method, [str(o["id"]) for o in row.options], row.params)


def turnout_of(poll: rules.Poll, count: LiveCount) -> dict[str, Any]:
    """Ballots in total and, unless the poll is secret and running, by role."""
    by_role = count.turnout() if rules.live_breakdown(poll) else {}
    return {"total": count.ballots, "by_role": by_role}


def results_of(poll: rules.Poll, count: LiveCount, *, final: bool) -> dict[str, Any]:
    """The results as shown: in total, and by role where neither a role's result nor a
    difference of the results shown is fewer than 3 ballots (``rules.roles_shown``)."""
    turnout = count.turnout()
    shown = rules.roles_shown(poll, turnout)
    by_role: dict[str, Any] = {}
    for role in sorted({r.value for r in poll.voter_roles} | set(turnout)):
        by_role[role] = msgspec.to_builtins(count.result_for(role)) if role in shown else None
    return {
        "total": msgspec.to_builtins(count.result()),
        "by_role": by_role,
        "quorum_reached": rules.quorum_reached(poll, count.ballots),
        "final": final,
    }


def poll_view(
    row: PollRow,
    role: str,
    count: LiveCount | None,
    my_ballot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A poll as ``role`` may see it. ``count`` is the live count of an open poll (None for
    other statuses, whose results are the stored final ones)."""
    poll = poll_of(row)
    final = row.final if row.status in ("closed", "published") else None
    if final is not None:
        turnout = final["turnout"]
    elif count is not None:
        turnout = turnout_of(poll, count)
    else:
        turnout = {"total": 0, "by_role": {}}
    results: dict[str, Any] | None = None
    if rules.results_visible(poll, role):
        if final is not None:
            results = final["results"]
        elif count is not None:
            results = results_of(poll, count, final=False)
    return {
        "id": row.id,
        "session_id": row.session_id,
        "atelier_id": row.atelier_id,
        "title": row.title,
        "method": row.method,
        "options": row.options,
        "params": row.params,
        "voter_roles": row.voter_roles,
        "secret": row.secret,
        "hide_results": row.hide_results,
        "quorum": row.quorum,
        "status": row.status,
        "runoff_of": row.runoff_of,
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "published_at": row.published_at.isoformat() if row.published_at else None,
        "turnout": turnout,
        "results": results,
        "my_ballot": my_ballot,
    }


async def _poll_row(session: AsyncSession, poll_id: str) -> PollRow:
    row = await session.get(PollRow, poll_id, populate_existing=True)
    if row is None:
        raise Problem(404, "poll_not_found", "Vote introuvable.", "Poll not found.")
    return row


async def get_poll(engine: AsyncEngine, actor: Actor, poll_id: str) -> PollRow:
    async with reading(engine) as session:
        row = await _poll_row(session, poll_id)
    require(actor, Action.READ_ATELIER, row.atelier_id)
    return row


async def list_polls(engine: AsyncEngine, actor: Actor, session_id: str) -> list[PollRow]:
    async with reading(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.READ_ATELIER, seance.atelier_id)
        rows = await session.scalars(
            select(PollRow).where(PollRow.session_id == session_id).order_by(PollRow.created_at)
        )
        return list(rows)


async def my_ballot(engine: AsyncEngine, actor: Actor, row: PollRow) -> dict[str, Any]:
    """Whether the actor voted; on a public poll, what (a secret ballot is not findable); and
    whether the facilitator entered their ballot for them (paper, procuration)."""
    async with reading(engine) as session:
        voted = await session.get(PollVoterRow, (row.id, actor.participant_id))
        content = None
        if voted is not None and not row.secret:
            content = await session.scalar(
                select(BallotRow.content).where(
                    BallotRow.poll_id == row.id, BallotRow.participant_id == actor.participant_id
                )
            )
    mine: dict[str, Any] = {"cast": voted is not None, "ballot": content}
    if voted is not None and voted.entered:
        mine["entered_for_me"] = True
    return mine


async def load_count(engine: AsyncEngine, poll_id: str) -> tuple[PollRow, LiveCount]:
    """The poll and its count at the poll's ``seq``, read consistently: the no-op update takes
    the poll row's lock, so no ballot commits between reading ``seq`` and reading ballots."""
    async with transaction(engine) as session:
        await session.execute(update(PollRow).where(PollRow.id == poll_id).values(seq=PollRow.seq))
        row = await _poll_row(session, poll_id)
        return row, await _count_of(session, row)


async def _count_of(session: AsyncSession, row: PollRow) -> LiveCount:
    """The count of every ballot the poll holds, as this transaction sees them."""
    count = LiveCount(counting_poll(row))
    for role, form in await session.execute(
        select(BallotRow.role, BallotRow.form).where(BallotRow.poll_id == row.id)
    ):
        count.add(role, tuple(form))
    return count


# --- setup and lifecycle ------------------------------------------------------------------------


def _refusal(exc: ParamsError | BallotError) -> Problem:
    return Problem(422, exc.rule, exc.message_fr, str(exc).split(": ", 1)[-1])


async def create_poll(
    engine: AsyncEngine, actor: Actor, session_id: str, body: PollCreate
) -> PollRow:
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.RUN_POLL, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        proposal_ids = {o.proposal_id for o in body.options if o.proposal_id}
        if proposal_ids:
            found = set(
                await session.scalars(
                    select(ProposalRow.id).where(
                        ProposalRow.id.in_(proposal_ids),
                        ProposalRow.atelier_id == seance.atelier_id,
                    )
                )
            )
            if missing := sorted(proposal_ids - found):
                raise Problem(
                    422,
                    "unknown_proposal",
                    f"Proposition inconnue dans cet atelier : {missing[0]}.",
                    f"No such proposal in this atelier: {missing[0]}.",
                )
            archived = await session.scalar(
                select(ProposalRow.title)
                .where(ProposalRow.id.in_(proposal_ids), ProposalRow.archived_at.is_not(None))
                .limit(1)
            )
            if archived is not None:
                raise Problem(
                    422,
                    "proposal_archived",
                    f"« {archived} » est archivée : elle ne peut pas être soumise au vote.",
                    f"“{archived}” is archived: it cannot be put to the vote.",
                )
        try:
            poll = rules.new_poll(
                body.title,
                body.method,
                [(o.label, o.proposal_id) for o in body.options],
                body.params,
                session_id=session_id,
                atelier_id=seance.atelier_id,
                voter_roles=body.voter_roles,
                secret=body.secret,
                hide_results=body.hide_results,
                quorum=body.quorum,
            )
        except ParamsError as exc:
            raise _refusal(exc) from exc
        row = _row_of(poll, new_id(), actor.participant_id)
        session.add(row)
    return row


def _row_of(poll: rules.Poll, poll_id: str, created_by: str) -> PollRow:
    return PollRow(
        id=poll_id,
        session_id=poll.session_id,
        atelier_id=poll.atelier_id,
        title=poll.title,
        method=poll.method.value,
        options=[
            {"id": o.id, "label": o.label, "proposal_id": o.proposal_id} for o in poll.options
        ],
        params=dict(poll.params),
        voter_roles=sorted(role.value for role in poll.voter_roles),
        secret=poll.secret,
        hide_results=poll.hide_results,
        quorum=poll.quorum,
        status=poll.status.value,
        runoff_of=poll.runoff_of,
        seq=0,
        created_by=created_by,
        created_at=now(),
    )


async def _move(
    engine: AsyncEngine,
    actor: Actor,
    poll_id: str,
    step: Callable[[rules.Poll], rules.Poll],
    stamp: str,
    then: Callable[[AsyncSession, PollRow], Awaitable[None]] | None = None,
) -> PollRow:
    """One lifecycle step: the domain says whether it may happen; a conditional update makes
    sure it happens once, however many facilitators click at the same moment."""
    async with transaction(engine) as session:
        row = await _poll_row(session, poll_id)
        require(actor, Action.RUN_POLL, row.atelier_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        moved = step(poll_of(row))
        changed = await session.execute(
            update(PollRow)
            .where(PollRow.id == poll_id, PollRow.status == row.status)
            .values({"status": moved.status.value, stamp: now()})
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            row = await _poll_row(session, poll_id)
            step(poll_of(row))  # raises the refusal for the state it is really in
            raise Problem(
                409, "poll_changed", "Le vote vient de changer.", "The poll just changed."
            )
        row = await _poll_row(session, poll_id)
        if then is not None:
            await then(session, row)
    return row


async def open_poll(engine: AsyncEngine, actor: Actor, poll_id: str) -> PollRow:
    return await _move(engine, actor, poll_id, rules.open_poll, "opened_at")


async def _count_final(session: AsyncSession, row: PollRow) -> None:
    count = await _count_of(session, row)
    row.final = {
        "seq": row.seq,
        "turnout": turnout_of(poll_of(row), count),
        "results": results_of(poll_of(row), count, final=True),
    }
    if row.secret:
        await _unlink_ballots(session, row.id)


async def _unlink_ballots(session: AsyncSession, poll_id: str) -> None:
    """Write a closed secret poll's ballots and voters again, so that nothing the database
    keeps of the order or the transaction they were cast in remains (module docstring).
    Receipts go too: nobody can change a ballot any more."""
    ballots = (await session.scalars(select(BallotRow).where(BallotRow.poll_id == poll_id))).all()
    voters = (
        await session.execute(
            select(PollVoterRow.participant_id, PollVoterRow.entered).where(
                PollVoterRow.poll_id == poll_id
            )
        )
    ).all()
    fresh = sorted(
        (
            {
                "id": secrets.token_hex(16),
                "poll_id": poll_id,
                "receipt_hash": None,
                "participant_id": None,
                "role": ballot.role,
                "origin": SECRET_ORIGIN,  # rows of polls closed before it was so
                "content": ballot.content,
                "form": ballot.form,
                "texts": ballot.texts,
            }
            for ballot in ballots
        ),
        key=lambda values: values["id"],
    )
    for ballot in ballots:  # the ORM must not flush its copies of the rows deleted here
        session.expunge(ballot)
    await session.execute(delete(BallotRow).where(BallotRow.poll_id == poll_id))
    await session.execute(delete(PollVoterRow).where(PollVoterRow.poll_id == poll_id))
    if fresh:
        await session.execute(insert(BallotRow), fresh)
    if voters:
        await session.execute(
            insert(PollVoterRow),
            [
                {"poll_id": poll_id, "participant_id": who, "entered": entered}
                for who, entered in sorted(voters)
            ],
        )


async def close_poll(engine: AsyncEngine, actor: Actor, poll_id: str) -> PollRow:
    row = await _move(engine, actor, poll_id, rules.close_poll, "closed_at", _count_final)
    if row.secret and engine.dialect.name == "postgresql":
        await _vacuum_ballots(engine)
    return row


async def _vacuum_ballots(engine: AsyncEngine) -> None:
    """Purge the old versions of ballot and voter rows (PostgreSQL keeps them until vacuumed)."""
    try:
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ballots, poll_voters"))
    except Exception:  # autovacuum will do it later; the close itself is done
        log.warning("polls: VACUUM ballots failed", exc_info=True)


async def publish_poll(engine: AsyncEngine, actor: Actor, poll_id: str) -> PollRow:
    return await _move(engine, actor, poll_id, rules.publish_poll, "published_at")


async def runoff(engine: AsyncEngine, actor: Actor, poll_id: str) -> PollRow:
    """A run-off between the options tied for first, created and opened in one step."""
    async with transaction(engine) as session:
        # The poll's row locked first (PostgreSQL): two clicks make one run-off, not two.
        await session.execute(select(PollRow.id).where(PollRow.id == poll_id).with_for_update())
        row = await _poll_row(session, poll_id)
        require(actor, Action.RUN_POLL, row.atelier_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        result = (
            None if row.final is None else msgspec.convert(row.final["results"]["total"], Result)
        )
        already = await session.scalar(select(PollRow.id).where(PollRow.runoff_of == row.id))
        second = rules.open_poll(
            rules.runoff(poll_of(row), result, of=row.id, already=already is not None)
        )
        new = _row_of(second, new_id(), actor.participant_id)
        new.opened_at = now()
        session.add(new)
    return new


# --- ballots ----------------------------------------------------------------------------------


def _hash(receipt: str, participant_id: str) -> str:
    """What a secret ballot's row keeps of its receipt: bound to the voter who was given it, so
    that another voter holding it cannot change that ballot. Only someone holding both the
    receipt (the voter's device) and the participant id can reproduce it: the row still names
    nobody."""
    return hashlib.sha256(f"{receipt}\n{participant_id}".encode()).hexdigest()


async def _take_seq(session: AsyncSession, poll_id: str) -> int:
    """The next ballot change number, taking the poll's row lock; refused once it is closed."""
    seq = await session.scalar(
        update(PollRow)
        .where(PollRow.id == poll_id, PollRow.status == rules.PollStatus.OPEN.value)
        .values(seq=PollRow.seq + 1)
        .returning(PollRow.seq)
    )
    if seq is None:
        raise InvalidTransition(
            "poll_not_open",
            "Ce vote n’est pas ouvert : il n’accepte pas de bulletin.",
            "This poll is not open: it takes no ballot.",
        )
    return int(seq)


def _already_voted() -> Problem:
    return Problem(
        409,
        "already_voted",
        "Vous avez déjà voté. Pour changer votre bulletin, utilisez l’appareil avec lequel "
        "vous avez voté.",
        "You have already voted. To change your ballot, use the device you voted with.",
    )


def _entered_for_you() -> Problem:
    """A town hall's rule: the ballot the facilitator entered (a procuration, a paper ballot
    handed in) is in the urn and counted; the person does not vote a second time, and hears
    why rather than "you have already voted", which they know they have not."""
    return Problem(
        409,
        "ballot_entered_for_you",
        "l’animation a saisi un bulletin pour vous (papier ou procuration) : il est compté, "
        "et vous ne pouvez pas voter une seconde fois. Si vous n’avez rien demandé, "
        "adressez-vous à l’animation.",
        "The facilitator entered a ballot for you (paper or proxy): it is counted, and you "
        "cannot vote a second time. If you asked for nothing, speak to the facilitator.",
    )


def _voted_already(entered: bool) -> Problem:
    """The facilitator entering a ballot for someone who has one."""
    how = "l’animation a déjà saisi le sien" if entered else "avec son appareil"
    return Problem(
        409,
        "already_voted",
        f"Cette personne a déjà voté ({how}) : un second bulletin n’est pas possible.",
        "This person has already voted: a second ballot is not possible.",
    )


async def _texts(row: PollRow, text_states: TextStates) -> dict[str, str]:
    proposals = sorted({str(o["proposal_id"]) for o in row.options if o.get("proposal_id")})
    return await text_states(proposals) if proposals else {}


async def cast_ballot(
    engine: AsyncEngine,
    actor: Actor,
    poll_id: str,
    ballot: dict[str, Any],
    receipt: str | None,
    text_states: TextStates,
) -> tuple[BallotReceipt, BallotCounted]:
    """Cast, or change, the actor's own ballot."""
    try:
        async with transaction(engine) as session:
            row = await _poll_row(session, poll_id)
            require(actor, Action.READ_ATELIER, row.atelier_id)
            await refuse_if_atelier_closed(session, row.atelier_id)
            rules.may_vote(poll_of(row), actor.role)
            require_charter(actor)  # a revised charter is accepted before voting again
            form = _checked_form(row, ballot)
            texts = await _texts(row, text_states)
            seq = await _take_seq(session, poll_id)
            old: list[int] | None = None
            if row.secret and receipt is not None:
                existing = await session.scalar(
                    select(BallotRow).where(
                        BallotRow.poll_id == poll_id,
                        BallotRow.receipt_hash == _hash(receipt, actor.participant_id),
                    )
                )
                voted = await session.get(PollVoterRow, (poll_id, actor.participant_id))
                if existing is None or voted is None:
                    raise Problem(
                        404,
                        "unknown_receipt",
                        "Ce reçu ne correspond à aucun bulletin de ce vote.",
                        "This receipt matches no ballot of this poll.",
                    )
            elif not row.secret:
                existing = await session.scalar(
                    select(BallotRow).where(
                        BallotRow.poll_id == poll_id,
                        BallotRow.participant_id == actor.participant_id,
                    )
                )
            else:
                existing = None
            if existing is not None:
                old = list(existing.form)
                existing.content, existing.form, existing.texts = ballot, form, texts
            else:
                voter = await session.get(PollVoterRow, (poll_id, actor.participant_id))
                if voter is not None:
                    raise _entered_for_you() if voter.entered else _already_voted()
                session.add(PollVoterRow(poll_id=poll_id, participant_id=actor.participant_id))
                await session.flush()  # the primary key refuses a second ballot here
                receipt = secrets.token_urlsafe(24) if row.secret else None
                session.add(
                    BallotRow(
                        id=secrets.token_hex(16),
                        poll_id=poll_id,
                        receipt_hash=_hash(receipt, actor.participant_id) if receipt else None,
                        participant_id=None if row.secret else actor.participant_id,
                        role=actor.role,
                        origin=SECRET_ORIGIN if row.secret else "direct",
                        content=ballot,
                        form=form,
                        texts=texts,
                    )
                )
    except IntegrityError as exc:
        raise _already_voted() from exc
    delta = BallotCounted(row.session_id, poll_id, seq, actor.role, form, old)
    receipt_body = BallotReceipt(poll_id, receipt if row.secret else None, old is not None, seq)
    return receipt_body, delta


def _checked_form(row: PollRow, ballot: object) -> list[int]:
    """The ballot's counting form, or a 422 naming the rule it breaks."""
    try:
        return list(counting_form(counting_poll(row), ballot))
    except BallotError as exc:
        raise _refusal(exc) from exc


async def proxy_ballot(
    engine: AsyncEngine,
    actor: Actor,
    poll_id: str,
    body: ProxyBallotCast,
    text_states: TextStates,
) -> BallotCounted:
    """A ballot the facilitator enters for someone without a device (paper, proxy).

    For a participant (``on_behalf_of``): one ballot per person as for any other, and they are
    told it was entered for them if they try to vote. For a role only (someone the software
    does not know): within the séance's headcount, less the people it knows (who voted or
    checked in) and the nameless ballots already entered, so that paper ballots never
    outnumber the room.

    Written to the audit log: who entered it, its origin and its role; for whom, only on a
    public poll. On a secret poll the ballot row's origin is ``secret`` like every other's:
    neither the row nor the log lets the person's name be matched to what it says.
    """
    try:
        async with transaction(engine) as session:
            row = await _poll_row(session, poll_id)
            require(actor, Action.ENTER_PROXY_BALLOT, row.atelier_id)
            await refuse_if_atelier_closed(session, row.atelier_id)
            role = body.role
            if body.on_behalf_of is not None:
                voter = await session.get(ParticipantRow, body.on_behalf_of)
                if voter is None or voter.atelier_id != row.atelier_id or voter.revoked_at:
                    raise Problem(
                        422,
                        "unknown_participant",
                        "Participant·e inconnu·e dans cet atelier.",
                        "No such participant in this atelier.",
                    )
                role = voter.role
            if role is None:
                raise Problem(
                    422,
                    "role_required",
                    "Indiquez le rôle de la personne pour qui vous votez.",
                    "Give the role of the person you vote for.",
                )
            rules.may_vote(poll_of(row), role)
            form = _checked_form(row, body.ballot)
            texts = await _texts(row, text_states)
            seq = await _take_seq(session, poll_id)  # from here on, ballots wait for this one
            if body.on_behalf_of is not None:
                voted = await session.get(PollVoterRow, (poll_id, body.on_behalf_of))
                if voted is not None:
                    raise _voted_already(voted.entered)
                session.add(
                    PollVoterRow(poll_id=poll_id, participant_id=body.on_behalf_of, entered=True)
                )
                await session.flush()
            else:
                await _room_for_a_nameless_ballot(session, row)
            session.add(
                BallotRow(
                    id=secrets.token_hex(16),
                    poll_id=poll_id,
                    receipt_hash=None,
                    participant_id=None if row.secret else body.on_behalf_of,
                    role=role,
                    origin=SECRET_ORIGIN if row.secret else body.origin,
                    content=body.ballot,
                    form=form,
                    texts=texts,
                )
            )
            details: dict[str, object] = {"origin": body.origin, "role": role}
            if body.on_behalf_of is not None and not row.secret:
                details["on_behalf_of"] = body.on_behalf_of
            audit(session, row.atelier_id, actor.participant_id, "proxy_ballot", poll_id, **details)
            await record(
                session,
                row.atelier_id,
                "proxy_ballot",
                f"Bulletin saisi par l’animation ({body.origin}) pour le vote « {row.title} »",
                f"Ballot entered by the facilitator ({body.origin}) in the poll “{row.title}”",
            )
    except IntegrityError as exc:
        raise _voted_already(False) from exc
    return BallotCounted(row.session_id, poll_id, seq, role, form, None)


async def _room_for_a_nameless_ballot(session: AsyncSession, row: PollRow) -> None:
    """Refuse a ballot for a role only unless the room has someone left to cast it.

    People in the room: the facilitator's headcount. People the software knows: those who
    voted in this poll (themselves, or through a ballot entered for them) or checked in at the
    séance, each once. Every nameless ballot stands for one more person:
    ``known + nameless + 1 <= headcount``. Called once the poll's row is locked, so two
    facilitators entering ballots at once are counted one after the other.
    """
    seance = await get_seance(session, row.session_id)
    headcount = seance.data.get("headcount")
    if not isinstance(headcount, int):
        raise Problem(
            409,
            "headcount_required",
            "Comptez d’abord les personnes présentes (PUT /api/sessions/{id}/headcount) : un "
            "bulletin sans nom n’est accepté que dans la limite de ce nombre.",
            "Count the people present first (PUT /api/sessions/{id}/headcount): a ballot "
            "without a name is accepted only within that count.",
        )
    ballots = await session.scalar(
        select(func.count()).select_from(BallotRow).where(BallotRow.poll_id == row.id)
    )
    voters = await session.scalar(
        select(func.count()).select_from(PollVoterRow).where(PollVoterRow.poll_id == row.id)
    )
    known_people = union(
        select(PollVoterRow.participant_id).where(PollVoterRow.poll_id == row.id),
        select(AttendanceRow.participant_id).where(AttendanceRow.session_id == row.session_id),
    ).subquery()
    known = int(await session.scalar(select(func.count()).select_from(known_people)) or 0)
    nameless = int(ballots or 0) - int(voters or 0)
    if known + nameless + 1 > headcount:
        raise Problem(
            409,
            "over_headcount",
            f"La salle compte {headcount} personnes : {known} sont connues (elles ont voté ou "
            f"sont inscrites présentes) et {nameless} bulletins sans nom sont déjà saisis. "
            "Si quelqu’un est arrivé, recomptez la salle.",
            f"The room counts {headcount} people: {known} are known (they voted or checked "
            f"in) and {nameless} ballots without a name are already entered. If someone "
            "came in, count the room again.",
            headcount=headcount,
            known=known,
            nameless=nameless,
        )


async def record_headcount(
    engine: AsyncEngine, actor: Actor, session_id: str, headcount: int | None
) -> int | None:
    """The facilitator's count of the people in the room (device or not), which the minutes
    report and which bounds the ballots entered without a name."""
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        counted = seances.record_headcount(session_from_row(seance), headcount).headcount
        seance.data = {**seance.data, "headcount": counted}
        seance.updated_at = now()
        audit(session, seance.atelier_id, actor.participant_id, "headcount", session_id, n=counted)
    return counted


def visible_to_all(row: PollRow) -> bool:
    """Whether a live event may carry the results: every follower sees the same frame."""
    poll = poll_of(row)
    return all(rules.results_visible(poll, role) for role in Role)
