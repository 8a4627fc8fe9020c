"""One frozen version, one content (issue 21, #4): its JSON, Markdown, HTML page and PDF say
the same facts — headcount, attendance by role, each vote's result in its method's own terms,
who wrote each section, when it was frozen and with which image — and the image a version was
frozen with stays its image when the atelier changes its own. On a real server (SQLite).

The facts are read back from each format the way a reader would (the PDF with pypdf, the page
with an HTML parser, the Markdown as text) and compared with what the stored content says, put
in the wording the README gives each method."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pypdf
import pytest
from PIL import Image

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act
from tests.server.test_versions_api import new_proposal, paragraph, post, write

OPTIONS = [{"label": "Jardin partagé"}, {"label": "Piste cyclable"}, {"label": "Boîte à livres"}]
J, P, B = "o1", "o2", "o3"
VOTERS = ("Ana", "Bruno", "Chloé", "Driss", "Émile")

# One closed poll of every method; each voter's ballot, in VOTERS' order.
POLLS: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "Où commencer ?",
        "plurality",
        {},
        [{"choice": c} for c in (J, J, P, B, J)],
    ),
    (
        "Quels projets approuver ?",
        "approval",
        {},
        [{"approve": a} for a in ([J, P], [P], [P, B], [], [P])],
    ),
    (
        "Gommettes : où mettre l’effort ?",
        "dots",
        {"dots_per_voter": 3, "max_per_option": 2},
        [{"dots": d} for d in ({J: 2, P: 1}, {B: 2, J: 1}, {J: 1}, {P: 1}, {B: 1, P: 2})],
    ),
    (
        "Notes : quelle utilité ?",
        "score",
        {"min": 0, "max": 5},
        [
            {"scores": s}
            for s in (
                {J: 5, P: 3, B: 0},
                {J: 4, P: 4, B: 1},
                {J: 2, P: 5, B: 1},
                {J: 3, P: 2, B: 0},
                {J: 1, P: 1, B: 0},
            )
        ],
    ),
    (
        "Borda : dans quel ordre ?",
        "borda",
        {},
        [{"ranking": r} for r in ([J, P, B], [P, J, B], [J, B, P], [B, J, P], [J, P, B])],
    ),
    (
        "Vote alternatif : quel lieu ?",
        "irv",
        {},
        [{"ranking": r} for r in ([J, P], [P, J], [B, J], [J], [P, B])],
    ),
    (
        "Schulze : quelle rue d’abord ?",
        "schulze",
        {},
        [{"ranking": r} for r in ([J, P, B], [P, B, J], [B, J, P], [J, B, P], [J, P])],
    ),
    (
        "Jugement majoritaire : « quel projet » ?",
        "majority_judgment",
        {},
        [
            {"grades": g}
            for g in (
                {J: 4, P: 2, B: 0},
                {J: 5, P: 3, B: 1},
                {J: 3, P: 3, B: 5},
                {J: 4, P: 1, B: 2},
                {J: 2, P: 4, B: 2},
            )
        ],
    ),
]

ROLES = {
    "habitant": ("habitant·e", "habitant·es"),
    "elu": ("élu·e", "élu·es"),
    "agent": ("agent", "agents"),
    "animateur": ("animateur·rice", "animateur·rices"),
    "observateur": ("observateur·rice", "observateur·rices"),
}
UNITS = {
    "plurality": ("voix", "voix"),
    "approval": ("approbation", "approbations"),
    "dots": ("gommette", "gommettes"),
    "score": ("point", "points"),
    "borda": ("point", "points"),
}
BLUE, RED = (20, 110, 160), (200, 30, 60)


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 30), colour).save(out, format="PNG")
    return out.getvalue()


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


# --- what the stored content says, in the README's words ---------------------------------------


def value(vote: dict[str, Any], score: int | None) -> str:
    """An option's result as its method states it."""
    if score is None:
        return ""
    method = vote["method"]
    if method == "majority_judgment":
        return f"mention majoritaire « {vote['results']['total']['details']['grades'][score]} »"
    if method == "schulze":
        return f"l’emporte sur {plural(score, 'option', 'options')}"
    if method == "irv":  # ranked by its rounds
        return ""
    return plural(score, *UNITS[method])


