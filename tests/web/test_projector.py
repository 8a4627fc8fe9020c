"""The projector at a room's two usual sizes (issue 21, #1): for a public vote of each of the
eight methods, with ballots in, the question and its live chart fill the screen, the way to
join shrinks to a corner, the page never scrolls and the question reads from the back of the
room; once the séance moves on, the step and its timer take the screen again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import (
    PHONE,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    sign_in_facilitator,
)

SIZES = {"720p": {"width": 1280, "height": 720}, "1080p": {"width": 1920, "height": 1080}}
OPTIONS = ["Square", "Parvis", "Ruelle"]


def voter(demo: Demo, name: str) -> str:
    """Someone who joined from their phone: their token."""
    info = httpx.get(f"{demo.http}/api/join/{demo.join_code}", timeout=10).json()
    joined = httpx.post(
        f"{demo.http}/api/join/{demo.join_code}",
        json={
            "display_name": name,
            "role": "habitant",
            "accept_charter_version": info["atelier"]["charter_version"],
        },
        timeout=10,
    )
    joined.raise_for_status()
    return str(joined.json()["token"])


def ballot(method: str, ids: list[str], voter_index: int) -> dict[str, Any]:
    """Ruelle first for everyone but the last voter, who prefers Parvis."""
    first, second = (ids[2], ids[1]) if voter_index < 2 else (ids[1], ids[2])
    square = ids[0]
    if method == "plurality":
        return {"choice": first}
    if method == "approval":
        return {"approve": [first]}
    if method == "dots":
        return {"dots": {first: 2, second: 1}}
    if method == "score":
        return {"scores": {first: 5, second: 3, square: 0}}
    if method == "majority_judgment":
        return {"grades": {first: 5, second: 2, square: 0}}
    return {"ranking": [first, second, square]}  # borda, irv, schulze


METHODS = ["plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"]
PARAMS: dict[str, dict[str, Any]] = {"dots": {"params": {"dots_per_voter": 3, "max_per_option": 2}}}


def assert_medians_line_up(chart: Any) -> None:
    """Every merit profile has the same length, so its median line is at the same place."""
    medians = [
        box["x"]
        for box in chart.locator(".profile .median").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().toJSON())"
        )
    ]
    assert len(medians) == len(OPTIONS)
    assert max(medians) - min(medians) <= 1, medians


@pytest.mark.parametrize("size", list(SIZES))
def test_a_vote_fills_the_projected_screen_at_16_9_and_never_scrolls(
    demo: Demo, new_context: Any, size: str
) -> None:
    viewport = SIZES[size]
    screen = new_page(new_context(viewport))
    sign_in_facilitator(screen, demo)
    screen.goto(f"{demo.http}/projection/{demo.session_id}")
    screen.get_by_role("status").filter(has_text="En direct").wait_for()
    expect(screen.get_by_role("button", name="Plein écran")).to_have_attribute(
        "aria-pressed", "false"
    )
    tokens = [voter(demo, f"Projeté {size} {i}") for i in range(3)]
    for method in METHODS:
        title = f"Où installer les bancs ? ({method}, {size})"
        poll = demo.api(
            "POST",
            f"/api/sessions/{demo.session_id}/polls",
            json={
                "title": title,
                "method": method,
                "options": [{"label": o} for o in OPTIONS],
                "secret": False,
            }
            | PARAMS.get(method, {}),
        )
        demo.api("POST", f"/api/polls/{poll['id']}/open")
        ids = [o["id"] for o in poll["options"]]
        for i, token in enumerate(tokens):
            demo.api(
                "PUT",
                f"/api/polls/{poll['id']}/ballot",
                token,
                json={"ballot": ballot(method, ids, i)},
            )
        projected = screen.locator(
            "section.projected-poll", has=screen.get_by_role("heading", name=title)
        )
        expect(projected.locator(".turnout")).to_contain_text("3")
        # The question and its chart in view, the code in a corner, nothing below the fold.
        expect(screen.locator(".projection")).to_have_class("projection voting")
        heading = projected.get_by_role("heading", name=title)
        for element in (heading, projected.locator(".results")):
            box = element.bounding_box()
            assert box is not None
            assert box["y"] >= 0
            assert box["y"] + box["height"] <= viewport["height"] + 1, (method, element)
        assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
        assert screen.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        if size == "1080p":  # read from the back of a room
            font = heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
            assert font >= 32, font
        screenshot(screen, f"projector-{size}-{method}-live")
        demo.api("POST", f"/api/polls/{poll['id']}/close")
        projected.get_by_text("Résultat : Ruelle.").wait_for()
        if method == "majority_judgment":
            assert_medians_line_up(projected)
        assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
        screenshot(screen, f"projector-{size}-{method}-result")
    check_axe(screen, f"projector {size}", every_impact=True)

    # The séance moves on: the step and its timer again, the way to join at full size.
    started = httpx.post(
        f"{demo.http}/api/sessions/{demo.session_id}/step",
        json={"move": "start"},
        headers={"authorization": f"Bearer {demo.facilitator_token}"},
        timeout=10,
    )
    if started.status_code == 409:  # started by the other size's run: the next step
        demo.api("POST", f"/api/sessions/{demo.session_id}/step", json={"move": "next"})
    expect(screen.locator("section.projected-poll")).to_have_count(0)
    expect(screen.locator(".projection")).to_have_class("projection")
    expect(screen.locator(".join-at")).to_be_visible()
    assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    screenshot(screen, f"projector-{size}-between-votes")
    no_page_errors(screen)


def test_every_chart_fits_a_phone_and_says_its_result_in_words(
    demo: Demo, new_context: Any
) -> None:
    """390 px: no chart wider than the screen (« mention majoritaire : Passable » was cut and
    the page 405 px wide), the majority-judgment medians aligned, each label whole."""
    tokens = [voter(demo, f"Au téléphone {i}") for i in range(3)]
    for method in METHODS:
        poll = demo.api(
            "POST",
            f"/api/sessions/{demo.session_id}/polls",
            json={
                "title": f"Statu quo ou changement ? ({method})",
                "method": method,
                "options": [{"label": o} for o in ("Statu quo", "Parvis", "Ruelle")],
                "secret": False,
            }
            | PARAMS.get(method, {}),
        )
        demo.api("POST", f"/api/polls/{poll['id']}/open")
        ids = [o["id"] for o in poll["options"]]
        for i, token in enumerate(tokens):
            body = {"ballot": ballot(method, ids, i)}
            demo.api("PUT", f"/api/polls/{poll['id']}/ballot", token, json=body)
        demo.api("POST", f"/api/polls/{poll['id']}/close")
    phone = new_page(new_context(PHONE))
    join_by_ui(phone, demo, "Lina")
    for method in METHODS:
        article = phone.get_by_role("article", name=f"Statu quo ou changement ? ({method})")
        expect(article).to_contain_text("Résultat : Ruelle.")
        label = article.locator(".bar-label", has_text="Statu quo").first
        if label.count():
            assert label.evaluate("el => el.getClientRects().length") == 1  # not « Statu / quo »
        if method == "majority_judgment":
            assert_medians_line_up(article)
            expect(article).to_contain_text("mention majoritaire : Très bien")
    # Schulze's duels and strongest paths, on demand, as a table a screen reader can walk.
    schulze = phone.get_by_role("article", name="Statu quo ou changement ? (schulze)")
    schulze.get_by_text("Voir les duels et les chemins les plus forts").click()
    table = schulze.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Ruelle")).to_be_visible()
    ruelle = table.get_by_role("row").filter(has=phone.get_by_role("rowheader", name="Ruelle"))
    expect(ruelle.locator("strong")).to_have_count(2)  # Ruelle wins both its duels
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role(
        "article", name="Statu quo ou changement ? (majority_judgment)"
    ).scroll_into_view_if_needed()
    screenshot(phone, "charts-phone")
    check_axe(phone, "charts on a phone", every_impact=True)
    no_page_errors(phone)


LONG_QUESTION = (
    "Où installer les bancs en priorité, pour que les personnes âgées et les familles "
    "puissent s’asseoir à l’ombre l’été ?"
)
LONG_OPTIONS = [
    "Sous les platanes, côté fontaine, près de l’arrêt de tram",
    "Devant la boulangerie",
    "À l’entrée du square des enfants, contre le mur",
    "Le long de la rue piétonne, tous les cinquante mètres",
    "Près de la mairie annexe",
    "Autour du kiosque à musique, face au marché couvert",
]


@pytest.mark.parametrize("size", list(SIZES))
def test_a_long_question_with_six_long_options_is_shown_whole_on_the_projector(
    demo: Demo, new_context: Any, size: str
) -> None:
    """A priority vote as a facilitator writes one (H3): a two-line question and six options
    of a line or two. At 1280×720 the chart used to stop after its second option, the rest
    cut by the screen that never scrolls; every option and its points must be on the screen,
    and the head must not break « Séance 1 » or « Plein écran » over two lines."""
    viewport = SIZES[size]
    screen = new_page(new_context(viewport))
    sign_in_facilitator(screen, demo)
    screen.goto(f"{demo.http}/projection/{demo.session_id}")
    screen.get_by_role("status").filter(has_text="En direct").wait_for()
    tokens = [voter(demo, f"Bancs {size} {i}") for i in range(3)]
    title = f"{LONG_QUESTION} ({size})"
    poll = demo.api(
        "POST",
        f"/api/sessions/{demo.session_id}/polls",
        json={
            "title": title,
            "method": "borda",
            "options": [{"label": o} for o in LONG_OPTIONS],
            "secret": False,
        },
    )
    demo.api("POST", f"/api/polls/{poll['id']}/open")
    ids = [o["id"] for o in poll["options"]]
    for i, token in enumerate(tokens):
        ranking = ids[i:] + ids[:i]
        demo.api(
            "PUT", f"/api/polls/{poll['id']}/ballot", token, json={"ballot": {"ranking": ranking}}
        )
    demo.api("POST", f"/api/polls/{poll['id']}/close")
    projected = screen.locator(
        "section.projected-poll", has=screen.get_by_role("heading", name=title)
    )
    expect(projected.locator(".verdict")).to_contain_text("Résultat")
    expect(projected.locator(".bar-label")).to_have_count(len(LONG_OPTIONS))
    section = projected.bounding_box()
    assert section is not None
    bottom = min(section["y"] + section["height"], viewport["height"])
    for row in (*projected.locator(".bar-label").all(), *projected.locator(".bar-value").all()):
        box = row.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= bottom + 1, (size, row.inner_text(), box, bottom)
    assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    # Each on one line: a text wrapped over two lines has a client rectangle per line.
    for part in (
        screen.locator(".projection-head h1 .sub"),
        screen.locator(".projection-head .live-state"),
        screen.get_by_role("button", name="Plein écran"),
    ):
        lines = part.evaluate(
            """el => { const r = document.createRange(); r.selectNodeContents(el);
                return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"""
        )
        assert lines == 1, (size, part.inner_text(), lines)
    screenshot(screen, f"projector-{size}-long-options")
    no_page_errors(screen)
