"""The national demo against a real mail server on loopback: every report received exactly once.

    python benchmarks/demo_smtp.py

Starts an aiosmtpd server on 127.0.0.1, runs `kpi6 demo` (76 provinces, seed 6) in a fresh data folder
with `KPI6_SMTP_URL` pointing at it, then compares what the server received with what kpi6 recorded:
one message per recorded submission (by Message-ID), none without one, and each message's Date the
submission time kpi6 recorded. Prints the figures and the time taken; exit 1 if any report arrived
other than once.
"""

from __future__ import annotations

import email
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(envelope.content)
        return "250 OK"


def main() -> int:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's Controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kpi6-demo-smtp-") as tmp:
            root = Path(tmp)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KPI6_", "PREFECT_"))}
            env.update(
                KPI6_DATA_DIR=str(root / "data"),
                PREFECT_HOME=str(root / "prefect"),
                PREFECT_SERVER_ANALYTICS_ENABLED="false",
                KPI6_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",
            )
            kpi6 = Path(sys.executable).parent / "kpi6"
            started = time.monotonic()
            done = subprocess.run(
                [str(kpi6), "demo", "--out", str(root / "out")], env=env, capture_output=True, text=True, check=False
            )
            seconds = time.monotonic() - started
            if done.returncode != 0:
                print(done.stderr[-4000:])
                return 1
            with sqlite3.connect(root / "data" / "kpi6.db") as db:
                subs = db.execute("select message_id, submitted_at from report_submission").fetchall()
                provinces = db.execute("select count(*) from score").fetchone()[0]
    finally:
        controller.stop()
    received = Counter(email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in inbox.messages)
    recorded = {mid: at for mid, at in subs}
    dates_ok = 0
    for raw in inbox.messages:
        msg = email.message_from_bytes(raw, policy=policy.default)
        at = recorded.get(msg["Message-ID"])
        if at is None:
            continue
        moment = datetime.fromisoformat(at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps UTC without a zone
        dates_ok += parsedate_to_datetime(msg["Date"]) == moment
    copies = Counter(received.values())
    unrecorded = [m for m in received if m not in recorded]
    never_received = [m for m in recorded if m not in received]
    print(f"demo against loopback SMTP: {seconds:.0f} s, {provinces} provinces scored")
    print(f"reports recorded: {len(recorded)}; messages received: {len(inbox.messages)}")
    print("copies per report: " + ", ".join(f"{n}× {count}" for n, count in sorted(copies.items())))
    print(f"received but not recorded: {len(unrecorded)}; recorded but not received: {len(never_received)}")
    print(f"messages whose Date is the recorded submission time: {dates_ok}")
    once = set(copies) == {1} and not unrecorded and not never_received
    print("each report received exactly once" if once else "SOME REPORT DID NOT ARRIVE EXACTLY ONCE")
    return 0 if once else 1


if __name__ == "__main__":
    raise SystemExit(main())