def ranking_of(vote: dict[str, Any]) -> list[str]:
    total, labels = vote["results"]["total"], {o["id"]: o["label"] for o in vote["options"]}
    lines = []
    for tier in total["ranking"]:
        names = [labels[o] for o in tier]
        said = [value(vote, total["scores"].get(o)) for o in tier]
        if len(tier) == 1:
            lines.append(f"{names[0]} — {said[0]}" if said[0] else names[0])
        elif len(set(said)) == 1:
            each = f"{said[0]} chacune, " if said[0] else ""
            lines.append(f"{' = '.join(names)} — {each}ex æquo")
        else:
            pairs = (f"{n} ({s})" for n, s in zip(names, said, strict=True))
            lines.append(" = ".join(pairs) + " — ex æquo")
    return lines


def rounds_of(vote: dict[str, Any]) -> list[str]:
    details, labels = (
        vote["results"]["total"]["details"],
        {o["id"]: o["label"] for o in vote["options"]},
    )
    if vote["method"] != "irv":
        return []
    lines = []
    for i, round_ in enumerate(details["rounds"]):
        counts = sorted(round_["counts"].items(), key=lambda item: -item[1])
        line = f"Tour {i + 1} : " + ", ".join(f"{labels[o]} {n} voix" for o, n in counts)
        if round_["exhausted"]:
            line += ", " + plural(round_["exhausted"], "bulletin épuisé", "bulletins épuisés")
        if i == details["majority_round"]:
            line += f" ; majorité absolue pour {labels[max(counts, key=lambda c: c[1])[0]]}"
        if round_["eliminated"]:
            word = "éliminée" if len(round_["eliminated"]) == 1 else "éliminées"
            line += f" ; {word} : " + ", ".join(labels[o] for o in round_["eliminated"])
        lines.append(line)
    return lines


def roles_said(by_role: dict[str, int]) -> dict[str, int]:
    return {ROLES[role][0 if n == 1 else 1]: n for role, n in by_role.items()}


def facts_of_json(version: dict[str, Any], zone: str) -> dict[str, Any]:
    content = version["content"]
    name = {c: (kept or {}).get("name") for c, kept in version["names"].items()}
    frozen = datetime.fromisoformat(version["created_at"].replace("Z", "+00:00"))
    local = frozen.astimezone(ZoneInfo(zone))
    hours = int(local.utcoffset().total_seconds() // 3600)  # type: ignore[union-attr]
    clock = f"{local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
    city = zone.rsplit("/", 1)[-1]
    polls = {}
    for vote in content["votes"]:
        total = vote["results"]["total"]
        labels = {o["id"]: o["label"] for o in vote["options"]}
        polls[vote["title"]] = {
            "ballots": vote["turnout"]["total"],
            "ranking": ranking_of(vote),
            "rounds": rounds_of(vote),
            "retained": labels[total["winner"]] if total["winner"] else None,
        }
    credits = [
        (
            sorted(name[c] for c in s["contributors"]["named"]),
            sum(s["contributors"]["by_role"].values()),
            roles_said(s["contributors"]["by_role"]),
        )
        for s in content["sections"]
        if s["contributors"]["by_role"]
    ]
    attendance = content["attendance"]
    return {
        "frozen": f"{local.day} {_MONTHS[local.month - 1]} {local.year} à {clock} "
        f"(heure de {city}, UTC{hours:+d})",
        "headcount": content["session"]["headcount"],
        "checked_in": attendance["total"],
        "by_role": roles_said(attendance["by_role"]),
        "named_present": sorted(name[c] for c in attendance["named"]),
        "polls": polls,
        "credits": credits,
        "image": (version["image"] or {}).get("sha256"),
    }


_MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin"),
    *("juillet", "août", "septembre", "octobre", "novembre", "décembre"),
)


# --- what each format says ----------------------------------------------------------------------


