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
from array import array
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path

from pycrdt import Doc, Text

TRACE = Path("/work/shared/data/traces/automerge-paper.json.gz")
TEXT_NAME = "t"
WRITER_CLIENT_ID = 424242
_MAGIC = b"ATBTRC3\n"


@dataclass
class Trace:
    updates: list[bytes]
    end_content: str
    source: str

    def __len__(self) -> int:
        return len(self.updates)


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


def load(cache_dir: Path, path: Path = TRACE, log=print, limit: int | None = None) -> Trace:
    """The trace's updates (the first ``limit``), from the cache if it was made from this very
    trace file, else computed and cached.

    Cache layout: magic, uint32 header length, JSON header ``{"count", "end"}``, ``count`` uint32
    lengths, then the updates back to back.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    cache = cache_dir / f"{path.name}.{digest}.updates"
    if cache.exists():
        blob = cache.read_bytes()
        if blob.startswith(_MAGIC):
            pos = len(_MAGIC)
            (hlen,) = struct.unpack_from("<I", blob, pos)
            header = json.loads(blob[pos + 4 : pos + 4 + hlen])
            count = header["count"]
            start = pos + 4 + hlen
            lengths = array("I")
            lengths.frombytes(blob[start : start + 4 * count])
            view = memoryview(blob)
            n = count if limit is None else min(limit, count)
            ends = list(accumulate(lengths[:n], initial=start + 4 * count))
            updates = [bytes(view[a:b]) for a, b in pairwise(ends)]
            return Trace(updates, header["end"], str(path))
    data = json.loads(gzip.decompress(raw))
    log(f"computing {len(data['txns']):,} trace updates with pycrdt (cached afterwards)…")
    started = time.monotonic()
    updates = _compute(data)
    cache_dir.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"count": len(updates), "end": data["endContent"]}).encode()
    lengths = array("I", map(len, updates))
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(
        b"".join([_MAGIC, struct.pack("<I", len(header)), header, lengths.tobytes(), *updates])
    )
    tmp.replace(cache)
    log(f"  done in {time.monotonic() - started:.1f}s")
    return Trace(updates if limit is None else updates[:limit], data["endContent"], str(path))


def text_after(updates: list[bytes]) -> tuple[str, bytes]:
    """The text and state vector a document has after applying ``updates`` in order."""
    doc = Doc()
    text = doc.get(TEXT_NAME, type=Text)
    for u in updates:
        doc.apply_update(u)
    return str(text), doc.get_state()
