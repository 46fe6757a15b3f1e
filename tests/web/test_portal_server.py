"""`kpi6 web` as DLA would run it, beside a real `prefect server` (PREFECT_API_URL set): an office signs in and
records its plan with an upload, and the run is in the Prefect API (what the UI shows) under its readable name,
tagged `portal` with its province, round and step."""

from __future__ import annotations

import re
import subprocess

import httpx

from tests.support.mail import free_port
from tests.support.server import BIN, prefect_server, wait_for
from tests.web.test_work import EXAMPLES, form_of

CLERK, PASSWORD = "clerk@th50.example", "รหัสผ่านยาวพอ-2567"


def test_a_portal_action_is_a_tagged_run_on_dlas_prefect_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with prefect_server(tmp_path, KPI6_PORTAL_ROUND="2567-1") as (api, env, procs):
        added = subprocess.run(
            [str(BIN / "kpi6"), "users", "add", CLERK, "--role", "office", "--province", "TH-50", "--password-stdin"],
            input=PASSWORD + "\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        assert PASSWORD not in added.stdout + added.stderr
        port = free_port()
        procs.append(
            subprocess.Popen(
                [str(BIN / "kpi6"), "web", "--port", str(port)],
                env=env,
                stdout=(tmp_path / "logs" / "web.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}"
        wait_for("the portal", lambda: httpx.get(f"{base}/login", timeout=2).status_code == 200, timeout=60)
        with httpx.Client(base_url=base, timeout=60) as client:
            login = client.get("/login")
            signed = client.post(
                "/login", data={"email": CLERK, "password": PASSWORD, "csrf": login.cookies.get("kpi6_login_csrf", "")}
            )
            assert signed.status_code == 303, signed.text[-500:]
            form = form_of(client.get("/provinces/TH-50/steps/1").text)
            lpa = ("lpa_file", ("lpa.csv", (EXAMPLES / "lpa-results-TH-50.csv").read_bytes(), "text/csv"))
            recorded = client.post("/provinces/TH-50/steps/1/record", data=form, files=[lpa])
            assert recorded.status_code == 303, recorded.text[-2000:]
            state = recorded.headers["location"] + "/state"

            def ended() -> str | None:
                html = client.get(state).text
                return None if 'hx-trigger="every 2s"' in html else html

            assert "เสร็จแล้ว" in wait_for("the portal's run", ended, timeout=240)
        runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"tags": {"all_": ["portal"]}}}, timeout=10)
        [run] = runs.json()
        assert run["name"] == "TH-50 เชียงใหม่ · 2567-1 · step 1"
        assert {"portal", "province:TH-50", "round:2567-1", "step:1"} <= set(run["tags"])
        assert run["state"]["type"] == "COMPLETED"
        log = (tmp_path / "logs" / "web.log").read_text()
        assert "Traceback" not in log and not re.search(r"ERROR", log), log[-2000:]
