"""The city's retention, applied in the background: every few hours each instance erases the
participants inactive for longer than ``ATELIER_RETENTION_DAYS_PARTICIPANTS`` and deletes audit
entries older than ``ATELIER_RETENTION_DAYS_AUDIT`` (``server.services.people.run_retention``;
``atelier retention run`` does one pass by hand). Cheap: one indexed query when nothing is due,
and idempotent, so several instances running it do no harm."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings

__all__ = ["RETENTION_EVERY_SECONDS", "start_retention", "stop_retention"]

log = logging.getLogger("atelier.retention")

#: How often each instance applies the retention (the first pass a minute after the start).
RETENTION_EVERY_SECONDS = 6 * 3600.0


async def _loop(engine: AsyncEngine, settings: Settings) -> None:
    from server.services.people import run_retention

    await asyncio.sleep(60.0)
    while True:
        try:
            await run_retention(
                engine,
                participant_days=settings.retention_days_participants,
                audit_days=settings.retention_days_audit,
            )
        except Exception:  # the next pass tries again; serving goes on
            log.exception("retention pass failed")
        await asyncio.sleep(RETENTION_EVERY_SECONDS)


def start_retention(engine: AsyncEngine, settings: Settings) -> asyncio.Task[None] | None:
    """The background task, or None when the city set no retention (the default)."""
    if settings.retention_days_participants <= 0 and settings.retention_days_audit <= 0:
        return None
    return asyncio.get_running_loop().create_task(_loop(engine, settings))


async def stop_retention(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
