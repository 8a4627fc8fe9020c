"""A cancelled séance, everywhere it shows: open screens hear of it on the séance's live channel
(``session_cancelled`` with the public reason, then ``session_restored``), and a screen that
connects later reads it in its snapshot; its QR codes are a 410 problem (``session_cancelled``,
French and English); its printable invitation becomes a notice to post, « Séance annulée », with
when, where and why, and neither its join code nor a QR code. Restored, all is as before."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pypdf
import pytest
import websockets

from server.printing import cancelled_sheet, invitation_pdf
from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import ATELIER, Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_seance_cancel import AHEAD, REASON

pytestmark = pytest.mark.anyio


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.http, timeout=20) as client:
        yield client


def seance_ahead(http: httpx.Client, room: Room) -> dict[str, Any]:
    """Séance 2 of the room's atelier, on mardi 4 mars 2031 at Le Shadok."""
    created = http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions",
        json=AHEAD,
        headers=room.auth(room.facilitator),
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def pdf_of(answer: httpx.Response) -> tuple[pypdf.PdfReader, str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(answer.content))
    return reader, flat(" ".join(page.extract_text() for page in reader.pages))


def gone(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 410, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == "session_cancelled"
    return problem


async def test_open_screens_hear_of_the_cancellation_then_of_the_restoring(
    server: ServerProcess, http: httpx.Client
) -> None:
    room = Room(http)
    seance = seance_ahead(http, room)
    resident = room.token_of("Zoé")
    facilitator = room.auth(room.facilitator)
    base = f"/api/sessions/{seance['id']}"
    async with (
        websockets.connect(follow_url(server, seance["id"], resident)) as ws_zoe,
        websockets.connect(follow_url(server, seance["id"], room.facilitator)) as ws_console,
    ):
        zoe, console = Follower(ws_zoe), Follower(ws_console)
        for follower in (zoe, console):
            first = await follower.next("snapshot")
            assert (first["cancelled_at"], first["cancel_reason"]) == (None, None)

        cancelled = await asyncio.to_thread(
            http.post, f"{base}/cancel", json={"reason": REASON}, headers=facilitator
        )
        assert cancelled.status_code == 200, cancelled.text
        stamp = cancelled.json()["details"]["cancelled_at"]
        for follower in (zoe, console):
            event = await follower.next("session_cancelled")
            assert event == {
                "type": "session_cancelled",
                "session_id": seance["id"],
                "cancelled_at": stamp,
                "cancel_reason": REASON,
            }

        # A screen that connects now (or reconnects after missing the event) reads it too.
        async with websockets.connect(follow_url(server, seance["id"], resident)) as ws_late:
            late = await Follower(ws_late).next("snapshot")
            assert (late["cancelled_at"], late["cancel_reason"]) == (stamp, REASON)

        restored = await asyncio.to_thread(http.post, f"{base}/restore", headers=facilitator)
        assert restored.status_code == 200, restored.text
        for follower in (zoe, console):
            event = await follower.next("session_restored")
            assert event == {"type": "session_restored", "session_id": seance["id"]}

    async with websockets.connect(follow_url(server, seance["id"], resident)) as ws_after:
        after = await Follower(ws_after).next("snapshot")
        assert (after["cancelled_at"], after["cancel_reason"]) == (None, None)


def test_a_cancelled_seances_qr_codes_are_gone_and_its_invitation_says_it_is_cancelled(
    http: httpx.Client, server: ServerProcess
) -> None:
    import zxingcpp
    from PIL import Image

    room = Room(http)
    seance = seance_ahead(http, room)
    code = seance["join_code"]
    spaced = f"{code[:4]}-{code[4:]}"
    facilitator = room.auth(room.facilitator)
    _, invitation = pdf_of(http.get(f"/api/join/{code}/invitation.pdf"))
    assert spaced in invitation  # as it was before

    cancelled = http.post(
        f"/api/sessions/{seance['id']}/cancel", json={"reason": REASON}, headers=facilitator
    )
    assert cancelled.status_code == 200, cancelled.text

    # The QR codes would lead to a séance that opens nothing: none is drawn, and the problem
    # says why, in French, or in English when asked.
    fr = gone(http.get(f"/api/join/{code}/qr.svg"))
    assert fr["detail"] == (
        f"La séance 2 de l’atelier « {ATELIER['title']} », prévue le mardi 4 mars 2031 à 18 h, "
        f"est annulée. Motif : {REASON}"
    )
    en = gone(http.get(f"/api/join/{code}/qr.png", headers={"Accept-Language": "en"}))
    assert en["detail"].startswith("Séance 2 of the ")
    assert en["detail"].endswith(f"is cancelled. Reason: {REASON}")
    paths = http.get("/schema/openapi.json").json()["paths"]
    for kind in ("svg", "png"):
        assert "410" in paths[f"/api/join/{{code}}/qr.{kind}"]["get"]["responses"]

    # The invitation, reprinted in every size, is the notice to post over the old one.
    for paper in ("A4", "A5", "A3"):
        answer = http.get(f"/api/join/{code}/invitation.pdf", params={"format": paper})
        reader, text = pdf_of(answer)
        assert answer.headers["content-disposition"] == 'inline; filename="seance-2-annulee.pdf"'
        assert text.startswith("Séance annulée")
        assert ATELIER["title"] in text
        assert "Séance 2" in text
        assert "Prévue le mardi 4 mars 2031 à 18 h" in text
        assert "à Le Shadok" in text
        assert "Cette séance n’aura pas lieu." in text
        assert f"Motif : {REASON}" in text
        assert f"Reason: {REASON}" in text
        assert spaced not in text
        assert code not in text
        assert "/rejoindre" not in text
        assert "Scannez" not in text
        assert len(reader.pages) == 1
        assert len(reader.pages[0].images) == 0  # no QR code (and this atelier has no image)
        assert str(reader.metadata.title).startswith("Séance annulée — ")

    # Restored: the QR code leads to the séance again, and the invitation invites.
    restored = http.post(f"/api/sessions/{seance['id']}/restore", headers=facilitator)
    assert restored.status_code == 200, restored.text
    png = http.get(f"/api/join/{code}/qr.png")
    assert png.status_code == 200, png.text
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert decoded == [f"{server.http}/rejoindre/{code}"]
    assert http.get(f"/api/join/{code}/qr.svg").content.startswith(b"<?xml")
    _, invitation = pdf_of(http.get(f"/api/join/{code}/invitation.pdf"))
    assert spaced in invitation
    assert "annulée" not in invitation


def test_without_a_reason_the_notice_gives_none(http: httpx.Client) -> None:
    room = Room(http)
    seance = seance_ahead(http, room)
    cancelled = http.post(
        f"/api/sessions/{seance['id']}/cancel", json={}, headers=room.auth(room.facilitator)
    )
    assert cancelled.status_code == 200, cancelled.text
    _, text = pdf_of(http.get(f"/api/join/{seance['join_code']}/invitation.pdf"))
    assert "Cette séance n’aura pas lieu." in text
    assert "Cancelled: this séance will not take place." in text
    assert "Motif" not in text
    assert "Reason" not in text


def test_the_notice_is_tagged_one_title_and_no_figure_but_the_logo() -> None:
    """Read aloud, the notice starts with « Séance annulée »; the only picture is the logo."""
    from tests.server.test_dossier_pdf import png

    sheet = cancelled_sheet(
        "Jardins du Neudorf", "Séance 2", "mardi 4 mars 2031 à 18 h", "Le Shadok", REASON, png()
    )
    reader = pypdf.PdfReader(io.BytesIO(invitation_pdf(sheet)))
    document = reader.trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    elements = [kid.get_object() for kid in document["/K"]]
    kinds = [str(e["/S"]) for e in elements]
    assert kinds.count("/H1") == 1
    assert [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure"] == ["Logo de l’atelier"]
    first_text = next(i for i, kind in enumerate(kinds) if kind != "/Figure")
    assert kinds[first_text] == "/H1"
