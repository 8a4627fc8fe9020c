"""Priority votes over HTTP, on SQLite and PostgreSQL: the lifecycle, secret and public ballots,
hidden results, proxies, run-offs, and the database refusing a double vote however requests race.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.ypy_client import connect

OPTIONS = [
    {"label": "Jardin partagé"},
    {"label": "Piste cyclable"},
    {"label": "Boîte à livres"},
    {"label": "Bancs sur la place"},
    {"label": "Fresque participative"},
    {"label": "Fête de quartier"},
]


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def new_poll(room: Room, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Quelles priorités pour le quartier ?",
        "method": "dots",
        "options": OPTIONS,
        "params": {"dots_per_voter": 3, "max_per_option": 2},
        **overrides,
    }
    response = room.http.post(
        f"/api/sessions/{room.session['id']}/polls", json=body, headers=room.auth(room.facilitator)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def act(room: Room, poll: dict[str, Any], step: str, token: str | None = None) -> httpx.Response:
    return room.http.post(
        f"/api/polls/{poll['id']}/{step}", headers=room.auth(token or room.facilitator)
    )


def vote(
    room: Room, poll: dict[str, Any], token: str, ballot: dict[str, Any], receipt: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"ballot": ballot}
    if receipt is not None:
        body["receipt"] = receipt
    return room.http.put(f"/api/polls/{poll['id']}/ballot", json=body, headers=room.auth(token))


def read(room: Room, poll: dict[str, Any], token: str) -> dict[str, Any]:
    response = room.http.get(f"/api/polls/{poll['id']}", headers=room.auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_dot_vote_from_draft_to_published_with_a_changed_ballot(room: Room) -> None:
    poll = new_poll(room)
    assert poll["status"] == "draft"
    assert [o["id"] for o in poll["options"]] == ["o1", "o2", "o3", "o4", "o5", "o6"]
    assert poll["voter_roles"] == ["agent", "habitant"]  # the permission table's default
    ana, bruno, chloe = (room.token_of(n) for n in ("Ana", "Bruno", "Chloé"))
    refused = vote(room, poll, ana, {"dots": {"o1": 1}})
    assert (refused.status_code, refused.json()["code"]) == (409, "poll_not_open")
    assert act(room, poll, "open").json()["status"] == "open"

    first = vote(room, poll, ana, {"dots": {"o1": 2, "o2": 1}})
    assert first.status_code == 200, first.text
    receipt = first.json()["receipt"]
    assert receipt
    assert first.json()["changed"] is False
    assert vote(room, poll, bruno, {"dots": {"o2": 2}}).status_code == 200
    assert vote(room, poll, chloe, {"dots": {"o2": 1, "o3": 1}}).status_code == 200
    live = read(room, poll, bruno)
    assert live["results"] is None  # secret: no result while it runs (finding 4)
    assert live["turnout"] == {"total": 3, "by_role": {}}
    assert live["my_ballot"] == {"cast": True, "ballot": None}  # secret: not even to its voter

    # Ana changes her mind before the close, with the receipt her phone kept.
    changed = vote(room, poll, ana, {"dots": {"o3": 2}}, receipt=receipt)
    assert changed.status_code == 200
    assert changed.json()["changed"] is True
    again = vote(room, poll, ana, {"dots": {"o3": 1}})  # no receipt: that is a second ballot
    assert (again.status_code, again.json()["code"]) == (409, "already_voted")

    closed = act(room, poll, "close").json()
    assert closed["status"] == "closed"
    total = closed["results"]["total"]
    assert total["scores"] == {"o1": 0, "o2": 3, "o3": 3, "o4": 0, "o5": 0, "o6": 0}
    assert total["ranking"][0] == ["o2", "o3"]
    assert total["winner"] is None
    assert closed["results"]["final"] is True
    late = vote(room, poll, ana, {"dots": {"o1": 1}}, receipt=receipt)
    assert (late.status_code, late.json()["code"]) == (409, "poll_not_open")
    assert act(room, poll, "publish").json()["status"] == "published"
    assert read(room, poll, chloe)["results"]["total"]["scores"]["o3"] == 3


def test_hidden_results_show_only_turnout_until_the_close(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={}, hide_results=True, quorum=3)
    act(room, poll, "open")
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    vote(room, poll, ana, {"choice": "o1"})
    vote(room, poll, bruno, {"choice": "o1"})
    for token in (ana, room.facilitator):
        seen = read(room, poll, token)
        assert seen["results"] is None
        assert seen["turnout"]["total"] == 2
    act(room, poll, "close")
    assert read(room, poll, ana)["results"] is None  # closed, not yet published
    at_close = read(room, poll, room.facilitator)["results"]
    assert at_close["total"]["winner"] == "o1"
    assert at_close["quorum_reached"] is False  # 2 ballots, quorum 3
    act(room, poll, "publish")
    assert read(room, poll, ana)["results"]["total"]["winner"] == "o1"


def test_results_by_role_withhold_groups_too_small_to_stay_secret(room: Room) -> None:
    poll = new_poll(room, method="approval", params={})
    act(room, poll, "open")
    for name in ("Ana", "Bruno", "Chloé"):
        vote(room, poll, room.token_of(name), {"approve": ["o1"]})
    agent = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
    assert vote(room, poll, agent, {"approve": ["o2"]}).status_code == 200
    results = act(room, poll, "close").json()["results"]
    assert results["by_role"]["agent"] is None  # one agent: their "result" would be their ballot
    assert results["by_role"]["habitant"] is None  # and so would the total minus the residents'
    assert results["total"]["scores"] == {**{f"o{i}": 0 for i in range(1, 7)}, "o1": 3, "o2": 1}


def test_bad_ballots_and_voters_get_problem_details_naming_the_rule(room: Room) -> None:
    poll = new_poll(room)
    act(room, poll, "open")
    ana = room.token_of("Ana")
    cases = [
        ({"dots": {"o9": 1}}, "unknown_option"),
        ({"dots": {"o1": 2, "o2": 2}}, "over_budget"),
        ({"dots": {"o1": 3}}, "over_cap"),
        ({"choice": "o1"}, "bad_shape"),
    ]
    for ballot, rule in cases:
        response = vote(room, poll, ana, ballot)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == rule
        assert response.json()["detail_fr"]
    elu = room.token_of("Élodie", "elu", invitation_code=room.invite("elu"))
    refused = vote(room, poll, elu, {"dots": {"o1": 1}})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_a_voter")
    assert act(room, poll, "close", token=ana).status_code == 403
    # Nothing of the refused ballots was counted.
    assert act(room, poll, "close").json()["turnout"]["total"] == 0


def test_a_bad_setup_is_refused_before_any_ballot(room: Room) -> None:
    response = room.http.post(
        f"/api/sessions/{room.session['id']}/polls",
        json={"title": "X", "method": "dots", "options": OPTIONS[:2], "params": {}},
        headers=room.auth(room.facilitator),
    )
    assert (response.status_code, response.json()["code"]) == (422, "missing_param")
    twice = [{"label": "Parc"}, {"label": "parc"}]
    response = room.http.post(
        f"/api/sessions/{room.session['id']}/polls",
        json={"title": "X", "method": "plurality", "options": twice},
        headers=room.auth(room.facilitator),
    )
    assert (response.status_code, response.json()["code"]) == (422, "duplicate_option")


def test_a_double_vote_is_impossible_even_when_requests_race(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    ana = room.token_of("Ana")

    async def race() -> list[int]:
        async with httpx.AsyncClient(base_url=str(room.http.base_url), timeout=30) as client:
            responses = await asyncio.gather(
                *(
                    client.put(
                        f"/api/polls/{poll['id']}/ballot",
                        json={"ballot": {"choice": f"o{1 + i % 2}"}},
                        headers=room.auth(ana),
                    )
                    for i in range(12)
                )
            )
        return sorted(r.status_code for r in responses)

    assert asyncio.run(race()) == [200] + [409] * 11
    assert act(room, poll, "close").json()["turnout"]["total"] == 1


def test_ballots_racing_the_close_are_counted_or_refused_never_lost(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    voters = [room.token_of(f"Voix {i}") for i in range(30)]

    async def race() -> tuple[list[int], dict[str, Any]]:
        async with httpx.AsyncClient(base_url=str(room.http.base_url), timeout=30) as client:
            ballots = [
                client.put(
                    f"/api/polls/{poll['id']}/ballot",
                    json={"ballot": {"choice": "o1"}},
                    headers=room.auth(token),
                )
                for token in voters
            ]
            closing = client.post(
                f"/api/polls/{poll['id']}/close", headers=room.auth(room.facilitator)
            )
            results = await asyncio.gather(*ballots[:15], closing, *ballots[15:])
        closed = results.pop(15)
        assert closed.status_code == 200, closed.text
        return [r.status_code for r in results], closed.json()

    codes, closed = asyncio.run(race())
    assert set(codes) <= {200, 409}
    accepted = codes.count(200)
    assert closed["turnout"]["total"] == accepted
    assert closed["results"]["total"]["scores"]["o1"] == accepted


def test_public_ballots_are_read_back_and_changed_without_receipt(room: Room) -> None:
    poll = new_poll(room, method="borda", params={}, secret=False, options=OPTIONS[:3])
    act(room, poll, "open")
    ana = room.token_of("Ana")
    assert vote(room, poll, ana, {"ranking": ["o1", "o2", "o3"]}).json()["receipt"] is None
    changed = vote(room, poll, ana, {"ranking": ["o3", "o2", "o1"]})
    assert changed.json()["changed"] is True
    mine = read(room, poll, ana)["my_ballot"]
    assert mine == {"cast": True, "ballot": {"ranking": ["o3", "o2", "o1"]}}
    assert read(room, poll, ana)["results"]["total"]["scores"] == {"o1": 0, "o2": 1, "o3": 2}


def test_paper_and_proxy_ballots_are_tagged_counted_and_audited(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    ana_joined = room.join("Ana").json()
    proxy = room.http.post(
        f"/api/polls/{poll['id']}/proxy-ballots",
        json={
            "ballot": {"choice": "o2"},
            "origin": "procuration",
            "on_behalf_of": ana_joined["participant"]["id"],
        },
        headers=room.auth(room.facilitator),
    )
    assert proxy.status_code == 201, proxy.text
    assert headcount(room, 30).status_code == 200
    paper = room.http.post(
        f"/api/polls/{poll['id']}/proxy-ballots",
        json={"ballot": {"choice": "o2"}, "origin": "papier", "role": "habitant"},
        headers=room.auth(room.facilitator),
    )
    assert paper.status_code == 201, paper.text
    # Ana's ballot was entered for her: she cannot vote a second time.
    again = vote(room, poll, ana_joined["token"], {"choice": "o1"})
    assert (again.status_code, again.json()["code"]) == (409, "ballot_entered_for_you")
    not_facilitator = room.http.post(
        f"/api/polls/{poll['id']}/proxy-ballots",
        json={"ballot": {"choice": "o1"}, "origin": "papier", "role": "habitant"},
        headers=room.auth(ana_joined["token"]),
    )
    assert not_facilitator.status_code == 403
    assert act(room, poll, "close").json()["results"]["total"]["scores"]["o2"] == 2


def test_a_tie_opens_a_run_off_between_the_tied_options_in_one_action(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    vote(room, poll, room.token_of("Ana"), {"choice": "o1"})
    vote(room, poll, room.token_of("Bruno"), {"choice": "o4"})
    early = act(room, poll, "runoff")
    assert (early.status_code, early.json()["code"]) == (409, "poll_not_closed")
    act(room, poll, "close")
    second = act(room, poll, "runoff")
    assert second.status_code == 201, second.text
    runoff = second.json()
    assert runoff["status"] == "open"
    assert runoff["runoff_of"] == poll["id"]
    assert [o["label"] for o in runoff["options"]] == ["Jardin partagé", "Bancs sur la place"]
    # One run-off per question: not a second one, not one of the run-off.
    again = act(room, poll, "runoff")
    assert (again.status_code, again.json()["code"]) == (409, "runoff_exists")
    vote(room, runoff, room.token_of("Chloé"), {"choice": runoff["options"][0]["id"]})
    vote(room, runoff, room.token_of("David"), {"choice": runoff["options"][1]["id"]})
    act(room, runoff, "close")
    third = act(room, runoff, "runoff")
    assert (third.status_code, third.json()["code"]) == (409, "runoff_of_runoff")


def test_a_secret_ballot_is_not_linked_to_its_voter_in_the_database(
    room: Room, server_on: ServerProcess
) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    joined = [room.join(name).json() for name in ("Ana", "Bruno", "Chloé")]
    for person, choice in zip(joined, ("o1", "o2", "o2"), strict=True):
        assert vote(room, poll, person["token"], {"choice": choice}).status_code == 200
    act(room, poll, "close")
    ids = {person["participant"]["id"] for person in joined}

    async def inspect() -> None:
        engine = create_async_engine(server_on.database_url)
        async with engine.connect() as conn:
            voters = {
                r[0] for r in await conn.execute(sa.text("SELECT participant_id FROM poll_voters"))
            }
            assert voters == ids  # who voted is known…
            rows = (await conn.execute(sa.text("SELECT * FROM ballots"))).mappings().all()
            assert len(rows) == 3
            for row in rows:  # …but no ballot row carries anything of theirs
                assert row["participant_id"] is None
                assert row["receipt_hash"] is None
                assert not any(str(value) in ids for value in row.values())
            if engine.dialect.name == "postgresql":
                # Not even the transaction that wrote them: every row is the close's.
                xids = "SELECT xmin::text FROM {}"
                voter_xids = {r[0] for r in await conn.execute(sa.text(xids.format("poll_voters")))}
                ballot_xids = {r[0] for r in await conn.execute(sa.text(xids.format("ballots")))}
                assert len(voter_xids | ballot_xids) == 1
        await engine.dispose()

    asyncio.run(inspect())


def dumped_rows(database_url: str, table: str) -> list[str]:
    """The data lines ``pg_dump`` prints for ``table``, in the order it prints them."""
    url = database_url.replace("postgresql+asyncpg://", "postgresql://")
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--table", table, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    start = dump.index(f"COPY public.{table} ")
    lines = dump[start:].splitlines()[1:]
    return lines[: lines.index("\\.")]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_pg_dump_prints_secret_ballots_and_voters_in_no_order_of_the_votes(
    room: Room, server_on: ServerProcess
) -> None:
    """Issue 23, finding 3: the physical order of both tables followed the order of the
    votes, and pg_dump printed them so: 5 voters of 5 were linked to their ballots. After the
    close, the ballots are in the order of random ids given at the close, the voters in the
    order of their participant ids, whatever order they voted in."""
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    names = ("Ana", "Bruno", "Chloé", "Driss", "Élise", "Farid", "Gaëlle", "Hugo")
    joined = [room.join(name).json() for name in names]
    voter_ids = []
    for order, person in enumerate(joined):
        assert vote(room, poll, person["token"], {"choice": f"o{1 + order % 4}"}).status_code == 200
        voter_ids.append(person["participant"]["id"])
    assert act(room, poll, "close").status_code == 200

    voters = [line.split("\t")[1] for line in dumped_rows(server_on.database_url, "poll_voters")]
    assert voters == sorted(voter_ids)  # participant ids' order, not the votes'
    ballots = dumped_rows(server_on.database_url, "ballots")
    assert len(ballots) == len(names)
    ids = [line.split("\t")[0] for line in ballots]
    assert ids == sorted(ids)  # random ids given at the close, in their order
    assert not any(person_id in line for line in ballots for person_id in voter_ids)


def test_each_ballot_records_the_version_of_the_proposal_text_it_was_cast_on(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Un jardin partagé rue Émile Zola"},
        headers=room.auth(room.facilitator),
    ).json()
    options = [{"label": "Le jardin partagé", "proposal_id": proposal["id"]}, {"label": "Rien"}]
    poll = new_poll(room, method="plurality", params={}, options=options)
    act(room, poll, "open")
    assert vote(room, poll, room.token_of("Ana"), {"choice": "o1"}).status_code == 200

    async def amend() -> None:  # someone amends the proposal between the two ballots
        url = server_on.doc_url(proposal["doc_id"], token=room.facilitator)
        async with connect(url) as writer:
            writer.edit(lambda t: t.insert(0, "amendement : "))
            await writer.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in writer.received))

    asyncio.run(amend())
    assert vote(room, poll, room.token_of("Bruno"), {"choice": "o1"}).status_code == 200

    async def texts() -> list[dict[str, str]]:
        engine = create_async_engine(server_on.database_url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(sa.column("texts")).select_from(sa.table("ballots"))
            )
            found = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
        await engine.dispose()
        return found

    recorded = asyncio.run(texts())
    assert all(set(t) == {proposal["id"]} for t in recorded)
    assert len({t[proposal["id"]] for t in recorded}) == 2  # before and after the amendment


def test_results_by_role_cannot_be_recovered_by_subtracting_the_roles_shown(room: Room) -> None:
    """Issue 23, finding 4: the agent's result was withheld, yet total − habitant·es − élu·es
    was their ballot. Whatever is withheld must hold at least 3 ballots between its roles."""
    poll = new_poll(room, method="approval", params={}, voter_roles=["habitant", "elu", "agent"])
    act(room, poll, "open")
    for name in ("Ana", "Bruno", "Chloé", "David"):
        assert vote(room, poll, room.token_of(name), {"approve": ["o1"]}).status_code == 200
    for name in ("Élodie", "Fabrice", "Gérard"):
        elu = room.token_of(name, "elu", invitation_code=room.invite("elu"))
        assert vote(room, poll, elu, {"approve": ["o1", "o3"]}).status_code == 200
    agent = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
    assert vote(room, poll, agent, {"approve": ["o2"]}).status_code == 200
    closed = act(room, poll, "close").json()
    results, by_role = closed["results"], closed["turnout"]["by_role"]
    assert by_role == {"agent": 1, "elu": 3, "habitant": 4}
    # The attacker's sum: the total minus every role shown is the withheld roles' together.
    rest = dict(results["total"]["scores"])
    shown = [role for role, result in results["by_role"].items() if result is not None]
    for role in shown:
        assert by_role[role] >= 3
        for option, score in results["by_role"][role]["scores"].items():
            rest[option] -= score
    withheld = sum(by_role.get(role, 0) for role in results["by_role"] if role not in shown)
    assert withheld == 0 or withheld >= 3, (shown, rest)  # never one or two ballots
    assert shown == ["habitant"]  # the élu·es are withheld with the agent: 4 ballots together


def test_a_secret_poll_shows_neither_results_nor_roles_while_it_runs(room: Room) -> None:
    """Issue 23, finding 4: two readings of the results a ballot apart are that ballot; the
    turnout by role named its collège. Until the close, everyone sees only how many voted."""
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    agent = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
    seen = []
    for token, choice in ((ana, "o1"), (bruno, "o1"), (agent, "o2")):
        assert vote(room, poll, token, {"choice": choice}).status_code == 200
        for reader in (ana, room.facilitator):
            seen.append(read(room, poll, reader))
    for before, after in itertools.pairwise(seen):
        assert before["results"] is None
        assert after["results"] is None
        assert after["turnout"]["by_role"] == {}
    assert seen[-1]["turnout"]["total"] == 3
    closed = act(room, poll, "close").json()
    assert closed["results"]["total"]["scores"]["o1"] == 2
    assert closed["turnout"]["by_role"] == {"agent": 1, "habitant": 2}


def test_a_public_poll_still_shows_its_results_and_roles_live(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={}, secret=False)
    act(room, poll, "open")
    ana = room.token_of("Ana")
    agent = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
    vote(room, poll, ana, {"choice": "o1"})
    vote(room, poll, agent, {"choice": "o2"})
    live = read(room, poll, ana)
    assert live["turnout"]["by_role"] == {"agent": 1, "habitant": 1}
    assert live["results"]["by_role"]["agent"]["scores"]["o2"] == 1  # public is public


def paper(room: Room, poll: dict[str, Any], choice: str, **who: Any) -> httpx.Response:
    body = {"ballot": {"choice": choice}, "origin": "papier", **(who or {"role": "habitant"})}
    return room.http.post(
        f"/api/polls/{poll['id']}/proxy-ballots", json=body, headers=room.auth(room.facilitator)
    )


def headcount(room: Room, n: int | None, token: str | None = None) -> httpx.Response:
    return room.http.put(
        f"/api/sessions/{room.session['id']}/headcount",
        json={"headcount": n},
        headers=room.auth(token or room.facilitator),
    )


def test_paper_ballots_without_a_name_are_bounded_by_the_headcount(room: Room) -> None:
    """Issue 23, finding 6: role-only paper ballots were unlimited. They stand for people the
    software does not know: only the facilitator's headcount says how many there are, less the
    people it knows (who voted or checked in)."""
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    uncounted = paper(room, poll, "o1")
    assert (uncounted.status_code, uncounted.json()["code"]) == (409, "headcount_required")
    ana = room.token_of("Ana")
    refused = headcount(room, 5, ana)
    assert refused.status_code == 403  # the facilitator counts the room
    assert headcount(room, 5).json()["headcount"] == 5
    assert vote(room, poll, ana, {"choice": "o1"}).status_code == 200  # 1 known
    bruno = room.token_of("Bruno")
    checked = room.http.post(
        f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(bruno)
    )
    assert checked.status_code == 200  # 2 known: Bruno is here and may still vote
    # The facilitator is in the room too, and checked in: counted as known once they do.
    accepted = [paper(room, poll, "o2").status_code for _ in range(3)]
    assert accepted == [201, 201, 201]  # 5 − 2 known = 3 without a name
    over = paper(room, poll, "o2")
    assert (over.status_code, over.json()["code"]) == (409, "over_headcount")
    assert "5 personnes" in over.json()["detail_fr"]
    assert headcount(room, 6).status_code == 200  # counted again: one more came in
    assert paper(room, poll, "o2").status_code == 201
    assert vote(room, poll, bruno, {"choice": "o1"}).status_code == 200  # known people vote
    assert act(room, poll, "close").json()["turnout"]["total"] == 6


def test_someone_a_ballot_was_entered_for_is_told_so_when_voting(room: Room) -> None:
    """Issue 23, finding 6: Ana's own vote was refused as "you have already voted" after the
    facilitator entered a procuration for her. It is refused (the facilitator's ballot is
    counted, as in a town hall), saying why; and her phone shows it."""
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    ana = room.join("Ana").json()
    entered = paper(room, poll, "o2", origin="procuration", on_behalf_of=ana["participant"]["id"])
    assert entered.status_code == 201, entered.text
    again = vote(room, poll, ana["token"], {"choice": "o1"})
    assert (again.status_code, again.json()["code"]) == (409, "ballot_entered_for_you")
    assert "l’animation a saisi un bulletin pour vous" in again.json()["detail_fr"]
    assert read(room, poll, ana["token"])["my_ballot"] == {
        "cast": True,
        "ballot": None,
        "entered_for_me": True,
    }
    twice = paper(room, poll, "o1", origin="procuration", on_behalf_of=ana["participant"]["id"])
    assert (twice.status_code, twice.json()["code"]) == (409, "already_voted")
    assert "Cette personne a déjà voté" in twice.json()["detail_fr"]


def test_a_ballot_entered_for_someone_is_unlinkable_in_the_database_and_the_audit_log(
    room: Room, server_on: ServerProcess
) -> None:
    """Issue 23, finding 6: the procuration was the only ballot row with its origin, and the
    audit log named Ana: her ballot's content was one query away. On a secret poll, no ballot
    row says where it came from, and the audit log says for which role, not for whom."""
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    assert headcount(room, 10).status_code == 200
    ana = room.join("Ana").json()
    entered = paper(room, poll, "o3", origin="procuration", on_behalf_of=ana["participant"]["id"])
    assert entered.status_code == 201, entered.text
    assert paper(room, poll, "o2").status_code == 201
    for name in ("Bruno", "Chloé"):
        assert vote(room, poll, room.token_of(name), {"choice": "o1"}).status_code == 200
    act(room, poll, "close")

    async def origins() -> list[str]:
        engine = create_async_engine(server_on.database_url)
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT origin FROM ballots"))
            found = [r[0] for r in rows]
        await engine.dispose()
        return found

    found = asyncio.run(origins())
    assert len(found) == 4
    assert len(set(found)) == 1, found  # no row stands out
    log = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/audit", headers=room.auth(room.facilitator)
    ).json()
    entries = [entry for entry in log if entry["action"] == "proxy_ballot"]
    assert len(entries) == 2
    assert ana["participant"]["id"] not in json.dumps(log)
    assert "Ana" not in json.dumps(entries)
    assert {entry["details"]["role"] for entry in entries} == {"habitant"}
