"""``collab.lean``: the stand-ins for ``asyncio.Event`` and ``asyncio.Queue`` that idle
connections keep (issue #24) behave like them where connections rely on it."""

from __future__ import annotations

import asyncio

import pytest

from collab.lean import Flag, Inbox

pytestmark = pytest.mark.anyio


async def test_a_flag_wakes_every_waiter_and_holds_nothing_when_nobody_waits() -> None:
    flag = Flag()
    assert flag._waiters is None
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)  # let them start waiting
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 10) == [True, True, True]
    assert flag._waiters is None
    assert await flag.wait()  # set: returns at once
    flag.clear()
    assert not flag.is_set()


async def test_a_cancelled_waiter_leaves_no_trace_and_a_discarded_future_is_cancelled() -> None:
    flag = Flag()
    waiter = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert flag._waiters is None
    fut = flag.future()
    flag.discard(fut)
    assert fut.cancelled()
    assert flag._waiters is None
    flag.set()
    assert flag.future().done()


async def test_an_inbox_is_first_in_first_out_and_empty_holds_no_list() -> None:
    inbox: Inbox[int] = Inbox()
    assert inbox.empty()
    assert inbox._items is None
    getter = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    for i in range(3):
        inbox.put_nowait(i)
    assert await asyncio.wait_for(getter, 10) == 0
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()
    assert inbox._items is None
    assert inbox._waiters is None


async def test_a_getter_cancelled_after_its_wake_up_passes_it_on() -> None:
    inbox: Inbox[str] = Inbox()
    first = asyncio.ensure_future(inbox.get())
    second = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("frame")  # wakes the first getter …
    first.cancel()  # … which is cancelled before it runs
    assert await asyncio.wait_for(second, 10) == "frame"
    with pytest.raises(asyncio.CancelledError):
        await first
