"""Two people typing at the same spot of a section keep each one's run whole (issue 20, #1).

Two separate chromium processes, each a person who joined the séance, put their caret at the
same place and type a sentence each with real key events at 10 characters a second, at the
same time. Without a left-sticky caret, a remote letter landing exactly at the local caret
pushes it right, and the next local letter lands after the other person's: « LUens lhiaebui ».
Checked at the end of a paragraph, at its start, in an empty section, in the middle of a word
and in a list item; then both browsers agree with the server's document and the frozen version.

The Playwright fixtures of ``conftest`` are synchronous and allow one action at a time; typing
together needs the async API, run here in a thread of its own (the sync API holds this thread's
event loop), with its own two browser processes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.conftest import _unavailable
from tests.server.test_versions_api import write
from tests.web.conftest import DESKTOP, WAIT_MS, Demo, chromium_path
from tests.ypy_client import connect

SECTION = "constat"
# Two sentences, each person's own; neither holds the capital the other one starts with.
AWA = "Il faudrait un abri pour les vélos."
BRUNO = "Une fontaine serait utile aussi."
TYPING_DELAY_MS = 100  # 10 characters a second, an ordinary typing speed

# The editor's text, block by block: a remote caret is a widget holding the person's name,
# which is not text of the document.
EDITOR_TEXT = """(el) => Array.from(el.querySelectorAll('p')).map((p) => {
    const copy = p.cloneNode(true);
    copy.querySelectorAll('.remote-cursor').forEach((c) => c.remove());
    return copy.textContent.replace(/\\u2060/g, '');
}).join('\\n')"""
# Whether the selection is a caret, and the text before it in its block.
CARET = """() => {
    const s = getSelection();
    const range = s.getRangeAt(0).cloneRange();
    const node = range.startContainer;
    const block = (node.nodeType === 1 ? node : node.parentElement).closest('p');
    range.setStart(block, 0);
    const before = range.cloneContents();
    before.querySelectorAll('.remote-cursor').forEach((c) => c.remove());
    return [s.isCollapsed, before.textContent.replace(/\\u2060/g, '')];
}"""


def paragraphs(*texts: str) -> Callable[[Doc[Any]], None]:
    def edit(doc: Doc[Any]) -> None:
        fragment = doc.get(SECTION, type=XmlFragment)
        for text in texts:
            element = fragment.children.append(XmlElement("paragraph"))
            element.children.append(XmlText(text))

    return edit


def bullet_list(*items: str) -> Callable[[Doc[Any]], None]:
    """A list as Tiptap writes it (what collab/render.py reads): bulletList > listItem >
    paragraph."""

    def edit(doc: Doc[Any]) -> None:
        fragment = doc.get(SECTION, type=XmlFragment)
        listing = fragment.children.append(XmlElement("bulletList"))
        for text in items:
            item = listing.children.append(XmlElement("listItem"))
            paragraph = item.children.append(XmlElement("paragraph"))
            paragraph.children.append(XmlText(text))

    return edit


@dataclass
class Case:
    name: str
    seed: Callable[[Doc[Any]], None] | None
    seen: str  # text the seed shows, waited for before placing the caret
    keys: list[str]  # where the caret goes, with the keyboard, once the editor is clicked
    before: str  # the text before the caret in its block, and after it
    after: str
    undo: bool = False  # then Awa undoes her sentence and redoes it


CASES = [
    Case(
        "end of a paragraph",
        paragraphs("Le square ferme trop tôt. ", "Il n’y a pas d’ombre."),
        "Il n’y a pas d’ombre.",
        ["Control+Home", "End"],
        "Le square ferme trop tôt. ",
        "",
        undo=True,
    ),
    Case(
        "start of a paragraph",
        paragraphs("Le square ferme trop tôt."),
        "Le square ferme trop tôt.",
        ["Control+Home"],
        "",
        "Le square ferme trop tôt.",
    ),
    Case("empty section", None, "", [], "", ""),
    Case(
        "middle of a word",
        paragraphs("Le stationnement gêne."),
        "Le stationnement gêne.",
        ["Control+Home", *["ArrowRight"] * 6],
        "Le sta",
        "tionnement gêne.",
    ),
    Case(
        "list item",
        bullet_list("Des bancs", "Des arbres"),
        "Des arbres",
        ["Control+Home", "End"],
        "Des bancs",
        "",
    ),
]


def runs_whole(text: str) -> bool:
    return AWA in text and BRUNO in text


def y_text(doc: Doc[Any]) -> str:
    """The section's text blocks in reading order, one a line, as the editor shows them."""
    lines: list[str] = []
    stack: list[Any] = [iter(doc.get(SECTION, type=XmlFragment).children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif isinstance(node, XmlElement) and node.tag == "paragraph":
            lines.append("".join(str(t) for t in node.children if isinstance(t, XmlText)))
        elif isinstance(node, XmlElement):
            stack.append(iter(node.children))
    return "\n".join(lines)


async def join(page: Any, demo: Demo, name: str) -> None:
    """Join the demo séance through the screens (as conftest.join_by_ui, async)."""
    await page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    await page.get_by_label("J’ai lu la charte et je l’accepte").check()
    await page.get_by_role("button", name="Continuer").click()
    await page.get_by_label("Votre prénom, nom ou pseudonyme").fill(name)
    await page.locator("input[name=role][value=habitant]").check()
    await page.get_by_role("button", name="Rejoindre la séance").click()
    await page.wait_for_url(re.compile(r"/atelier/"))
    await page.get_by_text(f"Vous : {name}").wait_for()


async def scenario(demo: Demo, cases: list[Case]) -> list[str]:
    """Every case in turn; returns what went wrong (empty when all runs stayed whole)."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=WAIT_MS)
    problems: list[str] = []
    async with async_playwright() as playwright:
        # Two browser processes, as two people on two devices.
        browsers = [
            await playwright.chromium.launch(
                executable_path=chromium_path(),
                headless=True,
                args=["--no-sandbox", "--disable-gpu"],
            )
            for _ in range(2)
        ]
        try:
            pages = []
            errors: list[str] = []
            for browser, name in zip(browsers, ("Awa", "Bruno"), strict=True):
                context = await browser.new_context(viewport=cast(Any, DESKTOP), locale="fr-FR")
                context.set_default_timeout(WAIT_MS)
                page = await context.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                await join(page, demo, name)
                pages.append(page)
            for case in cases:
                problems += await one_case(demo, case, pages, expect)
            problems += [f"page error: {e}" for e in errors]
        finally:
            for browser in browsers:
                await browser.close()
    return problems


async def one_case(
    demo: Demo, case: Case, pages: list[Any], expect: Callable[[Any], Any]
) -> list[str]:
    proposal = demo.new_proposal(f"Deux phrases au même endroit : {case.name}")
    doc_id = demo.api("GET", f"/api/proposals/{proposal}/token")["doc_id"]
    if case.seed is not None:
        await write(demo.server, doc_id, demo.facilitator_token, case.seed)
    areas = await carets_in_place(demo, case, proposal, pages, expect)

    awa, bruno = pages
    typed: list[Awaitable[None]] = [
        awa.keyboard.type(AWA, delay=TYPING_DELAY_MS),
        bruno.keyboard.type(BRUNO, delay=TYPING_DELAY_MS),
    ]
    await asyncio.gather(*typed)

    # Both browsers converge: every letter of both has arrived in each (the CRDT keeps them all).
    length = len(case.before) + len(case.after) + len(AWA) + len(BRUNO)
    texts = []
    for page, area in zip(pages, areas, strict=True):
        handle = await area.element_handle()
        await page.wait_for_function(
            f"([el, n]) => ({EDITOR_TEXT})(el).replace(/\\n/g, '').length >= n",
            arg=[handle, length],
            timeout=WAIT_MS,
        )
        texts.append(await page.evaluate(EDITOR_TEXT, handle))
    print(f"{case.name}: {texts[0]!r}")
    problems = []
    if texts[0] != texts[1]:
        problems.append(f"{case.name}: the two browsers differ: {texts!r}")
    for who, text in zip(("Awa", "Bruno"), texts, strict=True):
        if not runs_whole(text):
            problems.append(f"{case.name}: {who}'s browser shows runs cut up: {text!r}")
        if case.before not in text or case.after not in text:
            problems.append(f"{case.name}: the text around the caret was cut: {text!r}")

    # Each sees the other's caret, labelled with their name.
    for page, other in ((awa, "Bruno"), (bruno, "Awa")):
        label = page.locator(f'[data-section="{SECTION}"] .remote-cursor-label')
        await expect(label.filter(has_text=other)).to_be_visible()
    if case.undo:
        # Undo takes back Awa's own sentence, whole, and nothing of Bruno's; redo restores it.
        await awa.keyboard.press("Control+z")
        await same_text(pages, areas, texts[0].replace(AWA, "", 1))
        await awa.keyboard.press("Control+y")
        await same_text(pages, areas, texts[0])
    return problems + await on_the_server(demo, case, proposal, doc_id, texts[0], length)


async def carets_in_place(
    demo: Demo, case: Case, proposal: str, pages: list[Any], expect: Callable[[Any], Any]
) -> list[Any]:
    """Both open the proposal, see each other, and put their caret at the case's spot."""
    for page in pages:
        await page.goto(f"{demo.http}/proposition/{proposal}")
        await page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    for page, other in zip(pages, ("Bruno", "Awa"), strict=True):
        await page.get_by_test_id("here").get_by_text(other).wait_for()
    areas = [page.locator(f'[data-section="{SECTION}"] .ProseMirror') for page in pages]
    if case.seen:
        for area in areas:
            await expect(area).to_contain_text(case.seen)
    for page, area in zip(pages, areas, strict=True):
        await area.click()
        for key in case.keys:
            await page.keyboard.press(key)
    # Each caret is where the case says, before anyone types.
    for page in pages:
        where = await page.evaluate(CARET)
        assert where == [True, case.before], (case.name, where)
    return areas


async def on_the_server(
    demo: Demo, case: Case, proposal: str, doc_id: str, shown: str, length: int
) -> list[str]:
    """The server's document holds the text the browsers show, and so does a frozen version."""
    problems = []
    async with connect(demo.server.doc_url(doc_id, token=demo.facilitator_token)) as reader:
        await reader.wait_for(lambda: len(y_text(reader.doc).replace("\n", "")) >= length)
        stored = y_text(reader.doc)
    if stored != shown:
        problems.append(f"{case.name}: the server holds {stored!r}, the browsers {shown!r}")
    version = demo.api("POST", f"/api/proposals/{proposal}/freeze")
    frozen = demo.api("GET", f"/api/proposals/{proposal}/versions/{version['number']}")
    (section,) = [s for s in frozen["content"]["sections"] if s["key"] == SECTION]
    if not runs_whole(section["text"]):
        problems.append(f"{case.name}: the frozen version has runs cut up: {section['text']!r}")
    for line in stored.split("\n"):
        if line.strip() and line.strip() not in section["text"]:
            problems.append(f"{case.name}: {line!r} is not in the frozen {section['text']!r}")
    return problems


async def same_text(pages: list[Any], areas: list[Any], text: str) -> None:
    for page, area in zip(pages, areas, strict=True):
        await page.wait_for_function(
            f"([el, text]) => ({EDITOR_TEXT})(el) === text",
            arg=[await area.element_handle(), text],
            timeout=WAIT_MS,
        )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_two_people_typing_at_the_same_spot_keep_their_sentences_whole(
    demo: Demo, case: Case
) -> None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        _unavailable("playwright", str(exc))
    if chromium_path() is None:
        _unavailable("chromium", "not on PATH (apt-get install chromium)")
    with ThreadPoolExecutor(1) as pool:
        problems = pool.submit(asyncio.run, scenario(demo, [case])).result(timeout=180)
    assert problems == [], "\n".join(problems)