def flat(text: str) -> str:
    """Any run of spaces (non-breaking ones too) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def facts_of_text(text: str, titles: list[str]) -> dict[str, Any]:
    """The same facts, read from a render as text: lists as « 1. » and « • », one space."""
    said = flat(text)
    presences = said[said.index("Présences") : said.index("Empreinte SHA-256 de cette version")]
    present = re.search(
        r"(\d+) personnes? présentes? \(dont (\d+) enregistrées? dans l’atelier : ([^)]*)\)"
        r" ; ont souhaité être nommé·es : (.*)$",
        presences.strip(),
    )
    assert present is not None, presences
    polls = {}
    ends = [said.index(title) for title in titles] + [said.index("Présences")]
    for title, start, end in zip(titles, ends, ends[1:], strict=False):
        part = said[start + len(title) : end]
        ballots = re.search(r"(\d+) bulletins?\.", part)
        assert ballots is not None, part
        stops = r"(?= \d+\. | Décompte tour par tour| Option retenue| Égalité en tête| Quorum|$)"
        ranking = re.findall(r"(?:^| )\d+\. (.*?)" + stops, part[ballots.end() :])
        rounds = re.findall(r"• (Tour \d+ : .*?)(?= • | Option retenue| Égalité en tête|$)", part)
        retained = re.search(r"Option retenue : (.*?)(?= Quorum|$)", part)
        polls[title] = {
            "ballots": int(ballots.group(1)),
            "ranking": ranking,
            "rounds": rounds,
            "retained": retained.group(1).strip() if retained else None,
        }
    credits = []
    for who, roles in re.findall(r"Écrit par (.*?) \(([^)]*)\)", said):
        if m := re.fullmatch(r"(\d+) personnes?", who):
            names, total = [], int(m.group(1))
        else:
            others = re.search(r" et (\d+) autres? personnes?$", who)
            listed = who[: others.start()] if others else who
            names = sorted(listed.split(", "))
            total = len(names) + (int(others.group(1)) if others else 0)
        credits.append((names, total, {label: int(n) for n, label in _counts(roles)}))
    frozen = re.search(r"version 1, figée le (.*?\))", said)
    image = re.search(
        r"Image de l’atelier figée avec cette version, empreinte SHA-256 : ([0-9a-f]{64})", said
    )
    return {
        "frozen": frozen.group(1) if frozen else None,
        "headcount": int(present.group(1)),
        "checked_in": int(present.group(2)),
        "by_role": {label: int(n) for n, label in _counts(present.group(3))},
        "named_present": sorted(present.group(4).strip().split(", ")),
        "polls": polls,
        "credits": credits,
        "image": image.group(1) if image else None,
    }


def _counts(roles: str) -> list[tuple[str, str]]:
    return re.findall(r"(\d+) ([^,]+?)(?:, |$)", roles)


def markdown_text(markdown: str) -> str:
    """What a reader of the Markdown sees: no markup characters, bullets as « • »."""
    lines = []
    for source in markdown.splitlines():
        if source.strip() == "---":
            continue
        line = re.sub(r"^#+ ", "", source)
        line = re.sub(r"^(\s*)- ", r"\1• ", line)
        line = re.sub(r"(?<!\\)(\*\*|_)", "", line)
        lines.append(re.sub(r"\\(.)", r"\1", line))
    return "\n".join(lines)


class PageText(HTMLParser):
    """A page's text as a browser lays it out: blocks on lines, « 1. » and « • » before list
    items; and the images it embeds."""

    BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "li", "ul", "ol", "section", "footer"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # [ordered?, counter]
        self.images: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "title"):
            self.in_head = True
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self.lists[-1][1] += 1
            self.parts.append(f"{self.lists[-1][1]}. " if self.lists[-1][0] else "• ")
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title"):
            self.in_head = False
        if tag in ("ul", "ol"):
            self.lists.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.in_head:
            self.parts.append(data)


def page_text(page: str) -> PageText:
    parsed = PageText()
    parsed.feed(page)
    return parsed


def pdf_pages(data: bytes, digest: str) -> tuple[pypdf.PdfReader, str]:
    """The PDF's text without the page furniture (each page's fingerprint and number)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    furniture = re.compile(rf"Empreinte SHA-256\s:\s{digest}\s*Page \d+ / \d+")
    return reader, "\n".join(furniture.sub("", page.extract_text()) for page in reader.pages)


def pdf_image_colour(reader: pypdf.PdfReader) -> tuple[int, ...]:
    (image,) = reader.pages[0].images
    pixel = image.image.convert("RGB").getpixel((5, 5))
    assert isinstance(pixel, tuple)
    return pixel


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(colour, expected, strict=True))


