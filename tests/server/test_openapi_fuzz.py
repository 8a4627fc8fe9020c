"""The OpenAPI document, fuzzed (issue 23, « Show »): schemathesis generates requests for every
operation of ``/schema/openapi.json`` — bodies, paths and queries that fit the document and ones
that do not — and sends them to a real server (`atelier serve` on SQLite) seeded with an atelier,
séances, participants, a proposal with a frozen version and polls, so that a generated request
reaches the handlers behind authentication and a real id, not only the 404 of a random one.

Every answer must be below 500, and every 4xx an RFC 9457 problem (``application/problem+json``)
with a status its operation documents (``server.openapi``), and every success in a media type
its operation documents.
The run does not stop at the first failure: it collects them all, one line per operation,
status and kind, with an example request, and fails at the end.

Size: ``ATELIER_FUZZ_CASES`` cases in total, spread evenly over the operations (280 in
``make test``; ``make fuzz`` runs ``FUZZ_CASES``, 12,000 by default). Hypothesis stops early on
an operation whose inputs it has run out of (``GET /health`` has one), so a run sends a little
fewer: 11,594 of 12,000 in the first full run. ``ATELIER_FUZZ_SEED``
fixes Hypothesis's seed (0 here, so the suite is repeatable; ``make fuzz`` takes a new one each
run unless ``FUZZ_SEED`` is given). The figures (cases, answers by status, failures, time) are
printed at the end (``pytest -s`` shows them).
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.core.transport import Response
from schemathesis.generation.modes import GenerationMode

from tests.conftest import ServerProcess, migrated_database
from tests.server.test_ateliers_api import ATELIER, SEANCE

CASES = int(os.environ.get("ATELIER_FUZZ_CASES", "280"))
SEED = int(os.environ.get("ATELIER_FUZZ_SEED", "0"))
#: A request that takes longer than this is a failure too (a stalled instance).
REQUEST_TIMEOUT = 30.0

# Limits meant for people, raised so that generated requests get past them to the handlers.
UNLIMITED = {
    "ATELIER_JOIN_FAILURES_PER_MINUTE": "1000000",
    "ATELIER_ATELIERS_PER_HOUR": "1000000",
    "ATELIER_STAFF_ATELIERS_PER_HOUR": "1000000",
    "ATELIER_BALLOTS_PER_MINUTE": "1000000",
}


@dataclass
class Seed:
    """Real ids for each path parameter, and a token for each kind of caller."""

    ids: dict[str, list[str]]
    tokens: dict[str, str | None]


@dataclass
class Figures:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    #: (operation, what went wrong) -> up to three example requests
    failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def fail(self, operation: str, what: str, example: str) -> None:
        examples = self.failures.setdefault((operation, what), [])
        if len(examples) < 3:
            examples.append(example)


def _seed(srv: ServerProcess) -> Seed:
    staff = srv.staff_token()
    council = srv.credential("council", "Service de la démocratie locale")
    with httpx.Client(base_url=srv.http, timeout=30) as http:

        def call(method: str, path: str, token: str | None, body: Any = None) -> Any:
            http.cookies.clear()
            headers = {"authorization": f"Bearer {token}"} if token else {}
            answer = http.request(method, path, json=body, headers=headers)
            assert answer.status_code < 300, (method, path, answer.text)
            return answer.json()

        created = call("POST", "/api/ateliers", staff, ATELIER)
        atelier = created["atelier"]["id"]
        facilitator = created["facilitator"]["token"]
        facilitator_id = created["facilitator"]["participant"]["id"]
        resident_atelier = call(
            "POST",
            "/api/ateliers",
            None,
            {
                **ATELIER,
                "kind": "initiative_citoyenne",
                "scope": "quartier",
                "neighbourhood": "Neudorf",
            },
        )["atelier"]["id"]
        seance = call("POST", f"/api/ateliers/{atelier}/sessions", facilitator, SEANCE)
        later = call(
            "POST",
            f"/api/ateliers/{atelier}/sessions",
            facilitator,
            {**SEANCE, "date": "2018-01-09"},
        )
        join = {"role": "habitant", "accept_charter_version": 1}
        residents = [
            call("POST", f"/api/join/{seance['join_code']}", None, {**join, "display_name": name})
            for name in ("Ana", "Bruno", "Chloé")
        ]
        invitation = call(
            "POST", f"/api/ateliers/{atelier}/invitations", facilitator, {"role": "elu"}
        )["code"]
        elu = call(
            "POST",
            f"/api/join/{seance['join_code']}",
            None,
            {
                **join,
                "display_name": "Mme l'adjointe",
                "role": "elu",
                "invitation_code": invitation,
            },
        )
        walk_in = call(
            "POST", f"/api/sessions/{seance['id']}/walk-ins", facilitator, {"display_name": "M. W"}
        )
        frozen = call(
            "POST", f"/api/ateliers/{atelier}/proposals", facilitator, {"title": "Un jardin"}
        )["id"]
        call("POST", f"/api/proposals/{frozen}/freeze", facilitator)
        live = call(
            "POST", f"/api/ateliers/{atelier}/proposals", facilitator, {"title": "Une fête"}
        )["id"]
        options = [{"label": "Jardin"}, {"label": "Fête"}, {"label": "Bancs"}]
        polls = []
        for method, params in (("approval", {}), ("dots", {"dots_per_voter": 3})):
            poll = call(
                "POST",
                f"/api/sessions/{seance['id']}/polls",
                facilitator,
                {"title": "Priorités", "method": method, "options": options, "params": params},
            )
            polls.append(poll["id"])
        call("POST", f"/api/polls/{polls[0]}/open", facilitator)
        call(
            "PUT",
            f"/api/polls/{polls[0]}/ballot",
            residents[0]["token"],
            {"ballot": {"approve": ["o1"]}},
        )

    participants = [r["participant"]["id"] for r in (*residents, elu, walk_in)]
    assert facilitator_id not in participants  # revoking or erasing it would end the run's reach
    return Seed(
        ids={
            "atelier_id": [atelier, resident_atelier],
            "session_id": [seance["id"], later["id"]],
            "participant_id": participants,
            "proposal_id": [frozen, live],
            "poll_id": polls,
            "number": ["1", "2"],
            "code": [seance["join_code"], later["join_code"], "CQ", "CC"],
        },
        tokens={
            "facilitator": facilitator,
            "resident": residents[1]["token"],
            "elu": elu["token"],
            "staff": staff,
            "council": council,
            "none": None,
            "garbage": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
        },
    )


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seed]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(
            url, env_overrides=UNLIMITED, log_path=folder / "server.log"
        ).running() as srv,
    ):
        yield srv, _seed(srv)


def _describe(case: Any, caller: str, answer: Response | None) -> str:
    body = case.body if not isinstance(case.body, bytes) else f"<{len(case.body)} bytes>"
    text = repr(body)
    request = (
        f"{case.method} {case.formatted_path} query={case.query!r} as {caller} body={text[:300]}"
    )
    if answer is None:
        return request
    return f"{request} -> {answer.status_code} {answer.content[:200]!r}"


def _check(
    figures: Figures,
    label: str,
    documented: dict[str, Any],
    case: Any,
    caller: str,
    answer: Response,
) -> None:
    status = answer.status_code
    figures.statuses[status] += 1
    media = (answer.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if status >= 400 and str(status) not in documented:
        figures.fail(label, f"{status} not in the document", _describe(case, caller, answer))
    content = (documented.get(str(status)) or {}).get("content") or {}
    if 200 <= status < 300 and content and media not in content:
        figures.fail(
            label, f"{status} as {media}, not in the document", _describe(case, caller, answer)
        )
    if status >= 500:
        figures.fail(label, f"{status}", _describe(case, caller, answer))
    elif 400 <= status < 500 and media != "application/problem+json":
        figures.fail(
            label, f"{status} as {media or 'no content type'}", _describe(case, caller, answer)
        )


def _fuzz_operation(
    operation: Any,
    srv: ServerProcess,
    seeded: Seed,
    figures: Figures,
    examples: int,
    seed_value: int,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    documented = dict(operation.definition.raw.get("responses", {}))
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    # Hypothesis draws the first ones most: the facilitator reaches the most handlers.
    callers = list(seeded.tokens)
    session = requests.Session()

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        # Mostly a real id for each path parameter (a random one mostly finds a 404).
        for name in list(case.path_parameters or {}):
            pool = seeded.ids.get(name)
            if pool and data.draw(st.integers(0, 3), label=name) < 3:
                case.path_parameters[name] = data.draw(st.sampled_from(pool), label=name)
        caller = data.draw(st.sampled_from(callers), label="caller")
        token = seeded.tokens[caller]
        headers = {"authorization": f"Bearer {token}"} if token else {}
        session.cookies.clear()
        figures.cases += 1
        try:
            answer = case.call(
                base_url=srv.http, session=session, headers=headers, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            figures.fail(label, f"no answer ({type(exc).__name__})", _describe(case, caller, None))
            return
        _check(figures, label, documented, case, caller, answer)

    try:
        run()
    finally:
        session.close()


def _fuzz(srv: ServerProcess, seeded: Seed, cases: int, seed_value: int) -> Figures:
    schema = schemathesis.openapi.from_url(f"{srv.http}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = max(1, math.ceil(cases / len(operations)))
    figures = Figures()
    for operation in operations:
        _fuzz_operation(operation, srv, seeded, figures, per_operation, seed_value)
    return figures


def test_every_generated_request_gets_a_non_5xx_answer_and_every_4xx_is_a_problem(
    fuzzed: tuple[ServerProcess, Seed],
) -> None:
    srv, seeded = fuzzed
    started = time.monotonic()
    figures = _fuzz(srv, seeded, CASES, SEED)
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(figures.statuses.items()))
    print(
        f"\nOpenAPI fuzz: {figures.cases} cases (seed {SEED}) in {elapsed:.0f} s; "
        f"answers {statuses}; {len(figures.failures)} distinct failures"
    )
    report = "\n".join(
        f"{operation}: {what}\n    " + "\n    ".join(examples)
        for (operation, what), examples in sorted(figures.failures.items())
    )
    if report:
        print(report)
    log = Path(srv.log_path) if srv.log_path else None
    assert not figures.failures, f"{report}\n(server log: {log})"
    assert figures.cases >= min(CASES, 1)
