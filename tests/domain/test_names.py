"""Names in frozen versions: salted commitments in what is hashed, the names beside it, and
what readers see once a name is erased; format 1 hashes as it always did."""

from __future__ import annotations

import hashlib

from domain.names import ERASED, author, named_places, pseudonym, reveal, seal
from domain.proposals import GENESIS, commitment, hashed_fields, verify_chain, version_hash

CONTENT = {
    "sections": [
        {"key": "constat", "contributors": {"named": ["p-ana", "p-bruno"], "by_role": {}}},
        {"key": "moyens", "contributors": {"named": [], "by_role": {}}},
    ],
    "attendance": {"by_role": {"habitant": 2}, "total": 2, "named": ["p-ana"]},
}


def test_a_commitment_is_the_sha256_of_the_salt_then_the_name() -> None:
    salt = "ab" * 32
    assert commitment(salt, "Zoé") == hashlib.sha256((salt + "Zoé").encode()).hexdigest()
    assert commitment("cd" * 32, "Zoé") != commitment(salt, "Zoé")


def test_sealed_content_holds_commitments_and_reveals_names_or_their_erasure() -> None:
    keys = {"p-ana": "f" * 64, "p-bruno": "0" * 64}
    sealed = seal(CONTENT, keys)
    assert sealed["sections"][0]["contributors"]["named"] == ["0" * 64, "f" * 64]
    assert sealed["attendance"]["named"] == ["f" * 64]
    assert CONTENT["attendance"]["named"] == ["p-ana"]  # a new structure
    shown = reveal(sealed, 2, {"f" * 64: "Ana", "0" * 64: None})
    assert shown["sections"][0]["contributors"]["named"] == ["Ana", ERASED]
    assert shown["attendance"]["named"] == ["Ana"]
    assert reveal(CONTENT, 1, {}) == CONTENT  # format 1: the names are in it
    assert named_places(sealed, "f" * 64) == ["section:constat", "attendance"]
    assert author("f" * 64, 2, {"f" * 64: None}) == ERASED
    assert author("Claire", 1, {}) == "Claire"
    assert pseudonym(7) == "Participant·e effacé·e n° 7"


def test_format_1_hashes_as_before_and_format_2_hashes_its_format() -> None:
    fields = {
        "proposal_id": "p",
        "number": 1,
        "created_at": "2026-11-26T18:42:07.123456Z",
        "created_by": "Claire",
        "prev_hash": GENESIS,
        "content": {},
        "state": b"",
    }
    assert "format" not in hashed_fields(**fields)
    assert hashed_fields(**fields, format=2)["format"] == 2
    old, new = version_hash(**fields), version_hash(**fields, format=2)
    assert old != new
    row = {**fields, "hash": old}
    assert verify_chain([row]) is None  # no "format": 1
    assert verify_chain([{**row, "format": 2}]) == 1  # a format it was not hashed with
    assert verify_chain([{**fields, "hash": new, "format": 2}]) is None