# --- the séance -----------------------------------------------------------------------------


@pytest.fixture
def room(server: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server.http, timeout=30) as http:
        yield Room(http)


def hold_the_seance(room: Room, server: ServerProcess) -> dict[str, Any]:
    """Five residents and an elected official check in (two of them agree to be named), the
    facilitator counts 12 in the room, three people write, one poll of each method is held and
    closed, the séance is frozen."""
    seance = room.session["id"]
    logo = room.http.put(
        f"/api/ateliers/{room.atelier['id']}/image",
        content=png(BLUE),
        headers={**room.auth(room.facilitator), "content-type": "image/png"},
    )
    assert logo.status_code == 200, logo.text
    tokens = {name: room.token_of(name, show_name_in_minutes=name == "Ana") for name in VOTERS}
    tokens["Weber"] = room.token_of(
        "Weber", "elu", invitation_code=room.invite("elu"), show_name_in_minutes=True
    )
    for token in [room.facilitator, *tokens.values()]:
        checked = room.http.post(f"/api/sessions/{seance}/check-in", headers=room.auth(token))
        assert checked.status_code == 200, checked.text
    counted = room.http.put(
        f"/api/sessions/{seance}/headcount",
        json={"headcount": 12},
        headers=room.auth(room.facilitator),
    )
    assert counted.status_code == 200, counted.text

    proposal = new_proposal(room, session_id=seance)
    for name, edits in (
        ("Ana", [paragraph("constat", "Trop de voitures : où jouer ?")]),
        ("Bruno", [paragraph("constat", "Et « trop » de bruit !")]),
        ("Weber", [paragraph("proposition", "Une rue aux enfants.")]),
    ):
        asyncio.run(write(server, proposal["doc_id"], tokens[name], *edits))

    for title, method, params, ballots in POLLS:
        poll = room.http.post(
            f"/api/sessions/{seance}/polls",
            json={"title": title, "method": method, "options": OPTIONS, "params": params},
            headers=room.auth(room.facilitator),
        )
        assert poll.status_code == 201, poll.text
        assert act(room, poll.json(), "open").status_code == 200
        for name, ballot in zip(VOTERS, ballots, strict=True):
            cast = room.http.put(
                f"/api/polls/{poll.json()['id']}/ballot",
                json={"ballot": ballot},
                headers=room.auth(tokens[name]),
            )
            assert cast.status_code == 200, (title, cast.text)
        assert act(room, poll.json(), "close").status_code == 200

    frozen = post(room, f"/api/sessions/{seance}/freeze")
    assert frozen.status_code == 201, frozen.text
    return proposal


def renders(room: Room, proposal: dict[str, Any], number: int = 1) -> dict[str, httpx.Response]:
    base = f"/api/proposals/{proposal['id']}/versions/{number}"
    found = {
        kind: room.http.get(base + suffix, headers=room.auth(room.facilitator))
        for kind, suffix in (("json", ""), ("md", "/markdown"), ("html", "/html"), ("pdf", "/pdf"))
    }
    for kind, response in found.items():
        assert response.status_code == 200, (kind, response.text)
    return found


