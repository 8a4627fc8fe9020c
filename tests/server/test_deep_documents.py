"""A document any writer can nest without end (a list in a list in a list, 500 deep) still
freezes, alone and with its séance, and every word of it is in the version (issue 23, #7)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import new_proposal, post, write

DEPTH = 500


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=60) as http:
        yield Room(http)


def deep_list(doc: Doc) -> None:
    """bulletList > listItem > (paragraph « niveau i », bulletList > listItem > …), 500 deep,
    then a quote nested 500 deep, as a writer's editor could send them."""
    fragment = doc.get("proposition", type=XmlFragment)
    parent: Any = fragment
    for level in range(1, DEPTH + 1):
        bullets = parent.children.append(XmlElement("bulletList"))
        item = bullets.children.append(XmlElement("listItem"))
        paragraph = item.children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText(f"niveau {level}."))
        parent = item
    quote: Any = fragment
    for level in range(1, DEPTH + 1):
        quote = quote.children.append(XmlElement("blockquote"))
        paragraph = quote.children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText(f"citation {level}."))
    inline: Any = fragment.children.append(XmlElement("paragraph"))
    for _ in range(DEPTH):  # inline elements inside inline elements
        inline = inline.children.append(XmlElement("mention"))
    inline.children.append(XmlText("tout au fond."))


def test_a_list_nested_500_deep_freezes_alone_and_with_its_seance_keeping_every_word(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    asyncio.run(write(server_on, proposal["doc_id"], room.facilitator, deep_list))

    frozen = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    seance = post(room, f"/api/sessions/{room.session['id']}/freeze")
    assert seance.status_code == 201, seance.text
    assert [v["number"] for v in seance.json()] == [2]

    version = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/2", headers=room.auth(room.facilitator)
    ).json()
    section = next(s for s in version["content"]["sections"] if s["key"] == "proposition")
    words = [f"niveau {n}." for n in range(1, DEPTH + 1)]
    words += [f"citation {n}." for n in range(1, DEPTH + 1)] + ["tout au fond."]
    for rendering in ("text", "markdown", "html"):
        missing = [w for w in words if w not in section[rendering]]
        assert not missing, (rendering, missing[:3])
    # Levels past the eighth are items of the eighth, in the order they were written.
    assert section["text"].index("niveau 9.") < section["text"].index("niveau 500.")
    assert section["html"].count("<ul>") == 8

    for form in ("markdown", "html"):
        page = room.http.get(
            f"/api/proposals/{proposal['id']}/versions/2/{form}",
            headers=room.auth(room.facilitator),
        )
        assert page.status_code == 200, page.text
        assert "niveau 500." in page.text
    pdf = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/2/pdf", headers=room.auth(room.facilitator)
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    verified = room.http.get(
        f"/api/proposals/{proposal['id']}/verify", headers=room.auth(room.facilitator)
    ).json()
    assert verified["valid"] is True
