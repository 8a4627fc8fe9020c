"""Comments on a proposal (issue 20, #3), on SQLite and PostgreSQL: threads on a passage with
replies, resolve and delete by the right people, told live to every open editor; the roles
that comment and those that read; bounds answered as clear problems; a body shown as the text
it is; the author's name erased with the person's other names."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_versions_api import new_proposal, post

# Two encoded Yjs relative positions, as a browser sends them (their bytes are opaque here).
START = base64.b64encode(bytes([1, 0, 171, 190, 7, 5, 0])).decode()
END = base64.b64encode(bytes([1, 0, 171, 190, 7, 12, 255, 255, 255, 255, 15])).decode()
PASSAGE = "un composteur au pied de chaque immeuble"


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def comments_of(room: Room, proposal: dict[str, Any], token: str) -> dict[str, Any]:
    answer = room.http.get(f"/api/proposals/{proposal['id']}/comments", headers=room.auth(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def start(room: Room, proposal: dict[str, Any], token: str, **body: Any) -> httpx.Response:
    payload = {
        "section": "proposition",
        "body": "Et les immeubles sans cour ?",
        "anchor_start": START,
        "anchor_end": END,
        "quote": PASSAGE,
        **body,
    }
    return post(room, f"/api/proposals/{proposal['id']}/comments", token, **payload)


def reply(room: Room, comment_id: str, token: str, text: str, **extra: Any) -> httpx.Response:
    return post(room, f"/api/comments/{comment_id}/replies", token, body=text, **extra)


def resolve(room: Room, comment_id: str, token: str, resolved: bool = True) -> httpx.Response:
    return post(room, f"/api/comments/{comment_id}/resolve", token, resolved=resolved)


def remove(room: Room, comment_id: str, token: str) -> httpx.Response:
    return room.http.delete(f"/api/comments/{comment_id}", headers=room.auth(token))


def test_a_passage_commented_gets_replies_and_is_resolved_every_editor_told(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")

    async def scenario() -> None:
        async with websockets.connect(follow_url(server_on, room.session["id"], bruno)) as ws:
            live = Follower(ws)
            await live.next("snapshot")
            started = await asyncio.to_thread(start, room, proposal, ana)
            assert started.status_code == 201, started.text
            await live.next("comments_changed", proposal_id=proposal["id"])
            thread = started.json()
            answered = await asyncio.to_thread(reply, room, thread["id"], bruno, "Sur le toit ?")
            assert answered.status_code == 201, answered.text
            await live.next("comments_changed", proposal_id=proposal["id"])
            done = await asyncio.to_thread(resolve, room, thread["id"], ana)
            assert done.status_code == 200, done.text
            await live.next("comments_changed", proposal_id=proposal["id"])

    asyncio.run(scenario())
    seen = comments_of(room, proposal, bruno)
    assert (seen["may_comment"], seen["reason"]) == (True, None)
    (thread,) = seen["threads"]
    assert thread["section"] == "proposition"
    assert (thread["anchor_start"], thread["anchor_end"], thread["quote"]) == (START, END, PASSAGE)
    # The author is who the token says, whatever the client might claim.
    author = (thread["author_name"], thread["author_role"], thread["mine"])
    assert author == ("Ana", "habitant", False)
    assert [r["body"] for r in thread["replies"]] == ["Sur le toit ?"]
    assert thread["replies"][0]["author_name"] == "Bruno"
    assert thread["replies"][0]["thread_id"] == thread["id"]
    assert thread["resolved_by"] == "Ana"
    assert thread["resolved_at"]
    # Bruno neither started the thread nor runs the séance: he may not reopen it.
    refused = resolve(room, thread["id"], bruno, False)
    assert refused.status_code == 403, refused.text
    assert "animation" in refused.json()["detail_fr"]
    assert thread["may_resolve"] is False
    assert comments_of(room, proposal, ana)["threads"][0]["may_resolve"] is True
    # A reply is not resolved on its own.
    assert resolve(room, thread["replies"][0]["id"], ana).status_code == 422
    # The facilitator reopens it; asking twice changes it once.
    for _ in range(2):
        reopened = resolve(room, thread["id"], room.facilitator, False)
        assert reopened.status_code == 200, reopened.text
        assert (reopened.json()["resolved_at"], reopened.json()["resolved_by"]) == (None, None)
    journal = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/audit", headers=room.auth(room.facilitator)
    ).json()
    ids = {thread["id"], thread["replies"][0]["id"]}
    actions = [e["action"] for e in reversed(journal) if e["target"] in ids]  # newest first
    assert actions == ["comment", "comment_reply", "comment_resolved", "comment_reopened"]
    assert all(PASSAGE not in str(e["details"]) for e in journal)  # the audit keeps no text


def test_sending_the_same_comment_twice_creates_one(room: Room) -> None:
    proposal = new_proposal(room)
    ana = room.token_of("Ana")
    same = uuid.uuid4().hex
    first, again = start(room, proposal, ana, id=same), start(room, proposal, ana, id=same)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert first.json() == again.json()
    reply_id = uuid.uuid4().hex
    for _ in range(2):
        assert reply(room, same, ana, "Précision.", id=reply_id).status_code == 201
    (thread,) = comments_of(room, proposal, ana)["threads"]
    assert len(thread["replies"]) == 1
    # Someone else's id is not theirs to reuse.
    taken = start(room, proposal, room.token_of("Bruno"), id=same)
    assert (taken.status_code, taken.json()["code"]) == (409, "comment_id_taken")


def test_the_roles_that_comment_and_those_that_read(room: Room) -> None:
    proposal = new_proposal(room)
    observer = room.token_of("Olga", "observateur")
    council = room.token_of("Service", "conseil", invitation_code=room.invite("conseil"))
    elue = room.token_of("Élise", "elu", invitation_code=room.invite("elu"))
    agent = room.token_of("Alix", "agent", invitation_code=room.invite("agent"))
    for token, label in ((observer, "observateur·rice"), (council, "conseil municipal")):
        refused = start(room, proposal, token)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail_fr"] == f"Votre rôle ({label}) ne permet pas de commenter."
        assert "comment" in refused.json()["detail_en"]
        # They read the discussion, and are told why they cannot take part.
        seen = comments_of(room, proposal, token)
        assert (seen["may_comment"], seen["reason"]) == (False, "role")
    for token in (elue, agent, room.facilitator, room.token_of("Ana")):
        assert start(room, proposal, token).status_code == 201
    threads = comments_of(room, proposal, observer)["threads"]
    assert [t["author_role"] for t in threads] == ["elu", "agent", "animateur", "habitant"]
    first = threads[0]["id"]
    assert reply(room, first, observer, "Moi aussi").status_code == 403

    # A locked text is still commented (commenting is not editing); an archived one is not.
    locked = post(room, f"/api/proposals/{proposal['id']}/lock", None, locked=True)
    assert locked.status_code == 200, locked.text
    assert start(room, proposal, elue).status_code == 201
    assert reply(room, first, agent, "Toujours d’accord").status_code == 201
    archived = post(room, f"/api/proposals/{proposal['id']}/archive", None, archived=True)
    assert archived.status_code == 200, archived.text
    refused = start(room, proposal, elue)
    assert (refused.status_code, refused.json()["code"]) == (409, "proposal_archived")
    assert comments_of(room, proposal, elue)["reason"] == "archived"

    # Another atelier's people see nothing of it.
    other = Room(room.http)
    stranger = other.token_of("Zoé")
    path = f"/api/proposals/{proposal['id']}/comments"
    assert room.http.get(path, headers=room.auth(stranger)).status_code == 403
    assert reply(room, first, stranger, "Intrus").status_code == 404
    assert remove(room, first, stranger).status_code == 404
    room.http.cookies.clear()  # no token at all
    assert room.http.get(f"/api/proposals/{proposal['id']}/comments").status_code == 401


def test_bad_input_gets_a_clear_problem_and_a_body_comes_back_as_text(room: Room) -> None:
    proposal = new_proposal(room)
    ana = room.token_of("Ana")

    def refused(answer: httpx.Response, code: str) -> dict[str, Any]:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == code
        return dict(answer.json())

    empty = refused(start(room, proposal, ana, body=" \n "), "empty")
    assert empty["detail_fr"] == "Le commentaire est obligatoire."
    long = refused(start(room, proposal, ana, body="é" * 2001), "too_long")
    assert long["detail_fr"] == (
        "Le commentaire doit compter au plus 2000 caractères (2001 saisis)."
    )
    assert start(room, proposal, ana, body="é" * 2000).status_code == 201
    big = base64.b64encode(b"\x01" * 513).decode()
    assert (
        "512 octets"
        in refused(start(room, proposal, ana, anchor_end=big), "anchor_too_large")["detail_fr"]
    )
    refused(start(room, proposal, ana, anchor_start="pas du base64 !"), "invalid_anchor")
    refused(start(room, proposal, ana, anchor_end=None), "incomplete_anchor")
    refused(start(room, proposal, ana, quote="x" * 501), "too_long")
    refused(start(room, proposal, ana, section="nulle_part"), "unknown_section")
    thread = start(room, proposal, ana).json()["id"]
    refused(reply(room, thread, ana, ""), "empty")
    # Past the first line of defence (the body's shape), a 400 names the field.
    huge = start(room, proposal, ana, body="x" * 20_001)
    assert (huge.status_code, huge.json()["code"]) == (400, "invalid_request")
    # A comment on the whole section has no anchor and no quote.
    whole = start(room, proposal, ana, anchor_start=None, anchor_end=None, quote=None)
    assert whole.status_code == 201, whole.text
    assert (whole.json()["anchor_start"], whole.json()["quote"]) == (None, None)

    # What looks like markup is text, given back as typed.
    markup = "<script>alert('x')</script> <b>gras</b> & « guillemets »"
    made = start(room, proposal, ana, body=markup)
    assert made.json()["body"] == markup
    assert made.headers["content-type"].startswith("application/json")
    bodies = [t["body"] for t in comments_of(room, proposal, ana)["threads"]]
    assert markup in bodies


def test_who_deletes_and_a_deleted_first_comment_keeps_its_replies(room: Room) -> None:
    proposal = new_proposal(room)
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    thread = start(room, proposal, ana).json()["id"]
    answer = reply(room, thread, bruno, "Je ne suis pas d’accord.").json()["id"]
    refused = remove(room, thread, bruno)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail_en"] == "Only its author and the facilitators delete a comment."

    gone = remove(room, thread, ana)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"id": thread, "thread_id": None, "kept_for_replies": True}
    (kept,) = comments_of(room, proposal, bruno)["threads"]
    assert (kept["deleted"], kept["body"], kept["author_name"]) == (True, "", "")
    assert kept["quote"] == PASSAGE  # the passage the replies talk about
    assert [r["body"] for r in kept["replies"]] == ["Je ne suis pas d’accord."]
    # Its last reply deleted, nothing is left of the thread.
    assert remove(room, answer, bruno).status_code == 200
    assert comments_of(room, proposal, bruno)["threads"] == []
    assert remove(room, thread, ana).status_code == 404

    # The facilitator moderates: anyone's comment, and the audit says whose it was.
    other = start(room, proposal, bruno).json()["id"]
    assert remove(room, other, room.facilitator).status_code == 200
    journal = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/audit", headers=room.auth(room.facilitator)
    ).json()
    (moderated,) = [e for e in journal if e["action"] == "comment_deleted" and e["target"] == other]
    people = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/participants", headers=room.auth(room.facilitator)
    ).json()
    bruno_id = next(p["id"] for p in people if p["display_name"] == "Bruno")
    assert moderated["details"]["author"] == bruno_id
    assert moderated["by"] != "Bruno"
    assert comments_of(room, proposal, bruno)["threads"] == []


def test_a_comments_author_name_is_erased_with_the_persons_other_names(room: Room) -> None:
    proposal = new_proposal(room)
    joined = room.join("Ana Quastrelle")
    ana, pid = joined.json()["token"], joined.json()["participant"]["id"]
    thread = start(room, proposal, ana).json()["id"]
    reply(room, thread, ana, "Je précise.")
    held = room.http.get(f"/api/participants/{pid}/personal-data", headers=room.auth(ana)).json()
    assert [c["author_name"] for c in held["comments"]] == ["Ana Quastrelle"] * 2
    assert [c["body"] for c in held["comments"]] == ["Et les immeubles sans cour ?", "Je précise."]

    erased = post(room, f"/api/participants/{pid}/erase")
    assert erased.status_code == 200, erased.text
    (kept,) = comments_of(room, proposal, room.facilitator)["threads"]
    names = {kept["author_name"], kept["replies"][0]["author_name"]}
    assert names == {"Participant·e effacé·e n° 1"}
    assert kept["body"] == "Et les immeubles sans cour ?"  # the discussion stays
    again = room.http.get(
        f"/api/participants/{pid}/personal-data", headers=room.auth(room.facilitator)
    ).json()
    assert "Quastrelle" not in str(again)


def test_a_flood_of_comments_is_slowed_per_person(room: Room) -> None:
    proposal = new_proposal(room)
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    answers = [start(room, proposal, ana, body=f"Remarque {n}").status_code for n in range(31)]
    assert answers == [201] * 30 + [429]
    slowed = start(room, proposal, ana)
    assert slowed.json()["code"] == "too_many_comments"
    assert int(slowed.headers["retry-after"]) >= 1
    assert start(room, proposal, bruno).status_code == 201  # the person, not the room