def test_the_json_markdown_html_and_pdf_of_a_version_say_the_same_facts(
    room: Room, server: ServerProcess
) -> None:
    proposal = hold_the_seance(room, server)
    zone = room.http.get("/api/city").json()["time_zone"]
    got = renders(room, proposal)
    version = got["json"].json()
    titles = [title for title, *_ in POLLS]

    expected = facts_of_json(version, zone)
    markdown = got["md"].text
    page = page_text(got["html"].text)
    reader, printed = pdf_pages(got["pdf"].content, version["hash"])
    said = {
        "Markdown": facts_of_text(markdown_text(markdown), titles),
        "HTML": facts_of_text("".join(page.parts), titles),
        "PDF": facts_of_text(printed, titles),
    }
    for kind, facts in said.items():
        for fact, value_ in expected.items():
            assert facts[fact] == value_, (kind, fact)

    # What the content holds, so that the equality above is not between empty lists.
    assert (expected["headcount"], expected["checked_in"]) == (12, 7)
    assert expected["by_role"] == {"animateur·rice": 1, "élu·e": 1, "habitant·es": 5}
    assert expected["named_present"] == ["Ana", "Claire", "Weber"]  # Claire: the facilitator
    assert expected["credits"] == [
        (["Ana"], 2, {"habitant·es": 2}),
        (["Weber"], 1, {"élu·e": 1}),
    ]
    assert list(expected["polls"]) == titles
    polls = expected["polls"]
    assert polls["Où commencer ?"]["ranking"] == [
        "Jardin partagé — 3 voix",
        "Piste cyclable = Boîte à livres — 1 voix chacune, ex æquo",
    ]
    assert polls["Quels projets approuver ?"]["ranking"][0] == "Piste cyclable — 4 approbations"
    assert polls["Notes : quelle utilité ?"]["retained"] is None  # 15 points each
    majority = polls["Jugement majoritaire : « quel projet » ?"]
    assert majority["ranking"][0] == "Jardin partagé — mention majoritaire « Bien »"
    assert majority["retained"] == "Jardin partagé"
    runoff = polls["Vote alternatif : quel lieu ?"]
    assert runoff["ranking"] == ["Jardin partagé", "Piste cyclable", "Boîte à livres"]
    assert runoff["rounds"][-1] == "Tour 3 : Jardin partagé 4 voix, 1 bulletin épuisé"
    assert "majorité absolue pour Jardin partagé" in runoff["rounds"][1]
    assert polls["Schulze : quelle rue d’abord ?"]["ranking"][0].endswith("l’emporte sur 2 options")
    assert expected["image"] is not None

    # French typography in every format: « ? », « : » and « » » never start a line.
    raw = {"Markdown": markdown, "HTML": "".join(page.parts), "PDF": printed}
    for kind, text in raw.items():
        assert "Où commencer\u202f?" in text, kind
        if kind != "PDF":  # whose text extraction gives its U+00A0 back as a plain space
            assert "Gommettes\u00a0: où" in text, kind
            assert "«\u00a0quel projet\u00a0»" in text, kind
    lines = [line.strip() for line in printed.splitlines()]
    assert not [line for line in lines if line and (line[0] in ":;?!»" or line[-1] == "«")]
    # Plural agreement everywhere: « 1 bulletin », « 1 voix chacune ».
    for kind, text in raw.items():
        no_agreement = re.search(
            r"(?<![\d,.])1 (bulletins|personnes|approbations|gommettes|points|options|autres)",
            flat(text),
        )
        assert no_agreement is None, (kind, no_agreement)

    # The image as frozen: its fingerprint in every format, the same picture in the page and
    # in the PDF.
    (embedded,) = page.images
    media, data = embedded.removeprefix("data:").split(";base64,")
    assert media == "image/png"
    assert hashlib.sha256(base64.b64decode(data)).hexdigest() == expected["image"]
    assert near(pdf_image_colour(reader), BLUE)
    assert "img-src data:" in got["html"].headers["content-security-policy"]


def test_a_logo_changed_after_the_freeze_leaves_the_frozen_version_as_it_was(
    room: Room, server: ServerProcess
) -> None:
    proposal = hold_the_seance(room, server)
    before = renders(room, proposal)
    changed = room.http.put(
        f"/api/ateliers/{room.atelier['id']}/image",
        content=png(RED),
        headers={**room.auth(room.facilitator), "content-type": "image/png"},
    )
    assert changed.status_code == 200, changed.text

    after = renders(room, proposal)
    digest = before["json"].json()["hash"]
    reader, text = pdf_pages(after["pdf"].content, digest)
    assert near(pdf_image_colour(reader), BLUE)  # the frozen one, not the atelier's new one
    assert text == pdf_pages(before["pdf"].content, digest)[1]
    assert after["html"].text == before["html"].text
    assert after["md"].text == before["md"].text
    assert after["json"].json()["image"] == before["json"].json()["image"]

    # The next version is frozen with the new image.
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    second = renders(room, proposal, 2)
    assert near(pdf_image_colour(pypdf.PdfReader(io.BytesIO(second["pdf"].content))), RED)
    assert second["json"].json()["image"] != before["json"].json()["image"]
