"""End to end on a real `prefect server` on 127.0.0.1: serve the deployments, trigger `province-round` for one
province through the API, wait for Completed, read its artifact back through the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kpi6.cli import SQLITE_SERVER_BATCHES
from tests.factories import bkk, full_inputs
from tests.mailsupport import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def prefect_harness():  # this test talks to its own server, not the session's test harness
    yield


def _wait(what: str, check, timeout: float = 120):  # type: ignore[no-untyped-def]
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


def test_trigger_one_province_on_a_real_server_and_read_its_artifact(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KPI6_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_RUNNER_POLL_FREQUENCY="1", PREFECT_LOGGING_LEVEL="WARNING",
               KPI6_DATA_DIR=str(tmp_path / "data"), KPI6_ACTOR="e2e")
    env.update(SQLITE_SERVER_BATCHES)  # as the README says to start a server on SQLite
    bin_dir = Path(sys.executable).parent
    logs = tmp_path / "logs"
    logs.mkdir()
    server = subprocess.Popen([str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                               str(port)], env=env, stdout=(logs / "server.log").open("w"), stderr=subprocess.STDOUT)
    served = None
    try:
        _wait("the server", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200)
        served = subprocess.Popen([sys.executable, "-m", "kpi6.deployments.serve"], env=env,
                                  stdout=(logs / "serve.log").open("w"), stderr=subprocess.STDOUT)
        deployment = _wait("the deployment", lambda: httpx.get(
            f"{api}/deployments/name/province-round/province-round", timeout=5).json().get("id"))
        assert deployment
        # Triggered the way the README says: `prefect deployment run ... -p province=TH-50 -p round_id=2567-1`,
        # here with the office's inputs and a fixed clock as JSON parameters too.
        extra = json.dumps({"now": bkk(2024, 3, 30, 12).isoformat(), "inputs": full_inputs().model_dump(mode="json")})
        done = subprocess.run([str(bin_dir / "prefect"), "deployment", "run", "province-round/province-round",
                               "-p", "province=TH-50", "-p", "round_id=2567-1", "--params", extra],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [deployment]}}},
                          timeout=10).json()
        assert len(runs) == 1
        run = runs[0]

        def finished():  # type: ignore[no-untyped-def]
            state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=5).json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        state = _wait("the flow run", finished, timeout=180)
        assert state["type"] == "COMPLETED", (state, (logs / "serve.log").read_text()[-3000:])
        flow_run = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=5).json()
        assert flow_run["name"] == "TH-50 เชียงใหม่ · 2567-1 · step 1–5"
        artifacts = httpx.post(f"{api}/artifacts/filter", json={
            "artifacts": {"key": {"any_": ["province-th-50-2567-1"]}}}, timeout=5).json()
        assert artifacts and artifacts[0]["flow_run_id"] == run["id"]
        assert "# TH-50 เชียงใหม่ · รอบ 2567-1" in artifacts[0]["data"]
        assert (tmp_path / "data" / "2567-1" / "TH-50" / "form1.pdf").read_bytes()[:4] == b"%PDF"

        def task_runs():  # type: ignore[no-untyped-def]  # recorded in batches, within a second or so
            found = httpx.post(f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run["id"]]}}},
                               timeout=5).json()
            names = {t["name"].rsplit("-", 1)[0] for t in found if t["state"]["type"] == "COMPLETED"}
            return names if len(names) == 8 else None

        assert {"make_plan", "report_form1", "report_form2", "publish_province_report"} <= _wait(
            "the task runs", task_runs, timeout=30)
    finally:
        for proc in (served, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
