"""Amendments (issue 20, #4), on SQLite and PostgreSQL: a passage of one paragraph anchored as
the browser anchors it (real yjs makes the document and the anchors), proposed, withdrawn,
accepted — the server edits the live text while someone types in the same paragraph, and both
edits survive — rejected, decided once when two facilitators click at once, kept when its
passage was deleted, put to a vote whose close applies the winner; the amendment mode turns a
participant's editor read-only; bad input gets clear problems; an accept cut short between
its edit and « acceptee » never applies the edit twice."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
from pycrdt import XmlFragment, XmlText
from sqlalchemy.ext.asyncio import create_async_engine

from collab.amend import apply_amendment, section_texts
from server.db.models import AmendmentRow
from server.services.amendments import STUCK_AFTER
from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_polls_api import act, vote
from tests.server.test_versions_api import new_proposal, opened, post
from tests.ypy_client import YClient, connect

ANCHORS = Path(__file__).resolve().parents[1] / "interop" / "anchors.mjs"
FIRST = "Le marché ouvre le samedi matin."
SECOND = "Les stands sont gratuits."


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def yjs(sections: dict[str, list[str]], passages: list[tuple[str, int, int, int]]) -> Any:
    """A document and anchors made by real yjs (``tests/interop/anchors.mjs``)."""
    spec = {"sections": sections, "passages": passages}
    out = subprocess.run(
        ["node", str(ANCHORS)],
        check=False,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    return base64.b64decode(made["update"]), made["passages"]


def section(client: YClient, key: str = "proposition") -> str:
    return str(client.doc.get(key, type=XmlFragment))


async def seeded(server: ServerProcess, proposal: dict[str, Any], update: bytes) -> None:
    async with connect(server.doc_url(proposal["doc_id"], token=None)) as writer:
        writer.edit_doc(lambda doc: doc.apply_update(update))
        await writer.round_trip()


async def live_text(server: ServerProcess, proposal: dict[str, Any]) -> str:
    """The section as a newly connected client reads it from the server (the store)."""
    async with connect(server.doc_url(proposal["doc_id"], token=None)) as reader:
        return section(reader)


def start(
    server: ServerProcess, room: Room, passages: list[tuple[str, int, int, int]] | None = None
) -> tuple[dict[str, Any], list[list[str]]]:
    proposal = new_proposal(room, session_id=room.session["id"])
    update, anchors = yjs(
        {"proposition": [FIRST, SECOND]}, passages or [("proposition", 0, 19, 25)]
    )
    asyncio.run(seeded(server, proposal, update))
    return proposal, anchors


def propose(
    room: Room, proposal: dict[str, Any], token: str, anchor: list[str], **body: Any
) -> httpx.Response:
    payload = {
        "section": "proposition",
        "anchor_start": anchor[0],
        "anchor_end": anchor[1],
        "quote": "samedi",
        "replacement": "dimanche",
        "rationale": "Le samedi, le marché bio occupe la place.",
        **body,
    }
    return post(room, f"/api/proposals/{proposal['id']}/amendments", token, **payload)


def amendments(room: Room, proposal: dict[str, Any], token: str) -> list[dict[str, Any]]:
    answer = room.http.get(f"/api/proposals/{proposal['id']}/amendments", headers=room.auth(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def decide(room: Room, amendment: dict[str, Any], step: str, token: str | None = None) -> Any:
    return post(room, f"/api/amendments/{amendment['id']}/{step}", token)


def test_proposed_listed_and_withdrawn_by_its_author_only(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    made = propose(room, proposal, ana, anchor)
    assert made.status_code == 201, made.text
    amendment = made.json()
    assert (amendment["status"], amendment["quote"], amendment["replacement"]) == (
        "proposee",
        "samedi",
        "dimanche",
    )
    assert amendment["author"]["name"] == "Ana"
    assert amendment["mine"] is True
    (seen,) = amendments(room, proposal, bruno)
    assert (seen["id"], seen["mine"], seen["detached"]) == (amendment["id"], False, False)
    refused = decide(room, amendment, "withdraw", bruno)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    withdrawn = decide(room, amendment, "withdraw", ana)
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "retiree")
    again = decide(room, amendment, "accept")
    assert (again.status_code, again.json()["code"]) == (409, "amendment_decided")


def test_accepted_while_someone_types_in_the_same_paragraph_both_edits_survive(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana = room.token_of("Ana")
    amendment = propose(room, proposal, ana, anchor).json()

    async def scenario() -> None:
        seance = await websockets.connect(follow_url(server_on, room.session["id"], ana))
        live = Follower(seance)
        await live.next("snapshot")
        async with connect(server_on.doc_url(proposal["doc_id"], token=room.facilitator)) as typist:

            def type_at_the_end(doc: Any) -> None:
                text = section_texts(doc.get("proposition", type=XmlFragment))[0]
                text.insert(len(text), " Venez nombreux !")

            accepting = asyncio.create_task(asyncio.to_thread(decide, room, amendment, "accept"))
            typist.edit_doc(type_at_the_end)
            await typist.round_trip()
            accepted = await accepting
            assert accepted.status_code == 200, accepted.text
            assert (accepted.json()["status"], accepted.json()["applied"]) == (
                "acceptee",
                "replaced",
            )
            assert accepted.json()["decided_by"]  # the facilitator's name
            # The typist's client gets the server's edit like any peer's.
            await typist.wait_for(lambda: "dimanche" in section(typist), timeout=30)
            assert "Le marché ouvre le dimanche matin. Venez nombreux !" in section(typist)
        await live.next("amendments_changed", proposal_id=proposal["id"])
        await seance.close()
        text = await live_text(server_on, proposal)
        assert "Le marché ouvre le dimanche matin. Venez nombreux !" in text
        assert SECOND in text

    asyncio.run(scenario())


def test_two_facilitators_accepting_at_once_apply_it_once(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    amendment = propose(room, proposal, room.token_of("Ana"), anchor).json()
    second = room.token_of("Sami", "animateur", invitation_code=room.invite("animateur"))

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(room.http.base_url), timeout=60) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            f"/api/amendments/{amendment['id']}/accept", headers=room.auth(token)
                        )
                        for token in (room.facilitator, second)
                    )
                )
            )

    answers = asyncio.run(race())
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["code"] == "amendment_decided"
    text = asyncio.run(live_text(server_on, proposal))
    assert text.count("dimanche") == 1
    assert "samedi" not in text


def test_a_rejected_amendment_leaves_the_text_and_keeps_its_reason(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana = room.token_of("Ana")
    amendment = propose(room, proposal, ana, anchor).json()
    refused = decide(room, amendment, "reject", ana)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    rejected = post(
        room, f"/api/amendments/{amendment['id']}/reject", None, reason="Le dimanche, c’est fermé."
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejetee"
    assert rejected.json()["result"] == {"reason": "Le dimanche, c’est fermé."}
    assert FIRST in asyncio.run(live_text(server_on, proposal))


def test_a_deleted_passage_keeps_its_amendment_detached_and_accepting_it_loses_nothing(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, anchors = start(
        server_on, room, [("proposition", 0, 19, 25), ("proposition", 1, 4, 10)]
    )
    ana = room.token_of("Ana")
    inside = propose(room, proposal, ana, anchors[0]).json()
    whole = propose(room, proposal, ana, anchors[1], quote="stands", replacement="étals").json()

    async def delete_passage_and_paragraph() -> None:
        async with connect(server_on.doc_url(proposal["doc_id"], token=None)) as editor:

            def cut(doc: Any) -> None:
                fragment = doc.get("proposition", type=XmlFragment)
                first = section_texts(fragment)[0]
                del first[20:26]  # « samedi »: pycrdt counts UTF-8 bytes (« é » is two)
                del fragment.children[1]  # the second paragraph, whole

            editor.edit_doc(cut)
            await editor.round_trip()

    asyncio.run(delete_passage_and_paragraph())
    listed = {a["id"]: a for a in amendments(room, proposal, ana)}
    assert listed[inside["id"]]["detached"] is True
    assert listed[whole["id"]]["detached"] is True
    first = decide(room, inside, "accept")
    assert (first.status_code, first.json()["applied"]) == (200, "inserted")
    second = decide(room, whole, "accept")
    assert (second.status_code, second.json()["applied"]) == (200, "appended")
    text = asyncio.run(live_text(server_on, proposal))
    assert "Le marché ouvre le dimanche matin." in text
    assert text.endswith("<paragraph>étals</paragraph>")


def test_put_to_the_vote_in_one_action_the_winner_is_applied_the_others_rejected(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana, carla = room.token_of("Ana"), room.token_of("Carla")
    bruno = room.token_of("Bruno", show_name_in_minutes=True)
    sunday = propose(room, proposal, ana, anchor).json()
    friday = propose(room, proposal, bruno, anchor, replacement="vendredi").json()
    made = post(
        room,
        f"/api/proposals/{proposal['id']}/amendments/vote",
        None,
        amendment_ids=[sunday["id"], friday["id"]],
        session_id=room.session["id"],
    )
    assert made.status_code == 201, made.text
    poll_id = made.json()["poll_id"]
    assert [a["status"] for a in made.json()["amendments"]] == ["au_vote", "au_vote"]
    poll = room.http.get(f"/api/polls/{poll_id}", headers=room.auth(ana)).json()
    assert (poll["status"], poll["method"]) == ("open", "plurality")
    labels = [o["label"] for o in poll["options"]]
    assert labels[0] == "Garder le texte actuel"
    # An option names its author only if they agreed to be named (Bruno did, Ana did not):
    # the labels go into the results, the versions and the public pages.
    assert labels[1:] == ["« samedi » → « dimanche »", "Bruno : « samedi » → « vendredi »"]
    accepting = decide(room, sunday, "accept")
    assert (accepting.status_code, accepting.json()["code"]) == (409, "amendment_decided")
    for token, choice in ((ana, "o3"), (bruno, "o3"), (carla, "o2")):
        assert vote(room, poll, token, {"choice": choice}).status_code == 200
    closed = act(room, poll, "close")
    assert closed.status_code == 200, closed.text
    fates = {a["id"]: a for a in amendments(room, proposal, ana)}
    assert fates[friday["id"]]["status"] == "acceptee", fates[friday["id"]]["result"]
    assert fates[sunday["id"]]["status"] == "rejetee"
    result = fates[friday["id"]]["result"]
    assert (result["method"], result["tie"], result["ballots"]) == ("plurality", False, 3)
    assert "vendredi" in result["winner"]
    text = asyncio.run(live_text(server_on, proposal))
    assert "Le marché ouvre le vendredi matin." in text


def test_a_tied_vote_applies_nothing_and_gives_the_decision_back(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    sunday = propose(room, proposal, ana, anchor).json()
    made = post(
        room,
        f"/api/proposals/{proposal['id']}/amendments/vote",
        None,
        amendment_ids=[sunday["id"]],
        session_id=room.session["id"],
    ).json()
    poll = {"id": made["poll_id"]}
    vote(room, poll, ana, {"choice": "o1"})
    vote(room, poll, bruno, {"choice": "o2"})
    assert act(room, poll, "close").status_code == 200
    (after,) = amendments(room, proposal, ana)
    assert after["status"] == "proposee"
    assert after["result"]["tie"] is True
    assert after["result"]["winner"] is None
    assert FIRST in asyncio.run(live_text(server_on, proposal))
    # The facilitator decides now.
    assert decide(room, sunday, "accept").json()["status"] == "acceptee"


def test_amendment_mode_turns_a_participants_editor_read_only_not_a_facilitators(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, _ = start(server_on, room)
    ana = room.token_of("Ana")
    mode = f"/api/proposals/{proposal['id']}/amendment-mode"

    def token_of(token: str) -> dict[str, Any]:
        return dict(
            room.http.get(f"/api/proposals/{proposal['id']}/token", headers=room.auth(token)).json()
        )

    async def scenario() -> None:
        seance = await websockets.connect(follow_url(server_on, room.session["id"], ana))
        live = Follower(seance)
        await live.next("snapshot")
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            switched = await asyncio.to_thread(
                room.http.put,
                mode,
                json={"enabled": True},
                headers=room.auth(room.facilitator),
            )
            assert switched.status_code == 200, switched.text
            assert switched.json() == {"proposal_id": proposal["id"], "amendment_mode": True}
            await editor.closed.wait()
            assert editor.close_code == 1012
        told = await live.next("proposals_changed", proposal_id=proposal["id"])
        assert told["change"] == "amendment_mode"
        await live.next("amendments_changed", proposal_id=proposal["id"])
        await seance.close()
        assert token_of(ana)["reason"] == "amendements"
        assert token_of(room.facilitator)["read_only"] is False
        read = room.http.get(f"/api/proposals/{proposal['id']}", headers=room.auth(ana))
        assert read.json()["amendment_mode"] is True
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:

            def write(doc: Any) -> None:
                section_texts(doc.get("proposition", type=XmlFragment))[0].insert(0, "Hop. ")

            editor.edit_doc(write)
            await editor.round_trip()
        async with connect(server_on.doc_url(proposal["doc_id"], token=room.facilitator)) as fac:
            assert "Hop." not in section(fac)
            fac.edit_doc(
                lambda doc: doc.get("proposition", type=XmlFragment).children.append(
                    XmlText("Animation.")
                )
            )
            await fac.round_trip()
        assert "Animation." in await live_text(server_on, proposal)
        refused = await asyncio.to_thread(
            room.http.put, mode, json={"enabled": False}, headers=room.auth(ana)
        )
        assert refused.status_code == 403

    asyncio.run(scenario())


def test_bad_input_gets_a_clear_problem(room: Room, server_on: ServerProcess) -> None:
    proposal, anchors = start(
        server_on,
        room,
        [
            ("proposition", 0, 19, 25),
            ("proposition", 0, 19, 32),
            ("proposition", 0, 25, 19),
            ("proposition", 1, 4, 10),
        ],
    )
    ana = room.token_of("Ana")
    update, other = yjs({"proposition": [FIRST, SECOND]}, [("proposition", 0, 3, 8)])
    del update
    # A passage over two paragraphs; one up to the end of its paragraph is fine.
    spans = propose(room, proposal, ana, [anchors[0][0], anchors[3][1]])
    assert (spans.status_code, spans.json()["code"]) == (422, "amendment_spans_blocks")
    to_the_end = propose(room, proposal, ana, anchors[1], quote="samedi matin.")
    assert to_the_end.status_code == 201, to_the_end.text
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"anchor_start": "pas du base64!"}, 422, "invalid_anchor"),
        ({"anchor_start": base64.b64encode(b"\x00\x05").decode()}, 422, "invalid_anchor"),
        ({"anchor_start": other[0][0], "anchor_end": other[0][1]}, 422, "invalid_anchor"),
        ({"anchor_start": anchors[2][0], "anchor_end": anchors[2][1]}, 422, "invalid_anchor"),
        ({"replacement": "x" * 2001}, 422, "too_long"),
        ({"rationale": "x" * 1001}, 422, "too_long"),
        ({"quote": ""}, 422, "empty"),
        ({"section": "nulle-part"}, 422, "unknown_section"),
    ]
    for body, status, code in cases:
        answer = propose(room, proposal, ana, anchors[0], **body)
        assert (answer.status_code, answer.json().get("code")) == (status, code), (
            body,
            answer.text,
        )
    observer = room.token_of("Olga", role="observateur")
    refused = propose(room, proposal, observer, anchors[0])
    assert refused.status_code == 403
    missing = post(room, "/api/amendments/nope/accept", None)
    assert (missing.status_code, missing.json()["code"]) == (404, "amendment_not_found")
    escaped = propose(room, proposal, ana, anchors[0], replacement="<script>alert(1)</script>")
    assert escaped.json()["replacement"] == "<script>alert(1)</script>"  # text, as text


def test_a_role_that_may_not_amend_is_told_it_may_not_propose_an_amendment(
    room: Room, server_on: ServerProcess
) -> None:
    """Proposing is allowed with commenting (the same roles), but the refusal names what the
    person tried: « proposer un amendement », not « commenter »."""
    proposal, (anchor,) = start(server_on, room)
    observer = room.token_of("Olga", role="observateur")
    refused = propose(room, proposal, observer, anchor)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), refused.text
    problem = refused.json()
    assert problem["detail_fr"].replace("\u202f", " ").replace("\u00a0", " ") == (
        "Votre rôle (observateur·rice) ne permet pas de proposer un amendement."
    )
    assert problem["detail_en"] == (
        "Your role (observer) does not allow you to propose an amendment."
    )
    assert amendments(room, proposal, observer) == []  # nothing written
    # A comment, refused to the same role, still says « commenter ».
    comment = post(
        room,
        f"/api/proposals/{proposal['id']}/comments",
        observer,
        section="proposition",
        body="Et le dimanche ?",
    )
    assert comment.status_code == 403, comment.text
    assert comment.json()["detail_en"].endswith("does not allow you to comment.")


def test_the_frozen_version_lists_amendments_with_author_and_fate_and_older_ones_verify(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = start(server_on, room)
    before = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert before.status_code == 201, before.text
    ana = room.token_of("Ana", show_name_in_minutes=True)
    bruno = room.token_of("Bruno")
    sunday = propose(room, proposal, ana, anchor).json()
    friday = propose(room, proposal, bruno, anchor, replacement="<b>vendredi</b>").json()
    assert decide(room, sunday, "accept").status_code == 200
    post(room, f"/api/amendments/{friday['id']}/reject", None, reason="Déjà tranché.")
    frozen = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    base = f"/api/proposals/{proposal['id']}/versions"
    v1 = room.http.get(f"{base}/1", headers=room.auth(ana)).json()
    assert "amendments" not in v1["content"]
    v2 = room.http.get(f"{base}/2", headers=room.auth(ana)).json()
    # A freeze reads the store: the accepted replacement is in it.
    text = next(x["text"] for x in v2["content"]["sections"] if x["key"] == "proposition")
    assert "Le marché ouvre le dimanche matin." in text
    listed = {a["id"]: a for a in v2["content"]["amendments"]}
    kept, dropped = listed[sunday["id"]], listed[friday["id"]]
    assert (kept["quote"], kept["replacement"], kept["fate"]) == ("samedi", "dimanche", "acceptee")
    # Ana asked to be named: a commitment to her name, the name kept beside the version.
    (commitment,) = kept["author"]["named"]
    assert opened(v2, commitment) == "Ana"
    assert kept["author"]["role"] == "habitant"
    assert kept["decided_at"] is not None
    # Bruno did not ask to be named: his role stands for him.
    assert dropped["author"] == {"named": [], "role": "habitant"}
    assert (dropped["fate"], dropped["reason"]) == ("rejetee", "Déjà tranché.")
    verified = room.http.get(
        f"/api/proposals/{proposal['id']}/verify", headers=room.auth(room.facilitator)
    ).json()
    assert (verified["valid"], verified["versions"]) == (True, 2)
    markdown = room.http.get(f"{base}/2/markdown", headers=room.auth(ana)).text
    assert "## Amendements" in markdown
    assert "« samedi » → « dimanche » — proposé par Ana" in markdown.replace("\u00a0", " ")
    assert "accepté" in markdown
    assert "rejeté" in markdown
    page = room.http.get(f"{base}/2/html", headers=room.auth(ana)).text
    assert "Amendements" in page
    assert "&lt;b&gt;vendredi&lt;/b&gt;" in page
    assert "<b>vendredi</b>" not in page


def test_at_most_200_open_amendments_per_proposal(room: Room, server_on: ServerProcess) -> None:
    proposal, (anchor,) = start(server_on, room)
    ana = room.token_of("Ana")
    first = propose(room, proposal, ana, anchor).json()

    async def fill() -> None:
        # 199 more open ones, written straight to the database (the rate limit would take
        # minutes): the bound is the server's count, whoever wrote them.
        engine = create_async_engine(server_on.database_url)
        try:
            async with engine.begin() as conn:
                rows = (
                    (
                        await conn.execute(
                            sa.select(AmendmentRow).where(AmendmentRow.id == first["id"])
                        )
                    )
                    .mappings()
                    .one()
                )
                await conn.execute(
                    sa.insert(AmendmentRow),
                    [{**rows, "id": f"{i:032x}"} for i in range(1, 200)],
                )
        finally:
            await engine.dispose()

    asyncio.run(fill())
    refused = propose(room, proposal, ana, anchor)
    assert (refused.status_code, refused.json()["code"]) == (422, "too_many_amendments")
    assert "200" in refused.json()["detail_fr"]
    # One decided frees a place.
    assert decide(room, first, "reject").status_code == 200
    assert propose(room, proposal, ana, anchor).status_code == 201


# --- a crash between the edit and « acceptee » ----------------------------------------------------


def left_applying(server: ServerProcess, amendment_id: str, ago: timedelta) -> None:
    """The row as a crash between the two writes of an accept leaves it: ``applying``, decided
    ``ago``."""

    async def write() -> None:
        engine = create_async_engine(server.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.update(AmendmentRow)
                    .where(AmendmentRow.id == amendment_id)
                    .values(status="applying", applied=None, decided_at=datetime.now(UTC) - ago)
                )
        finally:
            await engine.dispose()

    asyncio.run(write())


async def edited_as_before_receipts(
    server: ServerProcess, proposal: dict[str, Any], edits: list[tuple[list[str], str]]
) -> None:
    """The edits a server made before documents kept receipts, durable in the store; the
    second paragraph deleted first, so that the last edit appends its words."""
    async with connect(server.doc_url(proposal["doc_id"], token=None)) as editor:

        def edit(doc: Any) -> None:
            del doc.get("proposition", type=XmlFragment).children[1]
            for anchor, replacement in edits:
                a, b = (base64.b64decode(x) for x in anchor)
                apply_amendment(doc, "proposition", a, b, replacement)

        editor.edit_doc(edit)
        await editor.round_trip()


def test_stuck_applying_with_its_edit_already_in_the_text_is_accepted_without_a_second_edit(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (first, second) = start(
        server_on, room, [("proposition", 0, 19, 25), ("proposition", 1, 4, 10)]
    )
    ana = room.token_of("Ana")
    inside = propose(room, proposal, ana, first).json()
    gone = propose(room, proposal, ana, second, quote="stands", replacement="étals").json()
    asyncio.run(
        edited_as_before_receipts(server_on, proposal, [(first, "dimanche"), (second, "étals")])
    )
    left_applying(server_on, inside["id"], timedelta(seconds=5))
    early = decide(room, inside, "accept")  # not stuck yet: maybe still being applied
    assert (early.status_code, early.json()["code"]) == (409, "amendment_decided")
    expected = (
        "<paragraph>Le marché ouvre le dimanche matin.</paragraph><paragraph>étals</paragraph>"
    )
    assert asyncio.run(live_text(server_on, proposal)) == expected
    for amendment, how in ((inside, "replaced"), (gone, "appended")):
        left_applying(server_on, amendment["id"], STUCK_AFTER + timedelta(seconds=30))
        accepted = decide(room, amendment, "accept")
        assert accepted.status_code == 200, accepted.text
        assert (accepted.json()["status"], accepted.json()["applied"]) == ("acceptee", how)
    assert asyncio.run(live_text(server_on, proposal)) == expected  # « étals » once


def test_stuck_applying_after_its_edit_or_before_it_is_applied_exactly_once(
    room: Room, server_on: ServerProcess
) -> None:
    # « Le » → « Ce »: a passage that begins its paragraph, which the text alone cannot
    # recognise once replaced; the receipt written with the edit can.
    proposal, (first, second) = start(
        server_on, room, [("proposition", 0, 0, 2), ("proposition", 1, 4, 10)]
    )
    ana = room.token_of("Ana")
    head = propose(room, proposal, ana, first, quote="Le", replacement="Ce").json()
    stands = propose(room, proposal, ana, second, quote="stands", replacement="étals").json()
    assert decide(room, head, "accept").status_code == 200
    left_applying(server_on, head["id"], STUCK_AFTER + timedelta(seconds=30))  # edited, then…
    left_applying(server_on, stands["id"], STUCK_AFTER + timedelta(seconds=30))  # …not edited
    for amendment in (head, stands):
        accepted = decide(room, amendment, "accept")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "acceptee"
    text = asyncio.run(live_text(server_on, proposal))
    assert text == (
        "<paragraph>Ce marché ouvre le samedi matin.</paragraph>"
        "<paragraph>Les étals sont gratuits.</paragraph>"
    )


def test_handed_to_the_council_an_amendment_is_neither_accepted_nor_put_to_a_vote(
    room: Room, server_on: ServerProcess
) -> None:
    """The live text of a transmitted proposal is read-only for everyone (H4): accepting an
    amendment would edit it behind the editors' backs, so it is refused with its own code."""
    proposal, (anchor,) = start(server_on, room)
    amendment = propose(room, proposal, room.token_of("Ana"), anchor).json()
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    accepted = decide(room, amendment, "accept")
    assert (accepted.status_code, accepted.json()["code"]) == (409, "proposal_transmitted")
    assert "conseil" in accepted.json()["detail_fr"]
    voted = post(
        room,
        f"/api/proposals/{proposal['id']}/amendments/vote",
        None,
        amendment_ids=[amendment["id"]],
        session_id=room.session["id"],
    )
    assert (voted.status_code, voted.json()["code"]) == (409, "proposal_transmitted")
    assert FIRST in asyncio.run(live_text(server_on, proposal))
    assert amendments(room, proposal, room.facilitator)[0]["status"] == "proposee"


