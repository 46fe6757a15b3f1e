"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from kpi6.settings import get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: refuses the addresses in `refuse`, keeps (recipients, raw bytes) of each message."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = refuse or set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


@contextmanager
def running_inbox(monkeypatch, port: int | None = None) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    """Start the server, point KPI6_SMTP_URL at it (one try per message), stop it afterwards."""
    inbox = Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("KPI6_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("KPI6_SMTP_ATTEMPTS", "1")
    get_settings.cache_clear()
    try:
        yield inbox
    finally:
        controller.stop()
        get_settings.cache_clear()
