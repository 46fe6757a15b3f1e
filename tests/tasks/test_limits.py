"""Tag-based concurrency limits: each e-mail send holds a slot of the `smtp` tag's limit."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from prefect.client.orchestration import get_client

from kpi6.flows.province import province_round
from kpi6.models.inputs import ProvinceInputs, ReportChannel
from kpi6.tasks.adapters.limits import SMTP_TAG, limited
from tests.support.factories import bkk, full_inputs
from tests.support.mail import running_inbox

NOW = bkk(2024, 3, 30, 12)


class SlowInbox:
    """Wraps the test inbox: each message takes a while, and the most messages in flight at once is kept."""

    def __init__(self, inbox, seconds: float) -> None:  # type: ignore[no-untyped-def]
        self.keep, self.seconds = inbox.handle_DATA, seconds
        self.active = self.most = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        await asyncio.sleep(self.seconds)
        with self.lock:
            self.active -= 1
        return await self.keep(server, session, envelope)


def _form1_only() -> ProvinceInputs:
    inputs = full_inputs()
    return inputs.model_copy(
        update={
            "dissemination": None,
            "form2": None,
            "form1": inputs.form1.model_copy(update={"submitted_at": None, "channel": ReportChannel.email}),
        }
    )


def test_a_limit_on_the_smtp_tag_sends_one_report_at_a_time(sqlite_url, tmp_path, monkeypatch):
    async def set_limit(limit: int | None) -> None:
        async with get_client() as client:
            if limit is None:
                await client.delete_concurrency_limit_by_tag(SMTP_TAG)
            else:
                await client.create_concurrency_limit(tag=SMTP_TAG, concurrency_limit=limit)

    asyncio.run(set_limit(1))
    try:
        with running_inbox(monkeypatch) as inbox:
            slow = SlowInbox(inbox, seconds=2.0)
            monkeypatch.setattr(inbox, "handle_DATA", slow.handle_DATA)
            codes = ["TH-50", "TH-11", "TH-90"]
            started = time.perf_counter()
            with ThreadPoolExecutor(len(codes)) as pool:
                runs = [
                    pool.submit(
                        province_round, code, "2567-1", inputs=_form1_only(), now=NOW, output_dir=str(tmp_path / code)
                    )
                    for code in codes
                ]
                summaries = [r.result() for r in runs]
            seconds = time.perf_counter() - started
    finally:
        asyncio.run(set_limit(None))
    assert [s.steps[2].state for s in summaries] == ["done"] * 3
    assert len(inbox.messages) == 3
    assert slow.most == 1  # three runs, one SMTP session at a time
    assert seconds >= 3 * 2.0


def test_outside_a_run_a_limited_call_is_a_plain_call():
    calls = []
    assert limited(SMTP_TAG, lambda x: calls.append(x) or x * 2)(21) == 42
    assert calls == [21]
