"""A real `prefect server` on 127.0.0.1 for the end-to-end and scale-out tests, and a patient wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kpi6.cli import SQLITE_SERVER_BATCHES
from tests.support.mail import free_port

BIN = Path(sys.executable).parent


def wait_for(what: str, check, timeout: float = 120):  # type: ignore[no-untyped-def]
    """`check()` until it returns something true (HTTP errors count as not yet); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def prefect_server(
    tmp_path: Path, *, sqlite_batches: bool = True, **settings: str
) -> Iterator[tuple[str, dict[str, str], list[subprocess.Popen]]]:  # type: ignore[type-arg]
    """A real `prefect server`: on SQLite with the batches the README recommends, unless `settings` say otherwise.

    Yields its API URL, the environment for its clients (no PREFECT_ or KPI6_ setting of this process;
    `settings` added) and the list of processes to stop at the end, the server first; their output goes to
    `tmp_path/logs/`."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KPI6_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_LOGGING_LEVEL="WARNING",
        KPI6_DATA_DIR=str(tmp_path / "data"),
    )
    env.update(SQLITE_SERVER_BATCHES if sqlite_batches else {})
    env.update(settings)
    (tmp_path / "logs").mkdir(exist_ok=True)
    procs = [
        subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=(tmp_path / "logs" / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        wait_for("the server", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200)
        yield api, env, procs
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
