"""Bad Wi-Fi: edits made offline are kept in the browser (IndexedDB) and sent when the network
is back — including after the tab was closed; the banner says what is happening."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Demo, join_by_ui, new_page, no_page_errors, screenshot
from tests.web.test_editor import editor, open_proposal

OFFLINE = "Hors ligne"
# How many updates y-indexeddb holds for a document (its "updates" object store).
COUNT_UPDATES = """new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const db = open.result;
        const count = db.transaction('updates').objectStore('updates').count();
        count.onsuccess = () => { db.close(); resolve(count.result); };
        count.onerror = () => { db.close(); reject(count.error); };
    };
})"""


def stored_updates(page: Any, doc_id: str) -> int:
    return int(page.evaluate("(name) => " + COUNT_UPDATES, f"atelier:{doc_id}"))


def wait_stored(page: Any, doc_id: str, count: int) -> None:
    """Until IndexedDB holds ``count`` updates of the document (one per keystroke typed)."""
    page.wait_for_function(
        "([name, n]) => " + COUNT_UPDATES + ".then((count) => count >= n)",
        arg=[f"atelier:{doc_id}", count],
    )


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
    doc_id = demo.api("GET", f"/api/proposals/{proposal}/token")["doc_id"]
    before = stored_updates(jules, doc_id)
    text = "Trois bacs en bois."
    editor(jules, "moyens").click()
    jules.keyboard.type(text)
    # The tab is closed while offline, once the edit is stored: it lives only in this
    # browser's IndexedDB.
    wait_stored(jules, doc_id, before + len(text))
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


def test_a_reload_without_network_reopens_the_proposal_with_its_offline_edits(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Des toilettes publiques au parc")
    context = new_context()
    page = new_page(context)
    join_by_ui(page, demo, "Wassim")
    open_proposal(page, demo, proposal)
    # The service worker keeps the app shell and the editor's code once they were loaded.
    page.wait_for_function(
        """async () => {
            const cache = await caches.open('atelier-shell-v1');
            const kept = (await cache.keys()).map((r) => new URL(r.url).pathname);
            return kept.includes('/') && kept.some((p) => p.startsWith('/assets/proposal-'));
        }"""
    )
    context.set_offline(True)
    page.get_by_test_id("sync-state").filter(has_text=OFFLINE).wait_for()
    doc_id = demo.api("GET", f"/api/proposals/{proposal}/token")["doc_id"]
    before = stored_updates(page, doc_id)
    text = "Ouverture au printemps."
    editor(page, "calendrier").click()
    page.keyboard.type(text)
    # IndexedDB writes are asynchronous: reload once every keystroke's update is stored (a
    # reload in the middle of a write would lose the last ones — in a test, not in a room).
    wait_stored(page, doc_id, before + len(text))
    page.reload()
    # Reloaded in a dead zone: the screen, the text written offline, the offline banner.
    editor(page, "calendrier").get_by_text("Ouverture au printemps.").wait_for()
    page.get_by_test_id("sync-state").filter(has_text=OFFLINE).wait_for()
    screenshot(page, "21-editor-reloaded-offline")
    context.set_offline(False)
    page.get_by_test_id("sync-state").filter(has_text=ONLINE).wait_for()
    other = new_page(new_context())
    join_by_ui(other, demo, "Yasmine")
    open_proposal(other, demo, proposal)
    editor(other, "calendrier").get_by_text("Ouverture au printemps.").wait_for()
