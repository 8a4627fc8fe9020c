"""A text over the server's size limit: the editor says so, plainly, and does not pretend to be
offline (a reconnect loop would send the same update forever)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import Demo, join_by_ui, new_page, no_page_errors, running_demo, screenshot
from tests.web.test_editor import editor, open_proposal

LIMIT = 6 * 1024


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory, ATELIER_MAX_DOCUMENT_BYTES=str(LIMIT))


def typing_online(page: Any, demo: Demo, title: str) -> Any:
    """Léa types in a new proposal's « constat » until it is shared live; its sync banner."""
    proposal = demo.new_proposal(title)
    join_by_ui(page, demo, "Léa")
    open_proposal(page, demo, proposal)
    editor(page, "constat").click()
    page.keyboard.insert_text("Un constat raisonnable. ")
    state = page.get_by_test_id("sync-state")
    state.filter(has_text="En ligne").wait_for()
    return state


def test_a_paste_past_the_size_limit_is_announced_and_kept_on_the_device(
    demo: Demo, new_context: Any
) -> None:
    page = new_page(new_context())
    state = typing_online(page, demo, "Un texte qui déborde")
    page.keyboard.insert_text("Trop long. " * (LIMIT // 10))
    state.filter(has_text="taille maximale").wait_for()
    assert state.get_attribute("data-state") == "too_large"
    assert "hors ligne" not in state.inner_text().lower()
    # The words stay on the screen (and in this browser's storage); nothing was silently dropped.
    assert "Trop long." in editor(page, "constat").inner_text()
    screenshot(page, "97-editor-too-large")
    no_page_errors(page)


FRAME_LIMIT = 4 * 1024


@pytest.fixture(scope="module")
def demo_small_frames(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory, ATELIER_MAX_FRAME_BYTES=str(FRAME_LIMIT))


def test_a_single_change_over_the_frame_limit_is_announced_not_resent_for_ever(
    demo_small_frames: Demo, new_context: Any
) -> None:
    # The server's WebSocket closes with 1009 on a frame past its limit; a provider that
    # reconnected would send the same update again at once, and again.
    page = new_page(new_context())
    opened: list[str] = []  # the document's sockets, each connection a new one
    page.on("websocket", lambda ws: opened.append(ws.url) if "/ws/docs/" in ws.url else None)
    state = typing_online(page, demo_small_frames, "Un collage énorme")
    page.keyboard.insert_text("Un très long collage. " * (FRAME_LIMIT // 20))
    state.filter(has_text="trop volumineuse").wait_for()
    assert state.get_attribute("data-state") == "change_too_large"
    sockets = len(opened)
    # y-websocket reconnects 100 ms after losing an open connection: fifteen times that, and
    # still no new socket.
    page.wait_for_timeout(1500)
    assert len(opened) == sockets  # no reconnect loop
    assert "Un très long collage." in editor(page, "constat").inner_text()
    no_page_errors(page)
