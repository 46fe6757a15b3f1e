"""Scale-out mode: the Prefect server on PostgreSQL, kpi6's database on PostgreSQL, a process work pool with
several workers, and the 76 province runs submitted at once.

    prefect server start                                   # PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://...
                                                           # and PREFECT_SERVER_API_AUTH_STRING=dla:SECRET;
                                                           # every other command: PREFECT_API_AUTH_STRING=dla:SECRET
    prefect work-pool create kpi6 --type process
    python -m kpi6.deployments.scale_out deploy [--smtp-limit 2] [--drive-limit 4]
    prefect worker start --pool kpi6 --limit 4             # twice (two workers), KPI6_DATABASE_URL=postgresql+psycopg://...
    python -m kpi6.deployments.scale_out submit --round 2567-1 --seed 6 --out DIR [--batches 4]

The 76 offices are shared out into batches (`demo-batch` runs, flows/demo.py), one worker process each; in a
batch each office's two runs (steps 1–3 when Form 1 goes out, then 4–5) are flow runs of their own, subflows of
the batch, tagged by province and round as any province run, four offices at a time. A process per province run
(as `province-round` itself is deployed, for DLA's one-off runs) costs a Python start and Prefect's import each:
149 of them took 8 minutes of a 2-core machine. The database's row locks and unique constraints keep a step from
being recorded twice, and each report's e-mail is sent once (a claim per version, see tasks/delivery.py).
Each send holds a slot of the `smtp` tag's limit and each Drive upload one of the `drive` tag's; `deploy`
sets a concurrency limit on each tag so that 76 runs at once never open more than that many SMTP sessions or uploads.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment

from kpi6.models.provinces import registry
from kpi6.tasks.adapters.limits import DRIVE_TAG, SMTP_TAG

# The folder that holds flows/ (the project in a checkout, the kpi6 package when installed).
SOURCE = Path(__file__).resolve().parent.parent
DEPLOYMENT = "province-round/province-round"
BATCH_DEPLOYMENT = "demo-batch/demo-batch"
PAGE = 200  # the most flow runs the API gives at a time


def deploy(pool: str = "kpi6", smtp_limit: int = 2, drive_limit: int = 4) -> str:
    """Register `province-round` and `demo-batch` on the work pool (its workers load the flows from SOURCE) and
    set the concurrency limits of the `smtp` and `drive` tags; the id of `province-round`'s deployment."""
    ids = []
    for entrypoint, name, tags in (
        ("flows/province.py:province_round", "province-round", ["kpi6", "manual"]),
        ("flows/demo.py:demo_batch", "demo-batch", ["kpi6", "scale-out"]),
    ):
        flow = Flow.from_source(source=str(SOURCE), entrypoint=entrypoint)
        assert isinstance(flow, Flow)  # called from sync code, Prefect's sync-or-async from_source gives the flow
        ids.append(flow.deploy(name=name, work_pool_name=pool, tags=tags, print_next_steps=False))
    deployment_id = ids[0]
    with get_client(sync_client=True) as client:
        for tag, limit in ((SMTP_TAG, smtp_limit), (DRIVE_TAG, drive_limit)):
            client.create_concurrency_limit(tag=tag, concurrency_limit=limit)
    return str(deployment_id)


def submit(
    round_id: str,
    seed: int,
    out_dir: str | None,
    *,
    batches: int = 4,
    poll_seconds: float = 2.0,
    wait_seconds: float = 3600,
) -> list[str]:
    """The 76 offices shared out into `batches` runs of `demo-batch` (on the seed's sample inputs), all submitted
    at once; waits until every batch has ended and returns the ids of the province runs they made (each office's
    runs: steps 1–3, then 4–5 for the offices that reach them)."""
    codes = [p.code for p in registry()]
    share = [codes[i::batches] for i in range(batches) if codes[i::batches]]
    started = [
        _started(
            run_deployment(
                BATCH_DEPLOYMENT,
                timeout=0,
                tags=[f"round:{round_id}", "scale-out"],
                parameters={"round_id": round_id, "seed": seed, "provinces": chunk, "out_dir": out_dir},
            )
        )
        for chunk in share
    ]
    wait_for_runs([run.id for run in started], poll_seconds=poll_seconds, wait_seconds=wait_seconds)
    children: list[FlowRun] = []
    within = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[r.id for r in started]))
    with get_client(sync_client=True) as client:
        while page := client.read_flow_runs(flow_run_filter=within, limit=PAGE, offset=len(children)):
            children += page
            if len(page) < PAGE:
                break
    return [str(run.id) for run in children]


def _started(run: FlowRun | Coroutine[Any, Any, FlowRun]) -> FlowRun:
    assert isinstance(run, FlowRun)  # called from sync code, Prefect's sync-or-async run_deployment gives the run
    return run


def wait_for_runs(ids: list[UUID], *, poll_seconds: float, wait_seconds: float) -> None:
    """Until every run has reached a final state (completed, failed, crashed, cancelled)."""
    deadline = time.monotonic() + wait_seconds
    with get_client(sync_client=True) as client:
        pending = set(ids)
        while pending:
            pending = {i for i in pending if not _final(client.read_flow_run(i).state)}
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} province runs still running after {wait_seconds:.0f} s")
            if pending:
                time.sleep(poll_seconds)


def _final(state: State | None) -> bool:
    return state is not None and state.is_final()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kpi6.deployments.scale_out")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy")
    d.add_argument("--pool", default="kpi6")
    d.add_argument("--smtp-limit", type=int, default=2, help="SMTP sessions at once, across all workers")
    d.add_argument("--drive-limit", type=int, default=4, help="Google Drive uploads at once, across all workers")
    s = sub.add_parser("submit")
    s.add_argument("--round", default="2567-1")
    s.add_argument("--seed", type=int, default=6)
    s.add_argument("--out")
    s.add_argument("--batches", type=int, default=4, help="Batch runs the offices are shared out into")
    args = parser.parse_args()
    if args.command == "submit" and args.batches < 1:
        parser.error("--batches: give 1 or more")
    if args.command == "deploy":
        print(deploy(args.pool, args.smtp_limit, args.drive_limit))  # noqa: T201
    else:
        print("\n".join(submit(args.round, args.seed, args.out, batches=args.batches)))  # noqa: T201


if __name__ == "__main__":
    main()
