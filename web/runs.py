"""Work an office starts from a page runs outside the request: the same `province-round` flow, in a worker
thread of the portal's process (on the one Prefect API the process started), and the page polls its state.
Every run names the signed-in user as its actor."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from kpi6.models.inputs import ProvinceInputs
from kpi6.models.summary import ProvinceRunSummary
from kpi6.web.messages import thai_message

log = logging.getLogger("kpi6.web")


class PortalRun(BaseModel):
    id: str
    province_code: str
    round_id: str
    step: int
    actor: str
    started_at: datetime
    state: str = "running"  # running, done, failed
    message_th: str = ""
    detail: str = ""
    summary: ProvinceRunSummary | None = None


class Runs:
    """The portal's runs: at most `workers` at once; each run's state kept for the pages to poll."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="portal-run")
        self._runs: dict[str, PortalRun] = {}
        self._started: list[Any] = []  # the temporary Prefect API this portal started, to stop at its end
        self._lock = threading.Lock()

    def start(
        self,
        *,
        province: str,
        round_id: str,
        step: int,
        inputs: ProvinceInputs,
        actor: str,
        force: bool = False,
        now: datetime | None = None,
    ) -> PortalRun:
        """Start the run in a worker thread; `now` simulates its time (a portal on a clock of its own). While a run
        of the same province, round and step is under way, that run is the answer: a double click on "replace"
        must not send a report twice."""
        run = PortalRun(
            id=uuid.uuid4().hex,
            province_code=province,
            round_id=round_id,
            step=step,
            actor=actor,
            started_at=datetime.now(UTC),
        )
        with self._lock:
            key = (province, round_id, step)
            for running in self._runs.values():
                if running.state == "running" and (running.province_code, running.round_id, running.step) == key:
                    return running
            self._runs[run.id] = run
        self._pool.submit(self._work, run.id, inputs, force, now)
        return run

    def get(self, run_id: str) -> PortalRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def _work(self, run_id: str, inputs: ProvinceInputs, force: bool, now: datetime | None) -> None:  # noqa: FBT001
        from prefect import tags

        from kpi6.flows.run import run_province

        run = self.get(run_id)
        assert run is not None
        try:
            with tags("portal"):  # beside the province, round and step tags: DLA filters the portal's runs by it
                summary = run_province(
                    run.province_code, run.round_id, step=run.step, inputs=inputs, force=force, actor=run.actor, now=now
                )
            update = {"state": "done", "summary": summary}
        except Exception as exc:
            message, detail = thai_message(exc, run=run_id)
            if not detail:
                log.exception("portal run %s failed", run_id)
            update = {"state": "failed", "message_th": message, "detail": detail}
        with self._lock:
            self._runs[run_id] = run.model_copy(update=update)

    def start_prefect(self) -> None:
        """Without a Prefect server of DLA's (PREFECT_API_URL), the process's temporary API, started now, once:
        two first runs at once each tried to start it, and one failed."""
        from prefect.client.orchestration import get_client
        from prefect.settings import get_current_settings

        if get_current_settings().api.url:
            return
        before = set(self._api_servers())
        with get_client(sync_client=True) as client:
            client.api_healthcheck()
        self._started = [s for key, s in self._api_servers().items() if key not in before]

    def shutdown(self) -> None:
        """Let the runs end, then stop the temporary API this process started (SIGTERM left it running)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for server in self._started:
            server.stop()

    @staticmethod
    def _api_servers() -> dict[object, Any]:
        """Prefect's temporary API servers of this process (its one class keeps them by port)."""
        import sys

        module = sys.modules.get("prefect.server.api.server")
        return dict(module.SubprocessASGIServer._instances) if module is not None else {}
