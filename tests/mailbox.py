"""A real SMTP server on loopback (aiosmtpd) for the e-mail tests: it keeps every message it
accepted, and a test waits for the ones it expects (never a sleep)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port

__all__ = ["Mailbox", "Received", "mailbox_fixture"]


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return None if part is None else str(part.get_content())  # type: ignore[attr-defined]

    def link(self, path: str) -> str:
        """The first absolute link in the text whose path starts with ``path``."""
        found = re.search(r"https?://[^\s/]+" + re.escape(path) + r"[^\s]*", self.text)
        assert found, self.text
        return found.group(0)


@dataclass
class Mailbox:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _controller: Controller | None = None

    def start(self) -> None:
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                message = message_from_bytes(envelope.content, policy=policy.default)
                with box._changed:
                    box.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
                    box._changed.notify_all()
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """The server's settings to send here."""
        return {
            "ATELIER_SMTP_HOST": "127.0.0.1",
            "ATELIER_SMTP_PORT": str(self.port),
            "ATELIER_MAIL_FROM": "Atelier <atelier@ville.example>",
            "ATELIER_MAIL_RETRY_SECONDS": "0.2",
        }

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 60
    ) -> list[Received]:
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self.received), timeout), [
                (r.to, r.subject) for r in self.received
            ]
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        with self._changed:
            return [r for r in self.received if address in r.to]

    def wait_to(self, address: str, subject_part: str, timeout: float = 60) -> Received:
        """The first message to ``address`` whose subject holds ``subject_part``."""

        def found(got: list[Received]) -> bool:
            return any(address in r.to and subject_part in r.subject for r in got)

        self.wait_for(found, timeout)
        return next(r for r in self.to(address) if subject_part in r.subject)


@pytest.fixture(name="mailbox")
def mailbox_fixture() -> Iterator[Mailbox]:
    """A started :class:`Mailbox` (import this into a test module to use ``mailbox``)."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()
