"""A server that starts lean (issue 24: its memory is a cost a city pays per instance): the
libraries only some requests need are imported by those requests, or by the render workers,
never with the application. Each check runs in a fresh interpreter, whose ``sys.modules`` no
earlier test has filled."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT
from tests.serving import clean_env

#: Imported where they are used: fpdf (with fontTools and Pillow under it) in the render workers,
#: icalendar for a calendar feed, httpx when webhooks are configured, segno for a QR code.
HEAVY = ("fpdf", "fontTools", "PIL", "icalendar", "httpx", "segno")


def run_python(code: str) -> dict[str, object]:
    """``code`` in a new interpreter (the checkout's sources, no ``ATELIER_*`` variable); what
    it printed last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_app_is_built_without_the_libraries_of_documents_calendars_and_webhooks() -> None:
    found = run_python(
        f"""
        import json, sys
        import server.app
        from server.settings import load_settings

        server.app.create_app(load_settings({{}}))
        heavy = {HEAVY!r}
        print(json.dumps({{"loaded": sorted(
            m for m in sys.modules if m.split(".")[0] in heavy
        )}}))
        """
    )
    assert found["loaded"] == []


def test_a_calendar_feed_is_built_in_a_render_worker_not_on_the_event_loop() -> None:
    """icalendar (and segno for a QR code) are pure Python: importing one takes more than a
    tenth of a second and a feed milliseconds a séance, so the server has its render workers
    build them; the server's own process never imports them."""
    found = run_python(
        """
        import json, sys, tempfile
        from litestar.testing import TestClient
        import server.app
        from server.db.migrate import upgrade
        from server.settings import load_settings

        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/atelier.db"
        upgrade(url)
        app = server.app.create_app(load_settings({"ATELIER_DATABASE_URL": url}))
        with TestClient(app) as client:
            feed = client.get("/api/instances/CQ/seances.ics")
        print(json.dumps({
            "status": feed.status_code,
            "ics": feed.content.startswith(b"BEGIN:VCALENDAR"),
            "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("icalendar", "segno")),
        }))
        """
    )
    assert found == {"status": 200, "ics": True, "loaded": []}


def test_what_the_workers_make_still_loads_its_library_when_first_asked_elsewhere() -> None:
    """Outside the server (a script, a test), a QR code, a calendar feed and an invitation are
    still made by calling their functions: each imports its library when first called."""
    found = run_python(
        """
        import json
        import server.app
        from server.printing import InvitationSheet, invitation_pdf, qr_png, qr_svg
        from server.public.ical import calendar

        sheet = InvitationSheet("Atelier vélo", "Séance 1", "mardi", "Mairie", "ABC123",
                                "https://atelier.example/rejoindre/ABC123")
        feed = calendar([], name="Séances", host="atelier.example",
                        base_url="https://atelier.example", time_zone="Europe/Paris",
                        page_url="https://atelier.example/decouvrir")
        print(json.dumps({
            "png": qr_png("https://atelier.example/rejoindre/ABC123")[:8].hex(),
            "svg": qr_svg("https://atelier.example/rejoindre/ABC123").startswith(b"<?xml"),
            "pdf": invitation_pdf(sheet, "A5")[:5].decode(),
            "ics": feed.startswith(b"BEGIN:VCALENDAR"),
        }))
        """
    )
    assert found == {"png": "89504e470d0a1a0a", "svg": True, "pdf": "%PDF-", "ics": True}


def test_a_render_worker_starts_without_the_web_framework_and_the_database() -> None:
    """A render worker imports what it draws with, not what the server serves with: its start is
    the wait of the first document, QR code or calendar after a (re)start, and its memory is
    paid per worker. A calendar job's séances arrive pickled and are read without the models."""
    found = run_python(
        """
        import datetime as dt, json, pickle, sys
        from domain.sessions import Mode, Session
        from server.public.seances import PublicSeance

        now = dt.datetime(2031, 3, 4, 12, tzinfo=dt.timezone.utc)
        held = Session(id="s1", atelier_id="a1", number=1, date=now.date(),
                       mode=Mode("presentiel"), place="Le Shadok")
        seance = PublicSeance("s1", "a1", "Jardin", 1, held, now, now)
        sent = pickle.dumps([seance])
        for name in [m for m in sys.modules if m.startswith(("server", "domain"))]:
            del sys.modules[name]

        from server.documents.jobs import calendar_feed, qr_code, warm_up
        warm_up()
        feed = calendar_feed(pickle.loads(sent), name="Séances", host="atelier.example",
                             base_url="https://atelier.example", time_zone="Europe/Paris",
                             page_url="https://atelier.example/decouvrir")
        png = qr_code("https://atelier.example/rejoindre/ABC123", "png")
        print(json.dumps({
            "ics": b"UID:seance-s1@atelier.example" in feed,
            "png": png[:4].hex(),
            "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "litestar"}),
        }))
        """
    )
    assert found == {"ics": True, "png": "89504e47", "loaded": []}
