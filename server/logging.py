"""Structured logs: one JSON object per line in production, readable lines in development."""

from __future__ import annotations

import logging
import os
import re
import sys
import time

import msgspec
import websockets

__all__ = ["JsonFormatter", "configure_logging"]

_encoder = msgspec.json.Encoder()
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(entry).decode()


#: Where the WebSocket protocol sends the lines uvicorn and websockets write for every socket
#: they open or close (« "WebSocket /ws/docs/…" [accepted] », « connection open »): two
#: records per participant joining, each filtered, formatted and written — 8 % of what a
#: connection costs the server (bench/RESULTS.md §15). HTTP requests have no access log here
#: either (server/cli.py). They show at DEBUG; warnings and errors show at any level.
#: Under ``atelier``, so uvicorn's logging set-up leaves its level be, and its lines pass the
#: redaction of :func:`configure_logging`'s handler.
CONNECTIONS_LOGGER = "atelier.ws.connections"


def configure_logging(level: str, *, json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    handler.addFilter(RedactTokens())
    root = logging.getLogger("atelier")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    quiet = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    logging.getLogger(CONNECTIONS_LOGGER).setLevel(quiet)


class RedactTokens(logging.Filter):
    """Keep credentials out of log lines: a grant in a log is a credential anyone reading the
    log can replay.

    * The query string of every URL is blanked (``/ws/docs/d?[redacted]``): uvicorn logs each
      WebSocket URL, and the server reads ``?token=`` percent-decoded, so ``?%74oken=`` is a
      token too; no pattern on the name would catch every spelling of it.
    * Anything shaped like a signed token (a JWT: ``eyJ….eyJ….…``) is blanked wherever it is.
    * At DEBUG, the websockets library logs each handshake's headers (the ``atelier_token``
      cookie, ``Authorization: Bearer``) and a dump of each frame (document text, names in
      presence states, ballots on the séance channel): those lines are dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG and _from_websockets(record):
            return False
        if record.args:
            record.args = tuple(
                redact(a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    """``text`` with the query strings of its URLs and its signed tokens blanked."""
    text = _QUERY.sub(r"\1?[redacted]", text)
    text = _JWT.sub("[redacted]", text)
    return _TOKEN.sub(r"\1[redacted]", text)


#: A path (or URL) and its query string, up to a space or a quote.
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]+")
#: ``token=`` (also percent-encoded, in any case) outside a URL, say in an error message.
_TOKEN = re.compile(
    r"((?:^|[?&;_\s])(?:t|%74)(?:o|%6f)(?:k|%6b)(?:e|%65)(?:n|%6e)=)[^&;\s\"]+", re.IGNORECASE
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_WEBSOCKETS = os.path.dirname(websockets.__file__) + os.sep


def _from_websockets(record: logging.LogRecord) -> bool:
    return record.pathname.startswith(_WEBSOCKETS)


def redact_uvicorn_logs() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactTokens())
