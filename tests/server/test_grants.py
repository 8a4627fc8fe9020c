"""Verified tokens are remembered (server.auth._Verified), never beyond what verifying again
would say: expiry, signature and key are checked as before."""

from __future__ import annotations

import time

import pytest

from server import auth
from server.auth import DocGrant, InvalidGrant, mint_grant, verify_grant

KEY = "a-secret-key-long-enough-for-hs256-0000000"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = mint_grant(KEY, "doc-a", "rw", "awa", ttl_seconds=60)
    first = verify_grant(KEY, token)
    assert isinstance(first, DocGrant)
    assert first.doc == "doc-a"
    assert verify_grant(KEY, token) is first  # the second use does not decode again
    later = time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(InvalidGrant, match="expired"):
        verify_grant(KEY, token)


def test_a_forged_signature_or_another_key_is_refused_after_the_genuine_token_was_used() -> None:
    token = mint_grant(KEY, "doc-b", "r", "basile", ttl_seconds=600)
    verify_grant(KEY, token)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidGrant, match="invalid"):
        verify_grant(KEY, forged)
    with pytest.raises(InvalidGrant, match="invalid"):
        verify_grant("another-secret-key-long-enough-000000000", token)
    assert verify_grant(KEY, token).doc == "doc-b"  # type: ignore[union-attr]


def test_what_is_remembered_is_bounded() -> None:
    tokens = [mint_grant(KEY, f"doc-{i}", "rw", "c", 600) for i in range(auth._Verified.LIMIT + 10)]
    for token in tokens:
        verify_grant(KEY, token)
    assert len(auth._verified.grants) == auth._Verified.LIMIT
    assert tokens[0] not in auth._verified.grants  # the oldest went first
    assert verify_grant(KEY, tokens[0]).doc == "doc-0"  # type: ignore[union-attr]
