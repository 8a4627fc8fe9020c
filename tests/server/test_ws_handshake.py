"""The opening handshake of a document socket, as ``atelier serve`` answers it on the wire.

uvicorn's HTTP protocol hands a plain upgrade request to Atelier's WebSocket protocol as it
parsed it (``server.ws_protocol.AtelierHttpToolsProtocol``), and anything else goes the long way
through websockets' own parser. Either way a client must get what websockets alone would answer:
a 101 whose ``Sec-WebSocket-Accept`` proves the key (RFC 6455 §4.2.2), and a clear refusal for a
request that is not a WebSocket handshake — never a socket half opened."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.ypy_client import connect

_WAIT = 60
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _handshake(server: ServerProcess, request_line: str, headers: list[str]) -> tuple[str, dict]:
    """Send one raw upgrade request; the status line and the response's headers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=_WAIT) as sock:
        lines = [request_line, f"Host: 127.0.0.1:{server.port}", *headers, "", ""]
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status, *fields = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return status, {
        name.strip().lower(): value.strip()
        for name, _, value in (field.partition(":") for field in fields)
    }


def _upgrade(key: str, *extra: str) -> list[str]:
    return [
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *extra,
    ]


@pytest.fixture
def key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def _accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


def test_a_plain_upgrade_is_switched_with_the_proof_of_its_key(
    shared_server: ServerProcess, key: str
) -> None:
    token = shared_server.grant("handshake-plain")
    status, headers = _handshake(
        shared_server, f"GET /ws/docs/handshake-plain?token={token} HTTP/1.1", _upgrade(key)
    )
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert headers["sec-websocket-accept"] == _accept_for(key)
    assert headers["upgrade"].lower() == "websocket"
    assert "sec-websocket-extensions" not in headers  # none asked, none given


def test_a_subprotocol_offered_is_answered_and_headers_in_latin_1_pass(
    shared_server: ServerProcess, key: str
) -> None:
    token = shared_server.grant("handshake-proto")
    status, headers = _handshake(
        shared_server,
        f"GET /ws/docs/handshake-proto?token={token} HTTP/1.1",
        _upgrade(key, "Sec-WebSocket-Protocol: y-websocket, other", "X-Name: caf\xe9"),
    )
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert headers["sec-websocket-accept"] == _accept_for(key)


@pytest.mark.parametrize(
    ("case", "request_line", "extra", "drop", "expected"),
    [
        ("no key", "GET /ws/docs/d HTTP/1.1", [], "Sec-WebSocket-Key", "400"),
        (
            "old version",
            "GET /ws/docs/d HTTP/1.1",
            ["Sec-WebSocket-Version: 8"],
            "Sec-WebSocket-Version",
            "400",
        ),
        ("a body", "GET /ws/docs/d HTTP/1.1", ["Content-Length: 5"], None, "400"),
        ("chunked", "GET /ws/docs/d HTTP/1.1", ["Transfer-Encoding: chunked"], None, "400"),
        ("not a GET", "POST /ws/docs/d HTTP/1.1", ["Content-Length: 0"], None, "405"),
        ("130 headers", "GET /ws/docs/d HTTP/1.1", [f"X-A{i}: b" for i in range(130)], None, "431"),
        ("a 9 KB header", "GET /ws/docs/d HTTP/1.1", ["X-Long: " + "a" * 9000], None, "431"),
        ("a non-ASCII target", "GET /ws/docs/d\xe9 HTTP/1.1", [], None, "400"),
    ],
)
def test_what_is_not_a_websocket_handshake_is_refused_with_a_status(
    shared_server: ServerProcess,
    key: str,
    case: str,
    request_line: str,
    extra: list[str],
    drop: str | None,
    expected: str,
) -> None:
    headers = [h for h in _upgrade(key) if drop is None or not h.startswith(drop + ":")]
    status, answer = _handshake(shared_server, request_line, headers + extra)
    assert status.split(" ")[1] == expected, case
    assert "sec-websocket-accept" not in answer, case


@pytest.mark.anyio
async def test_after_a_refused_handshake_the_server_still_syncs(
    shared_server: ServerProcess, key: str
) -> None:
    status, _ = _handshake(
        shared_server, "GET /ws/docs/d HTTP/1.1", _upgrade(key, "Content-Length: 5")
    )
    assert status.startswith("HTTP/1.1 400")
    async with connect(shared_server.doc_url("handshake-after")) as writer:
        writer.edit(lambda text: text.insert(0, "Parc de la Tête d'Or"))
        async with connect(shared_server.doc_url("handshake-after")) as reader:
            await reader.wait_for(lambda: str(reader) == "Parc de la Tête d'Or", _WAIT)


def test_a_server_on_an_inherited_socket_knows_each_client_s_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    # `atelier serve --fd` (how the suite starts every server, and socket activation): the
    # per-address limits count each client by its address, which must survive the hand-over.
    log = tmp_path / "server.log"
    overrides = {"ATELIER_LOG_LEVEL": "DEBUG"}
    with ServerProcess(sqlite_url, env_overrides=overrides, log_path=log).running() as srv:
        token = srv.grant("handshake-fd")
        with socket.create_connection(("127.0.0.1", srv.port), timeout=_WAIT) as sock:
            request = [
                f"GET /ws/docs/handshake-fd?token={token} HTTP/1.1",
                "Host: 127.0.0.1",
                *_upgrade(base64.b64encode(os.urandom(16)).decode()),
                "",
                "",
            ]
            sock.sendall("\r\n".join(request).encode())
            assert sock.recv(65536).startswith(b"HTTP/1.1 101 ")
            mine = f"127.0.0.1:{sock.getsockname()[1]} - "
            deadline = time.monotonic() + _WAIT
            while mine not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)  # the log is a file: polled, not an event
    assert mine + '"WebSocket /ws/docs/handshake-fd?[redacted]" [accepted]' in log.read_text()