def voted_for(room: Room, proposal: dict[str, Any], chosen: list[dict[str, Any]]) -> dict[str, Any]:
    """``chosen`` put to the vote in the séance; Ana and Bruno vote for the first of them."""
    made = post(
        room,
        f"/api/proposals/{proposal['id']}/amendments/vote",
        None,
        amendment_ids=[a["id"] for a in chosen],
        session_id=room.session["id"],
    )
    assert made.status_code == 201, made.text
    poll = {"id": made.json()["poll_id"]}
    for name in ("Ana", "Bruno"):
        assert vote(room, poll, room.token_of(name), {"choice": "o2"}).status_code == 200
    return poll


def test_a_vote_that_closes_after_the_text_was_handed_to_the_council_applies_nothing(
    room: Room, server_on: ServerProcess
) -> None:
    """The vote's result is kept, but its winner is not written into a text the council
    received (H5): it says why, and it cannot be accepted afterwards either."""
    proposal, (anchor,) = start(server_on, room)
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    sunday = propose(room, proposal, ana, anchor).json()
    friday = propose(room, proposal, bruno, anchor, replacement="vendredi").json()
    poll = voted_for(room, proposal, [sunday, friday])
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    closed = act(room, poll, "close")
    assert closed.status_code == 200, closed.text
    fates = {a["id"]: a for a in amendments(room, proposal, ana)}
    won, lost = fates[sunday["id"]], fates[friday["id"]]
    assert (won["status"], won["result"]["not_applied"]) == ("proposee", "transmitted")
    assert "dimanche" in won["result"]["winner"]
    assert won["result"]["ballots"] == 2
    assert lost["status"] == "rejetee"
    assert "not_applied" not in lost["result"]
    assert FIRST in asyncio.run(live_text(server_on, proposal))
    accepted = decide(room, sunday, "accept")
    assert (accepted.status_code, accepted.json()["code"]) == (409, "proposal_transmitted")


