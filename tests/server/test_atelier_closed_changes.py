"""Nothing changes in a closed atelier (SQLite and PostgreSQL): its comments, amendments, polls,
ballots (paper ones too), proposals and attendance (checking in and out) are refused with 409
``atelier_closed`` and the one wording « Cet atelier est clos : il ne peut plus être modifié. »,
before anything is written; what it wrote stays readable. Freezing is the exception: the text
the closing sealed may still be frozen once (the version the council and the memory read), a
second time is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_amendments import amendments, live_text, propose
from tests.server.test_amendments import start as seeded_proposal
from tests.server.test_atelier_close import close
from tests.server.test_ateliers_api import Room
from tests.server.test_comments import comments_of, remove, reply, resolve
from tests.server.test_comments import start as comment
from tests.server.test_polls_api import OPTIONS, act, headcount, new_poll, paper, read, vote
from tests.server.test_versions_api import new_proposal, paragraph, post, write

FR = "Cet atelier est clos : il ne peut plus être modifié."
EN = "This atelier is closed and can no longer be changed."


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def refused(answer: httpx.Response, what: str) -> None:
    """409 ``atelier_closed``, problem details with the one wording, in French and English."""
    assert answer.status_code == 409, f"{what}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"].startswith("application/problem+json"), what
    problem = answer.json()
    assert problem["code"] == "atelier_closed", what
    assert problem["detail_fr"].replace("\u00a0", " ").replace("\u202f", " ") == FR, what
    assert problem["detail_en"] == EN, what


def closed(room: Room) -> None:
    answer = close(room)
    assert answer.status_code == 200, answer.text


def test_comments_are_neither_written_answered_resolved_nor_deleted(room: Room) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    zoe = room.token_of("Zoé")
    thread = comment(room, proposal, zoe)
    assert thread.status_code == 201, thread.text
    answer = reply(room, thread.json()["id"], zoe, "Une cour commune suffit.")
    assert answer.status_code == 201, answer.text
    before = comments_of(room, proposal, zoe)
    assert before["may_comment"] is True
    closed(room)

    thread_id, reply_id = thread.json()["id"], answer.json()["id"]
    refused(comment(room, proposal, zoe), "a new thread")
    refused(reply(room, thread_id, zoe, "Encore un mot."), "a reply")
    refused(resolve(room, thread_id, zoe), "resolving, by its author")
    refused(resolve(room, thread_id, room.facilitator), "resolving, by the facilitator")
    refused(remove(room, reply_id, zoe), "deleting a reply")
    refused(remove(room, thread_id, room.facilitator), "deleting a thread")

    after = comments_of(room, proposal, zoe)
    assert (after["may_comment"], after["reason"]) == (False, "closed")
    # Nothing written, resolved nor deleted; and no button offers it any more.
    assert [t["id"] for t in after["threads"]] == [t["id"] for t in before["threads"]]
    (thread_after,) = after["threads"]
    assert (thread_after["resolved_at"], len(thread_after["replies"])) == (None, 1)
    assert (thread_after["may_resolve"], thread_after["may_delete"]) == (False, False)
    assert not thread_after["replies"][0]["may_delete"]


def test_amendments_are_neither_proposed_withdrawn_decided_nor_put_to_the_vote(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, (anchor,) = seeded_proposal(server_on, room)
    zoe = room.token_of("Zoé")
    made = [propose(room, proposal, zoe, anchor, replacement=w) for w in ("dimanche", "lundi")]
    assert all(a.status_code == 201 for a in made), [a.text for a in made]
    first, second = (a.json() for a in made)
    text = asyncio.run(live_text(server_on, proposal))
    closed(room)

    refused(propose(room, proposal, zoe, anchor, replacement="mardi"), "a new amendment")
    refused(post(room, f"/api/amendments/{first['id']}/withdraw", zoe), "withdrawing")
    refused(post(room, f"/api/amendments/{first['id']}/accept"), "accepting")
    refused(post(room, f"/api/amendments/{second['id']}/reject"), "rejecting")
    refused(
        post(
            room,
            f"/api/proposals/{proposal['id']}/amendments/vote",
            amendment_ids=[first["id"], second["id"]],
            session_id=room.session["id"],
        ),
        "putting them to the vote",
    )
    mode = room.http.put(
        f"/api/proposals/{proposal['id']}/amendment-mode",
        json={"enabled": True},
        headers=room.auth(room.facilitator),
    )
    refused(mode, "the amendment mode")

    listed = amendments(room, proposal, zoe)
    assert [(a["id"], a["status"]) for a in listed] == [
        (first["id"], "proposee"),
        (second["id"], "proposee"),
    ]
    assert asyncio.run(live_text(server_on, proposal)) == text  # « samedi » still there
    polls = room.http.get(
        f"/api/sessions/{room.session['id']}/polls", headers=room.auth(room.facilitator)
    )
    assert polls.status_code == 200, polls.text
    assert polls.json() == []


def test_polls_are_neither_opened_voted_closed_published_nor_run_off(room: Room) -> None:
    draft = new_poll(room, method="plurality", params={})
    running = new_poll(room, method="plurality", params={})
    tied = new_poll(room, method="plurality", params={})
    for poll in (running, tied):
        assert act(room, poll, "open").status_code == 200
    joined = room.join("Ana").json()
    ana, ana_id, bruno = joined["token"], joined["participant"]["id"], room.token_of("Bruno")
    assert vote(room, running, ana, {"choice": "o1"}).status_code == 200
    assert vote(room, tied, ana, {"choice": "o1"}).status_code == 200
    assert vote(room, tied, bruno, {"choice": "o4"}).status_code == 200
    assert act(room, tied, "close").status_code == 200
    assert headcount(room, 30).status_code == 200
    closed(room)

    new = room.http.post(
        f"/api/sessions/{room.session['id']}/polls",
        json={"title": "Encore ?", "method": "plurality", "options": OPTIONS},
        headers=room.auth(room.facilitator),
    )
    refused(new, "a new poll")
    refused(act(room, draft, "open"), "opening")
    refused(vote(room, running, bruno, {"choice": "o2"}), "a ballot")
    refused(vote(room, running, ana, {"choice": "o2"}), "changing a ballot")
    refused(paper(room, running, "o2"), "a paper ballot")
    refused(paper(room, running, "o2", on_behalf_of=ana_id), "a proxy ballot")
    refused(act(room, running, "close"), "closing")
    refused(act(room, tied, "publish"), "publishing")
    refused(act(room, tied, "runoff"), "a second round")
    refused(headcount(room, 12), "the headcount")

    assert read(room, draft, room.facilitator)["status"] == "draft"
    now = read(room, running, room.facilitator)
    assert now["status"] == "open"
    assert now["turnout"]["total"] == 1
    assert read(room, tied, room.facilitator)["status"] == "closed"
    polls = room.http.get(
        f"/api/sessions/{room.session['id']}/polls", headers=room.auth(room.facilitator)
    )
    assert len(polls.json()) == 3  # no run-off, no new poll


def test_attendance_is_neither_checked_in_nor_out(room: Room) -> None:
    """The attendance stays as the closing found it: nobody checks in or out, themself or at
    the door, and who came (the minutes count them) is what it was."""
    base = f"/api/sessions/{room.session['id']}"
    door = room.auth(room.facilitator)
    people = {name: room.join(name).json() for name in ("Ana", "Bruno", "Carl", "Zoé")}
    token = {name: joined["token"] for name, joined in people.items()}
    ids = {name: joined["participant"]["id"] for name, joined in people.items()}
    here = room.http.post(f"{base}/check-in", headers=room.auth(token["Ana"]))
    assert here.status_code == 200, here.text
    for name in ("Bruno", "Carl"):
        at_door = room.http.post(
            f"{base}/attendance", json={"participant_id": ids[name]}, headers=door
        )
        assert at_door.status_code == 200, at_door.text
    gone = room.http.delete(f"{base}/attendance/{ids['Carl']}", headers=door)
    assert gone.status_code == 200, gone.text
    before = room.http.get(f"{base}/attendance", headers=door).json()
    closed(room)

    refused(room.http.post(f"{base}/check-in", headers=room.auth(token["Zoé"])), "checking in")
    refused(room.http.post(f"{base}/check-out", headers=room.auth(token["Ana"])), "leaving")
    at_door = room.http.post(
        f"{base}/attendance", json={"participant_id": ids["Zoé"]}, headers=door
    )
    refused(at_door, "checking someone in at the door")
    back = room.http.post(f"{base}/attendance", json={"participant_id": ids["Carl"]}, headers=door)
    refused(back, "checking back in someone who left")
    refused(room.http.delete(f"{base}/attendance/{ids['Bruno']}", headers=door), "checking out")

    after = room.http.get(f"{base}/attendance", headers=door)
    assert after.status_code == 200, after.text  # still read
    assert after.json() == before
    assert (before["here"], before["came"]) == (2, 3)
    seance = room.http.get(base, headers=room.auth(token["Zoé"])).json()
    assert seance["attendance_by_role"] == {"habitant": 2}


def test_proposals_are_neither_created_renamed_locked_archived_restored_nor_redrafted(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    ana = room.token_of("Ana")
    asyncio.run(write(server_on, proposal["doc_id"], ana, paragraph("constat", "Le texte.")))
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    base = f"/api/proposals/{proposal['id']}"
    revisions = room.http.get(f"{base}/history/revisions", headers=room.auth(ana)).json()
    closed(room)

    created = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Une autre idée"},
        headers=room.auth(room.facilitator),
    )
    refused(created, "a new proposal")
    title = room.http.put(
        f"{base}/title", json={"title": "Autre titre"}, headers=room.auth(room.facilitator)
    )
    refused(title, "renaming")
    refused(post(room, f"{base}/lock", None, locked=True), "locking")
    refused(post(room, f"{base}/archive", None, archived=True), "archiving")
    refused(post(room, f"{base}/versions/1/draft"), "a new draft")
    refused(post(room, f"{base}/versions/1/fork", None, title="Une variante"), "a fork")
    restore = post(
        room,
        f"{base}/history/restore",
        ana,
        revision=revisions["revisions"][0]["n"],
        section="constat",
    )
    refused(restore, "restoring a section")

    listed = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/proposals", headers=room.auth(room.facilitator)
    )
    assert [(p["title"], p["locked"], p["archived_at"]) for p in listed.json()] == [
        (proposal["title"], False, None)
    ]
    versions = room.http.get(f"{base}/versions", headers=room.auth(ana)).json()["versions"]
    assert len(versions) == 1


def test_the_text_the_closing_sealed_is_frozen_once(room: Room, server_on: ServerProcess) -> None:
    """Decided: a facilitator who closes before freezing may still freeze the last words, once;
    the text changes no more, so a second freeze (or one of a text frozen already) is refused."""
    proposal = new_proposal(room, session_id=room.session["id"])
    ana = room.token_of("Ana")
    asyncio.run(write(server_on, proposal["doc_id"], ana, paragraph("constat", "Premier jet.")))
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    asyncio.run(write(server_on, proposal["doc_id"], ana, paragraph("constat", "Dernier mot.")))
    closed(room)

    final = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert final.status_code == 201, final.text
    assert final.json()["number"] == 2
    refused(post(room, f"/api/proposals/{proposal['id']}/freeze"), "freezing it again")
    refused(post(room, f"/api/sessions/{room.session['id']}/freeze"), "the séance's again")
