"""End to end on a real `prefect server` on 127.0.0.1, as the README's "Operating it" says: serve the deployments
(or deploy prefect.yaml to a process work pool and start a worker), trigger `province-round` for one province
through the API, wait for Completed, read its artifact and task runs back through the API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.factories import full_inputs
from tests.support.server import BIN, prefect_server, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def prefect_harness():  # this test talks to its own server, not the session's test harness
    yield


ROOT = Path(__file__).resolve().parents[2]
# DLA's server protected as README's "Operating it" says: the server's string, and the same string in every client.
AUTH = ("dla", "a-long-secret-only-dla-knows-2567")
AUTH_ENV = {"PREFECT_SERVER_API_AUTH_STRING": ":".join(AUTH), "PREFECT_API_AUTH_STRING": ":".join(AUTH)}


def _trigger_th50(
    api: str, env: dict[str, str], deployment: str, log: Path, auth: tuple[str, str] | None = None
) -> dict:  # type: ignore[type-arg]
    """`prefect deployment run province-round/province-round -p province=TH-50 -p round_id=2567-1`, here with
    the office's inputs as a JSON parameter too (dated, so today's clock is fine: the clock is kpi6's own parameter,
    not in the deployment's form, and `prefect deployment run` takes only the form's); waits for the run to
    finish, returns it."""
    extra = json.dumps({"inputs": full_inputs().model_dump(mode="json")})
    done = subprocess.run(
        [
            str(BIN / "prefect"),
            "deployment",
            "run",
            "province-round/province-round",
            "-p",
            "province=TH-50",
            "-p",
            "round_id=2567-1",
            "--params",
            extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = httpx.post(
        f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [deployment]}}}, timeout=10, auth=auth
    ).json()
    assert len(runs) == 1

    def finished():  # type: ignore[no-untyped-def]
        state = httpx.get(f"{api}/flow_runs/{runs[0]['id']}", timeout=5, auth=auth).json()["state"]
        return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    state = wait_for("the flow run", finished, timeout=180)
    assert state["type"] == "COMPLETED", (state, log.read_text()[-3000:])
    return httpx.get(f"{api}/flow_runs/{runs[0]['id']}", timeout=5, auth=auth).json()


def test_trigger_one_province_on_a_real_server_and_read_its_artifact(tmp_path):
    with prefect_server(tmp_path, KPI6_ACTOR="e2e") as (api, env, procs):
        log = tmp_path / "logs" / "serve.log"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "kpi6.deployments.serve"],
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        deployment = wait_for(
            "the deployment",
            lambda: httpx.get(f"{api}/deployments/name/province-round/province-round", timeout=5).json().get("id"),
        )
        run = _trigger_th50(api, env, deployment, log)
        assert run["name"] == "TH-50 เชียงใหม่ · 2567-1 · step 1–5"
        artifacts = httpx.post(
            f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": ["province-th-50-2567-1"]}}}, timeout=5
        ).json()
        assert artifacts and artifacts[0]["flow_run_id"] == run["id"]
        assert "# TH-50 เชียงใหม่ · รอบ 2567-1" in artifacts[0]["data"]
        assert (tmp_path / "data" / "2567-1" / "TH-50" / "form1.pdf").read_bytes()[:4] == b"%PDF"

        def task_runs():  # type: ignore[no-untyped-def]  # recorded in batches, within a second or so
            found = httpx.post(
                f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run["id"]]}}}, timeout=5
            ).json()
            # a task run may be listed before its state arrives (events come in batches): not completed yet
            names = {t["name"].rsplit("-", 1)[0] for t in found if (t.get("state") or {}).get("type") == "COMPLETED"}
            return names if len(names) == 8 else None

        assert {"make_plan", "report_form1", "report_form2", "publish_province_report"} <= wait_for(
            "the task runs", task_runs, timeout=30
        )


def test_prefect_deploy_all_then_a_process_worker_runs_a_province(tmp_path):
    """The README's other way: `prefect work-pool create kpi6 --type process; prefect deploy --all;
    prefect worker start --pool kpi6`, from the project folder; the server protected by its auth string, which
    every client and the worker carry, and a client without it refused."""
    with prefect_server(tmp_path, KPI6_ACTOR="e2e", **AUTH_ENV) as (api, env, procs):
        assert httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).status_code == 401
        assert httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10, auth=("dla", "guess")).status_code == 401
        outsider = {k: v for k, v in env.items() if k != "PREFECT_API_AUTH_STRING"}
        refused = subprocess.run(
            [str(BIN / "prefect"), "work-pool", "create", "intruder", "--type", "process"],
            env=outsider,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode != 0
        assert ":".join(AUTH) not in refused.stdout + refused.stderr

        def run(*args: str) -> None:
            done = subprocess.run(
                [str(BIN / "prefect"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
            )
            assert done.returncode == 0, done.stdout + done.stderr

        run("work-pool", "create", "kpi6", "--type", "process")
        run("--no-prompt", "deploy", "--all")
        found = {d["name"]: d for d in httpx.post(f"{api}/deployments/filter", json={}, timeout=10, auth=AUTH).json()}
        assert set(found) == {
            "province-round",
            "propose-topics",
            "daily-reminders",
            "national-scoreboard",
            "national-demo",
        }
        assert {d["work_pool_name"] for d in found.values()} == {"kpi6"}
        [morning] = found["daily-reminders"]["schedules"]
        assert morning["schedule"]["cron"] == "30 8 * * 1-5" and morning["schedule"]["timezone"] == "Asia/Bangkok"
        assert found["national-scoreboard"]["schedules"][0]["schedule"]["timezone"] == "Asia/Bangkok"
        assert not found["province-round"]["schedules"]  # triggered by hand, from a form of the 76 provinces
        assert "TH-50 เชียงใหม่" in found["province-round"]["parameter_openapi_schema"]["properties"]["province"]["enum"]
        log = tmp_path / "logs" / "worker.log"
        procs.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", "kpi6"],
                env=env,
                cwd=ROOT,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        triggered = _trigger_th50(api, env, found["province-round"]["id"], log, auth=AUTH)
        assert triggered["name"] == "TH-50 เชียงใหม่ · 2567-1 · step 1–5"
        assert set(triggered["tags"]) >= {"kpi6", "manual", "province:TH-50", "round:2567-1"}
        assert (tmp_path / "data" / "2567-1" / "TH-50" / "form2.pdf").read_bytes()[:4] == b"%PDF"
        pools = httpx.post(f"{api}/work_pools/filter", json={}, timeout=10, auth=AUTH).json()
        assert [p["name"] for p in pools if p["name"] == "intruder"] == []  # the refused client made nothing