@pytest.mark.parametrize(
    ("switch", "body", "why", "undo"),
    [
        ("lock", {"locked": True}, "locked", {"locked": False}),
        ("archive", {"archived": True}, "archived", {"archived": False}),
    ],
)
def test_a_vote_that_closes_on_a_locked_or_archived_text_waits_for_the_facilitator(
    room: Room,
    server_on: ServerProcess,
    switch: str,
    body: dict[str, bool],
    why: str,
    undo: dict[str, bool],
) -> None:
    """Locked or archived while it was voted on: the winner is not applied, it says why, and
    the facilitator accepts it once the text may change again."""
    proposal, (anchor,) = start(server_on, room)
    sunday = propose(room, proposal, room.token_of("Ana"), anchor).json()
    poll = voted_for(room, proposal, [sunday])
    path = f"/api/proposals/{proposal['id']}/{switch}"
    assert post(room, path, None, **body).status_code == 200
    assert act(room, poll, "close").status_code == 200
    (after,) = amendments(room, proposal, room.facilitator)
    assert (after["status"], after["result"]["not_applied"]) == ("proposee", why)
    assert after["result"]["winner"] == "« samedi » → « dimanche »"
    assert FIRST in asyncio.run(live_text(server_on, proposal))
    assert post(room, path, None, **undo).status_code == 200
    assert decide(room, sunday, "accept").json()["status"] == "acceptee"
    assert "Le marché ouvre le dimanche matin." in asyncio.run(live_text(server_on, proposal))


def test_no_amendment_is_proposed_to_a_transmitted_text_and_ones_own_may_be_withdrawn(
    room: Room, server_on: ServerProcess
) -> None:
    """Proposing to a text handed to the council would go nowhere: 409, with its own code.
    Withdrawing one's own pending amendment only tidies, and stays allowed."""
    proposal, (anchor,) = start(server_on, room)
    ana = room.token_of("Ana")
    pending = propose(room, proposal, ana, anchor).json()
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    refused = propose(room, proposal, ana, anchor, replacement="mardi")
    assert (refused.status_code, refused.json()["code"]) == (409, "proposal_transmitted")
    assert "transmise au conseil" in refused.json()["detail_fr"]
    assert [a["id"] for a in amendments(room, proposal, ana)] == [pending["id"]]
    withdrawn = decide(room, pending, "withdraw", ana)
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "retiree")
