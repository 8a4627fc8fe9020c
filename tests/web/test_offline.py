"""Bad Wi-Fi: edits made offline are kept in the browser (IndexedDB) and sent when the network
is back — including after the tab was closed; the banner says what is happening."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Demo, join_by_ui, new_page, no_page_errors, screenshot
from tests.web.test_editor import editor, open_proposal

OFFLINE = "Hors ligne"
ONLINE = "En ligne — vos modifications sont partagées en direct"


def test_offline_edits_are_sent_when_the_network_comes_back(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Éclairer le passage sous la voie ferrée")
    offline_context = new_context()
    hana = new_page(offline_context)
    ines = new_page(new_context())
    join_by_ui(hana, demo, "Hana")
    join_by_ui(ines, demo, "Inès")
    open_proposal(hana, demo, proposal)
    open_proposal(ines, demo, proposal)
    ines.get_by_test_id("here").get_by_text("Hana").wait_for()

    offline_context.set_offline(True)
    banner = hana.get_by_test_id("sync-state")
    banner.filter(has_text=OFFLINE).wait_for()
    editor(hana, "constat").click()
    hana.keyboard.type("Le passage est sombre le soir.")
    banner.filter(has_text="gardées sur cet appareil").wait_for()
    assert banner.get_attribute("aria-live") == "polite"
    screenshot(hana, "20-editor-offline")
    # Not a word of it reached Inès.
    assert "sombre" not in editor(ines, "constat").inner_text()

    offline_context.set_offline(False)
    banner.filter(has_text=ONLINE).wait_for()
    editor(ines, "constat").get_by_text("Le passage est sombre le soir.").wait_for()
    ines.get_by_test_id("here").get_by_text("Hana").wait_for()
    no_page_errors(hana)


def test_offline_edits_survive_a_closed_tab(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un composteur collectif")
    context = new_context()
    jules = new_page(context)
    join_by_ui(jules, demo, "Jules")
    open_proposal(jules, demo, proposal)

    context.set_offline(True)
    jules.get_by_test_id("sync-state").filter(has_text=OFFLINE).wait_for()
    editor(jules, "moyens").click()
    jules.keyboard.type("Trois bacs en bois.")
    # The tab is closed while offline: the edit lives only in this browser's IndexedDB.
    jules.wait_for_function(
        """async () => {
            const dbs = await indexedDB.databases();
            return dbs.some((db) => db.name && db.name.startsWith('atelier:'));
        }"""
    )
    jules.close()
    context.set_offline(False)

    # Nobody else can see it yet: it never reached the server.
    other = new_page(new_context())
    join_by_ui(other, demo, "Karim")
    open_proposal(other, demo, proposal)
    assert "Trois bacs" not in editor(other, "moyens").inner_text()

    # Jules opens the proposal again: the kept edit is sent, and Karim sees it.
    again = new_page(context)
    open_proposal(again, demo, proposal)
    editor(again, "moyens").get_by_text("Trois bacs en bois.").wait_for()
    editor(other, "moyens").get_by_text("Trois bacs en bois.").wait_for()
