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
from tests.support.server import BIN, prefect_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def prefect_harness():  # its own server, not the session's test harness
    yield


# Bounds a slow, busy 2-core machine in a fresh clone still meets: the test polls the runs' states and reports how
# long they took; these only stop it when something hangs. (A 300 s timeout on `submit` once failed CI this way.)
SCALE_OUT_BOUND_S = 45 * 60  # submit and both waves, to the last final state (16 min alone; not done in 30 at load 8)
COMMAND_BOUND_S = 10 * 60  # one setup or read-back command: work-pool create, kpi6 init, deploy, kpi6 score
POLL_S = 2
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def _count(api: str, *types: str) -> int:
    body = {"flow_runs": {"state": {"type": {"any_": list(types)}}}}
    return int(httpx.post(f"{api}/flow_runs/count", json=body, timeout=30).json())


def test_76_province_runs_on_two_workers_record_everything_once(pg_server, tmp_path, capsys):
    prefect_db, kpi6_db = fresh_postgres_url(pg_server), fresh_postgres_url(pg_server)
    out = tmp_path / "out"
    try:
        with prefect_server(
            tmp_path,
            sqlite_batches=False,
            KPI6_ACTOR="scale-out",
            KPI6_DATABASE_URL=kpi6_db,
            PREFECT_API_DATABASE_CONNECTION_URL=prefect_db.replace("+psycopg", "+asyncpg"),
        ) as (api, env, procs):
            seconds = _scale_out(api, env, procs, tmp_path / "logs", out, kpi6_db)
    finally:
        for url in (prefect_db, kpi6_db):
            drop_postgres_db(pg_server, url)
    with capsys.disabled():  # on the terminal whatever pytest's options: how long the province runs took
        print(f"\nscale-out: submit and every province run ended in {seconds:.0f} s (bound {SCALE_OUT_BOUND_S} s)")


def _scale_out(api: str, env: dict[str, str], procs: list, logs: Path, out: Path, kpi6_db: str) -> float:  # type: ignore[type-arg]
    """The README's scale-out commands against the running server, then what must hold afterwards; the seconds
    from submit to the last province run's final state."""

    def start(name: str, *args: str) -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen(list(args), env=env, stdout=(logs / f"{name}.log").open("w"), stderr=subprocess.STDOUT)

    def run(*args: str) -> str:
        done = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=COMMAND_BOUND_S)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(str(BIN / "prefect"), "work-pool", "create", "kpi6", "--type", "process")
    run(str(BIN / "kpi6"), "init")
    run(sys.executable, "-m", "kpi6.deployments.scale_out", "deploy")
    for n in (1, 2):
        procs.append(start(f"worker{n}", str(BIN / "prefect"), "worker", "start", "--pool", "kpi6", "--limit", "4"))
    # Four batch runs share the 76 offices; in each, an office's runs are steps 1-3, then 4-5 for the 73 that
    # reach step 4 (3 stop at step 2). submit waits for the batches itself, so it runs beside the polling.
    started = time.monotonic()
    with (logs / "submit.out").open("w") as ids_file, (logs / "submit.log").open("w") as submit_log:
        submit = subprocess.Popen(
            [sys.executable, "-m", "kpi6.deployments.scale_out", "submit", "--out", str(out)],
            env=env,
            stdout=ids_file,
            stderr=submit_log,
        )
        procs.append(submit)
        ids = _wait_for_every_run(api, submit, logs, started)
    seconds = time.monotonic() - started
    assert len(set(ids)) == 76 + 73  # the province runs, subflows of the 4 batches
    failed = _count(api, "FAILED", "CRASHED")
    assert failed == 0 and _count(api, "COMPLETED") == len(ids) + 4, _tails(logs)
    for run_id in ids[:3]:  # each province run carries its province and round, as DLA filters them
        tags = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["tags"]
        assert any(t.startswith("province:TH-") for t in tags) and "round:2567-1" in tags, tags
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
    return seconds


def _wait_for_every_run(api: str, submit: subprocess.Popen, logs: Path, started: float) -> list[str]:  # type: ignore[type-arg]
    """Poll until `submit` has ended and every run it submitted is in a final state; its run ids. Fails when
    submit fails, or when SCALE_OUT_BOUND_S passes (saying how far it got)."""
    deadline = started + SCALE_OUT_BOUND_S
    ids: list[str] | None = None
    ended = 0
    while time.monotonic() < deadline:
        if ids is None and submit.poll() is not None:
            assert submit.returncode == 0, (logs / "submit.log").read_text()[-3000:]
            ids = (logs / "submit.out").read_text().split()
        try:
            ended = _count(api, *FINAL)
        except httpx.HTTPError:  # a server this busy may answer late: ask again at the next poll
            pass
        if ids is not None and ended >= len(ids):
            return ids
        time.sleep(POLL_S)
    raise AssertionError(
        f"after {SCALE_OUT_BOUND_S} s: submit {'ended' if ids is not None else 'still running'}, "
        f"{ended} province runs in a final state, {_count(api, 'RUNNING')} running, "
        f"{_count(api, 'SCHEDULED', 'PENDING')} waiting\n{_tails(logs)}"
    )


def _tails(logs: Path) -> str:
    """The end of each worker's and submit's output, for a failure message."""
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
        for p in sorted(logs.glob("*.log"))
        if p.name.startswith(("worker", "submit"))
    )
