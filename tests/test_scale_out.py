"""Scale-out mode: Prefect server and kpi6 on PostgreSQL, a process work pool with two workers, the 76 province
runs submitted at once. Afterwards: 76 scores, no step recorded twice, no report sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import drop_postgres_db, fresh_postgres_url
from tests.serversupport import BIN, prefect_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def prefect_harness():  # its own server, not the session's test harness
    yield


WAIT_SECONDS = 1800  # a bound a slow machine meets; the test reports the time it took


def _count(api: str, *types: str) -> int:
    body = {"flow_runs": {"state": {"type": {"any_": list(types)}}}}
    return int(httpx.post(f"{api}/flow_runs/count", json=body, timeout=10).json())


def test_76_province_runs_on_two_workers_record_everything_once(pg_server, tmp_path):
    prefect_db, kpi6_db = fresh_postgres_url(pg_server), fresh_postgres_url(pg_server)
    out = tmp_path / "out"
    try:
        with prefect_server(tmp_path, sqlite_batches=False, KPI6_ACTOR="scale-out", KPI6_DATABASE_URL=kpi6_db,
                            PREFECT_API_DATABASE_CONNECTION_URL=prefect_db.replace("+psycopg", "+asyncpg"),
                            ) as (api, env, procs):
            _scale_out(api, env, procs, tmp_path / "logs", out, kpi6_db)
    finally:
        for url in (prefect_db, kpi6_db):
            drop_postgres_db(pg_server, url)


def _scale_out(api: str, env: dict[str, str], procs: list, logs: Path, out: Path, kpi6_db: str) -> None:  # type: ignore[type-arg]
    """The README's scale-out commands against the running server, then what must hold afterwards."""
    def start(name: str, *args: str) -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen(list(args), env=env, stdout=(logs / f"{name}.log").open("w"), stderr=subprocess.STDOUT)

    def run(*args: str) -> str:
        # Bounds a slow, busy 2-core machine still meets (submit waits for the first wave of 76 runs).
        done = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=WAIT_SECONDS)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(str(BIN / "prefect"), "work-pool", "create", "kpi6", "--type", "process")
    run(str(BIN / "kpi6"), "init")
    run(sys.executable, "-m", "kpi6.deployments.scale_out", "deploy")
    for n in (1, 2):
        procs.append(start(f"worker{n}", str(BIN / "prefect"), "worker", "start", "--pool", "kpi6", "--limit", "4"))
    started = time.monotonic()
    ids = run(sys.executable, "-m", "kpi6.deployments.scale_out", "submit", "--out", str(out)).split()
    # Two waves: steps 1-3 of all 76 offices, then steps 4-5 of the 73 that reach step 4 (3 stop at step 2).
    assert len(set(ids)) == 76 + 73
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and _count(api, "COMPLETED", "FAILED", "CRASHED", "CANCELLED") < len(ids):
        time.sleep(2)
    print(f"scale-out: {len(ids)} province runs ended in {time.monotonic() - started:.0f} s")  # noqa: T201
    failed = _count(api, "FAILED", "CRASHED")
    assert failed == 0 and _count(api, "COMPLETED") == len(ids), (logs / "worker1.log").read_text()[-3000:]
    scores = json.loads(run(str(BIN / "kpi6"), "score", "--round", "2567-1", "--json"))
    assert len(scores) == 76
    assert sum(1 for s in scores if s["penalty"]) == 23  # the demo's seed: 23 offices report late
    engine = create_engine(kpi6_db)
    with engine.connect() as conn:
        steps = conn.execute(text("select province_code, step, runs from step_progress")).all()
        reports = conn.execute(text("select province_code, form, version from report_submission")).all()
    engine.dispose()
    assert len(steps) == len({(p, s) for p, s, _ in steps}) and all(r == 1 for *_, r in steps)
    assert Counter(form for _, form, _ in reports) == {1: 73, 2: 69}  # stop_2 offices: no Form 1
    assert all(v == 1 for *_, v in reports)
    assert len(list((out / "outbox").glob("*.eml"))) == len(reports)  # each report e-mailed exactly once
    # The sends ran under the limit `deploy` set on the `smtp` tag.
    assert httpx.get(f"{api}/concurrency_limits/tag/smtp", timeout=10).json()["concurrency_limit"] == 2
