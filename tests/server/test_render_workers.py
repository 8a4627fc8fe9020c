"""PDFs and images are made in bounded worker processes (issue 23, finding 1): an image is
decoded and encoded again before it is stored, one that is too large or broken is refused with a
clear problem, a stored one that does not decode is left out of the page, and a long render
neither holds the other requests nor runs past its time limit — on a real server."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pypdf
import pytest
from PIL import Image
from pycrdt import Doc
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.models import AtelierImageRow
from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import new_proposal, paragraph, post, write


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces ``width`` × ``height`` pixels in a few hundred bytes (its pixel
    data is a short run of zeros): what a decompression bomb looks like before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096, 9))
        + chunk(b"IEND", b"")
    )


def upload(room: Room, data: bytes) -> httpx.Response:
    return room.http.put(
        f"/api/ateliers/{room.atelier['id']}/image",
        content=data,
        headers=room.auth(room.facilitator),
    )


def invitation(room: Room) -> httpx.Response:
    return room.http.get(f"/api/join/{room.code}/invitation.pdf")


def images_in(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images)


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(room: Room) -> None:
    bomb = png_header_only(12_000, 12_000)
    assert len(bomb) < 1000
    refused = upload(room, bomb)
    assert (refused.status_code, refused.json()["code"]) == (413, "image_pixels")
    assert "40 millions de pixels" in refused.json()["detail_fr"]
    assert room.http.get(f"/api/ateliers/{room.atelier['id']}/image").status_code == 404
    assert images_in(invitation(room).content) == 1  # the QR code alone


def test_a_signature_followed_by_junk_is_refused_and_every_pdf_still_prints(room: Room) -> None:
    for junk in (b"\x89PNG\r\n\x1a\n" + b"\x00junk" * 50, b"\xff\xd8\xff" + b"not a jpeg" * 20):
        refused = upload(room, junk)
        assert (refused.status_code, refused.json()["code"]) in {
            (422, "image_unreadable"),
            (415, "image_type"),
        }, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert invitation(room).status_code == 200


def test_an_image_is_stored_upright_bounded_and_without_its_metadata(room: Room) -> None:
    photo = Image.new("RGB", (3000, 1000), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; the image is shown rotated 90°
    exif[0x8825] = {2: (48.0, 35.0, 0.0)}  # GPS latitude: where the photo was taken
    raw = io.BytesIO()
    photo.save(raw, format="JPEG", exif=exif, quality=90)
    assert upload(room, raw.getvalue()).status_code == 200
    shown = room.http.get(f"/api/ateliers/{room.atelier['id']}/image")
    assert shown.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(shown.content))
    assert stored.size == (400, 1200)  # turned upright, then fitted in 1200 × 1200
    assert not stored.getexif()  # no orientation left to apply, no position given away
    assert images_in(invitation(room).content) == 2


def test_an_image_stored_before_the_checks_that_does_not_decode_is_left_out_of_the_pdf(
    room: Room, server_on: ServerProcess
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 60)).save(picture, format="PNG")
    assert upload(room, picture.getvalue()).status_code == 200
    # As an archive made before the checks, or a row written by hand, could hold it:
    broken = b"\x89PNG\r\n\x1a\n" + b"junk" * 100

    async def overwrite() -> None:
        engine = create_async_engine(server_on.database_url)
        async with engine.begin() as conn:
            await conn.execute(
                update(AtelierImageRow)
                .where(AtelierImageRow.atelier_id == room.atelier["id"])
                .values(data=broken)
            )
        await engine.dispose()

    asyncio.run(overwrite())
    printed = invitation(room)
    assert printed.status_code == 200, printed.text
    assert images_in(printed.content) == 1  # the QR code; the broken image is left out


def big_proposal(room: Room, server: ServerProcess) -> str:
    """A proposal of about 800 KB of text, frozen: its PDF takes seconds to typeset."""
    proposal = new_proposal(room)
    sentence = "Le jardin partagé de la rue Émile Zola sera ouvert à toutes et à tous. "
    one_by_one = [paragraph("constat", sentence * 14) for _ in range(800)]

    def all_at_once(doc: Doc) -> None:  # one update: as a paste, not 800 keystrokes
        with doc.transaction():
            for edit in one_by_one:
                edit(doc)

    asyncio.run(write(server, proposal["doc_id"], room.facilitator, all_at_once))
    frozen = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    return f"/api/proposals/{proposal['id']}/versions/1/pdf"


def test_a_long_render_holds_no_other_request_and_stops_at_its_time_limit(
    server_factory: type[ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(
        sqlite_url,
        env_overrides={
            "ATELIER_RENDER_WORKERS": "1",
            "ATELIER_RENDER_MAX_WAITING": "0",
            # Typesetting 800 KB takes about 8 s unloaded; an invitation, a tenth of a second.
            "ATELIER_RENDER_TIMEOUT_SECONDS": "3",
        },
    )
    server.start()
    with httpx.Client(base_url=server.http, timeout=60) as http:
        room = Room(http)
        pdf_path = big_proposal(room, server)
        long_answer: dict[str, Any] = {}
        done = threading.Event()

        def fetch_long_pdf() -> None:
            with httpx.Client(base_url=server.http, timeout=60) as other:
                while True:  # an invitation may hold the one worker at first: ask again
                    answer = other.get(pdf_path, headers=room.auth(room.facilitator))
                    if answer.json()["code"] != "render_busy":
                        break
                long_answer.update(status=answer.status_code, body=answer.json())
            done.set()

        thread = threading.Thread(target=fetch_long_pdf)
        thread.start()
        busy: list[httpx.Response] = []
        while not done.is_set():  # the server keeps answering while the long render runs
            answer = invitation(room)
            if answer.status_code == 503:
                busy.append(answer)
        thread.join()
        assert (long_answer["status"], long_answer["body"]["code"]) == (503, "render_timeout")
        assert busy, "no request was answered while the long render ran"
        assert {a.json()["code"] for a in busy} == {"render_busy"}
        assert all(a.headers["retry-after"] for a in busy)
        # The worker that overran was replaced: the next document is made.
        assert invitation(room).status_code == 200


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_a_render_pool_without_workers_is_refused_at_start(workers: str) -> None:
    from server.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="ATELIER_RENDER_WORKERS"):
        load_settings({"ATELIER_RENDER_WORKERS": workers})


def test_a_job_past_the_memory_limit_fails_alone_and_the_next_one_runs() -> None:
    from server.documents.workers import RenderFailed, RenderPool

    async def main() -> None:
        pool = RenderPool(1, memory_bytes=768 * 1024 * 1024, timeout=60)
        try:
            with pytest.raises(RenderFailed, match="MemoryError"):
                await pool.run(bytearray, 2 * 1024 * 1024 * 1024)  # 2 GiB: past RLIMIT_AS
            assert len(await pool.run(bytearray, 1024)) == 1024  # the same worker goes on
        finally:
            await pool.close()

    asyncio.run(main())
