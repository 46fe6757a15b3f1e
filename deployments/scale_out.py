"""Scale-out mode: the Prefect server on PostgreSQL, kpi6's database on PostgreSQL, a process work pool with
several workers, and the 76 province runs submitted at once.

    prefect server start                                   # PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://...
                                                           # and PREFECT_SERVER_API_AUTH_STRING=dla:SECRET;
                                                           # every other command: PREFECT_API_AUTH_STRING=dla:SECRET
    prefect work-pool create kpi6 --type process
    python -m kpi6.deployments.scale_out deploy [--smtp-limit 2] [--drive-limit 4]
    prefect worker start --pool kpi6 --limit 4             # twice (two workers), KPI6_DATABASE_URL=postgresql+psycopg://...
    python -m kpi6.deployments.scale_out submit --round 2567-1 --seed 6 --out DIR

Each province run is its own flow run (its own process); the database's row locks and unique constraints
keep a step from being recorded twice, and each report's e-mail is sent once (a claim per version, see
tasks/delivery.py). The province runs go in two waves: steps 1–3 of all 76, then steps 4–5.
Each send holds a slot of the `smtp` tag's limit and each Drive upload one of the `drive` tag's; `deploy`
sets a concurrency limit on each tag so that 76 runs at once never open more than that many SMTP sessions or uploads.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment

from kpi6.flows.province import province_round
from kpi6.models.inputs import ProvinceInputs
from kpi6.models.provinces import registry
from kpi6.tasks.adapters.limits import DRIVE_TAG, SMTP_TAG
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.demo import demo_inputs, demo_runs

# The folder that holds flows/ (the project in a checkout, the kpi6 package when installed).
SOURCE = Path(__file__).resolve().parent.parent
DEPLOYMENT = "province-round/province-round"


def deploy(pool: str = "kpi6", smtp_limit: int = 2, drive_limit: int = 4) -> str:
    """Register `province-round` on the work pool (its workers load the flow from SOURCE) and set the
    concurrency limits of the `smtp` and `drive` tags."""
    flow = province_round.from_source(source=str(SOURCE), entrypoint="flows/province.py:province_round")
    assert isinstance(flow, Flow)  # called from sync code, Prefect's sync-or-async from_source gives the flow
    deployment_id = flow.deploy(
        name="province-round", work_pool_name=pool, tags=["kpi6", "manual"], print_next_steps=False
    )
    with get_client(sync_client=True) as client:
        for tag, limit in ((SMTP_TAG, smtp_limit), (DRIVE_TAG, drive_limit)):
            client.create_concurrency_limit(tag=tag, concurrency_limit=limit)
    return str(deployment_id)


def submit(
    round_id: str, seed: int, out_dir: str | None, *, poll_seconds: float = 2.0, wait_seconds: float = 3600
) -> list[str]:
    """One flow run per province on the demo's sample inputs, all submitted at once; their ids.

    An office's round is two runs, as in the demo (tasks/samples.demo_runs): steps 1–3 at the moment Form 1
    is sent, then steps 4–5 at Form 2's; the second wave is submitted once every run of the first has ended."""
    config = load_round(round_id)
    waves: list[list[tuple[str, ProvinceInputs, datetime | None]]] = [[], []]
    for code, inputs in demo_inputs(config, seed).items():
        for wave, (part, clock) in zip(waves, demo_runs(inputs), strict=False):
            wave.append((code, part, clock))
    ids: list[str] = []
    for n, wave in enumerate(waves):
        started = [
            _started(
                run_deployment(
                    DEPLOYMENT,
                    timeout=0,
                    tags=[f"province:{code}", f"round:{round_id}", "scale-out"],
                    parameters={
                        "province": registry().get(code).label,  # as the form's choice list has it
                        "round_id": round_id,
                        "output_dir": out_dir,
                        "inputs": part.model_dump(mode="json"),
                        "now": clock.isoformat() if clock else None,
                    },
                )
            )
            for code, part, clock in wave
        ]
        ids += [str(run.id) for run in started]
        if n + 1 < len(waves):
            wait_for_runs([run.id for run in started], poll_seconds=poll_seconds, wait_seconds=wait_seconds)
    return ids


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
    args = parser.parse_args()
    if args.command == "deploy":
        print(deploy(args.pool, args.smtp_limit, args.drive_limit))  # noqa: T201
    else:
        print("\n".join(submit(args.round, args.seed, args.out)))  # noqa: T201


if __name__ == "__main__":
    main()
