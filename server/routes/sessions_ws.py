"""``/ws/sessions/{session_id}``: the séance's live events, as JSON text frames.

The first frame is a ``snapshot``; then ``step_changed``, ``attendance_changed``,
``presence_changed``, ``participant_joined``… as they happen, from every instance. Participants
of the séance's atelier only (4401 without a valid token, 4403 from another atelier).

The channel only speaks: what a client sends is read and ignored (malformed or not), within
the same limits as a document connection: connections per address and frames per second, both
closing with 1008 (the client reconnects). The socket ends with 4401 when its token expires, as
the next request made with that token would be refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
from litestar import WebSocket, websocket

from collab import CloseCode
from server.actors import Refused, actor_from_token, token_of
from server.auth import verify_grant
from server.db.writes import reading
from server.guards import TOO_MANY_CONNECTIONS, TOO_MANY_MESSAGES, client_address
from server.live import Closing, Snapshot
from server.routes.polls import poll_views
from server.services import ateliers as svc
from server.state import AppServices

_encoder = msgspec.json.Encoder()


async def _close(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await socket.close(code, reason)


@websocket("/ws/sessions/{session_id:str}", name="session-socket")
async def session_socket(socket: WebSocket[Any, Any, Any], session_id: str) -> None:
    services = AppServices.of(socket.app)
    await socket.accept()
    with services.connections.admit(client_address(socket)) as admitted:
        if not admitted:
            await _close(socket, CloseCode.POLICY_VIOLATION, TOO_MANY_CONNECTIONS)
            return
        await _follow(socket, services, session_id)


async def _follow(socket: WebSocket[Any, Any, Any], services: AppServices, session_id: str) -> None:
    token = token_of(socket)
    try:
        actor = await actor_from_token(services.engine, services.settings.signing_key, token)
    except Refused as exc:
        await _close(socket, 4401, exc.en.rstrip(".").lower())
        return
    expiry = verify_grant(services.settings.signing_key, token).exp  # valid: checked just above
    async with reading(services.engine) as session:
        row = await session.get(svc.SessionRow, session_id)
    if row is None or row.atelier_id != actor.atelier_id:
        await _close(socket, 4403, "not a séance of your atelier")
        return
    async with services.live.follow(session_id, actor.role, actor.participant_id) as queue:
        # Following first, then reading the séance, its attendance and its polls: a change
        # made in between (a step, a cancellation, a ballot) is in the snapshot, or reaches
        # the queue after it — every event carries its whole state, so once more is harmless.
        async with reading(services.engine) as session:
            row = await session.get(svc.SessionRow, session_id)
            closed = (
                await svc.closing_of(session, row.atelier_id)
                if row is not None and await svc.atelier_is_closed(session, row.atelier_id)
                else None
            )
        if row is None:  # deleted in between
            await _close(socket, 4403, "not a séance of your atelier")
            return
        counts = await svc.attendance_counts(services.engine, session_id)
        snapshot = Snapshot(
            session_id,
            row.data.get("current_step"),
            list(row.data.get("method_steps", [])),
            counts,
            services.live.presence(session_id),
            await poll_views(services, actor, session_id),
            svc.timer_now(row.data.get("timer")),
            row.join_code,
            f"{str(socket.base_url).rstrip('/')}/rejoindre/{row.join_code}",
            row.data.get("cancelled_at"),
            row.data.get("cancel_reason"),
            closed.at.isoformat() if closed else None,
            closed.reason if closed else None,
        )
        await socket.send_text(_encoder.encode(snapshot).decode())

        async def forward() -> None:
            while True:
                data = await queue.get()
                if isinstance(data, Closing):  # too slow (it reconnects), or revoked
                    await _close(socket, data.code, data.reason)
                    return
                await socket.send_text(data.decode())

        sender = asyncio.create_task(forward())
        bucket = services.message_bucket()
        try:
            # The token is checked at the door; the socket ends when the token does.
            async with asyncio.timeout(max(0.0, expiry - time.time())):
                while True:
                    message = await socket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    if bucket is not None and not bucket.take():
                        await _close(socket, CloseCode.POLICY_VIOLATION, TOO_MANY_MESSAGES)
                        break
        except TimeoutError:
            await _close(socket, CloseCode.UNAUTHORIZED, "token expired")
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
