"""The catalogs: French and English have the same keys and placeholders, and every key the
sources use exists (web/scripts/check-i18n.mjs checks the same in CI's bundle check)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "web" / "src"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(lang: str) -> dict[str, str]:
    """The main catalog and its parts (``council.fr.json``: strings loaded with their screens),
    each key in one file only."""
    merged: dict[str, str] = {}
    for path in sorted((SRC / "i18n").glob(f"*{lang}.json")):
        if path.name != f"{lang}.json" and not path.name.endswith(f".{lang}.json"):
            continue
        part = json.loads(path.read_text(encoding="utf-8"))
        assert not set(part) & set(merged), f"{path.name} repeats keys"
        merged.update(part)
    return merged


def test_french_and_english_have_the_same_keys_and_placeholders() -> None:
    fr, en = catalog("fr"), catalog("en")
    assert sorted(set(fr) - set(en)) == [], "missing in en.json"
    assert sorted(set(en) - set(fr)) == [], "missing in fr.json"
    for key, text in fr.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(en[key])), key
        assert text.strip(), f"{key} is empty in fr.json"
        assert en[key].strip(), f"{key} is empty in en.json"


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in Path(SRC).rglob("*.ts"):
        source = path.read_text(encoding="utf-8")
        keys.update(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', source))
        for key in re.findall(r'\btn\(\s*"([a-z0-9_.]+)"', source):
            keys.update({f"{key}.one", f"{key}.other"})
    return keys


def test_every_key_the_sources_use_is_in_the_catalogs() -> None:
    fr = catalog("fr")
    keys = used_keys()
    assert len(keys) > 50  # the scan finds the calls: a broken pattern must not pass silently
    assert sorted(keys - set(fr)) == []
