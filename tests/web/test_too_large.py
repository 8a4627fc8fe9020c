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


def test_a_paste_past_the_size_limit_is_announced_and_kept_on_the_device(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un texte qui déborde")
    page = new_page(new_context())
    join_by_ui(page, demo, "Léa")
    open_proposal(page, demo, proposal)
    editor(page, "constat").click()
    page.keyboard.insert_text("Un constat raisonnable. ")
    state = page.get_by_test_id("sync-state")
    state.filter(has_text="En ligne").wait_for()

    page.keyboard.insert_text("Trop long. " * (LIMIT // 10))
    state.filter(has_text="taille maximale").wait_for()
    assert state.get_attribute("data-state") == "too_large"
    assert "hors ligne" not in state.inner_text().lower()
    # The words stay on the screen (and in this browser's storage); nothing was silently dropped.
    assert "Trop long." in editor(page, "constat").inner_text()
    screenshot(page, "97-editor-too-large")
    no_page_errors(page)
