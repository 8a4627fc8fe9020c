"""The real editing trace (B4, automerge-paper), turned into one Yjs v1 update per transaction.

The updates are computed once with pycrdt by a writer with a fixed client id and cached under
``bench/.anchors/cache/`` (git-ignored), so every server in a run, and every run, receives the
very same bytes, and the writer's own CRDT work is not part of what is timed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from pycrdt import Doc, Text

TRACE = Path("/work/shared/data/traces/automerge-paper.json.gz")
TEXT_NAME = "t"
WRITER_CLIENT_ID = 424242
_MAGIC = b"ATBTRC1\n"


@dataclass
class Trace:
    updates: list[bytes]
    end_content: str
    source: str

    def __len__(self) -> int:
        return len(self.updates)


def _read_json(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _compute(data: dict) -> list[bytes]:
    doc = Doc(client_id=WRITER_CLIENT_ID)
    text = doc.get(TEXT_NAME, type=Text)
    updates: list[bytes] = []
    sub = doc.observe(lambda event: updates.append(event.update))
    for txn in data["txns"]:
        with doc.transaction():
            for pos, delete, insert in txn["patches"]:
                if delete:
                    del text[pos : pos + delete]
                if insert:
                    text.insert(pos, insert)
    doc.unobserve(sub)
    if str(text) != data["endContent"]:
        raise RuntimeError("replaying the trace with pycrdt did not give endContent")
    return updates


def load(cache_dir: Path, path: Path = TRACE, log=print) -> Trace:
    """The trace's updates, from the cache when it matches the trace file, else computed."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    cache = cache_dir / f"{path.name}.{digest}.updates"
    data = _read_json(path)
    if cache.exists():
        blob = cache.read_bytes()
        if blob.startswith(_MAGIC):
            (count,) = struct.unpack_from("<I", blob, len(_MAGIC))
            pos = len(_MAGIC) + 4
            updates = []
            for _ in range(count):
                (n,) = struct.unpack_from("<I", blob, pos)
                pos += 4
                updates.append(blob[pos : pos + n])
                pos += n
            if len(updates) == len(data["txns"]):
                return Trace(updates, data["endContent"], str(path))
    log(f"computing {len(data['txns']):,} trace updates with pycrdt (cached afterwards)…")
    started = time.monotonic()
    updates = _compute(data)
    cache_dir.mkdir(parents=True, exist_ok=True)
    parts = [_MAGIC, struct.pack("<I", len(updates))]
    for u in updates:
        parts.append(struct.pack("<I", len(u)))
        parts.append(u)
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(b"".join(parts))
    tmp.replace(cache)
    log(f"  done in {time.monotonic() - started:.1f}s")
    return Trace(updates, data["endContent"], str(path))


def text_after(updates: list[bytes]) -> tuple[str, bytes]:
    """The text and state vector a document has after applying ``updates`` in order."""
    doc = Doc()
    text = doc.get(TEXT_NAME, type=Text)
    for u in updates:
        doc.apply_update(u)
    return str(text), doc.get_state()
