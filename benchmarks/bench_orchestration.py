"""Orchestration overhead: the national run through Prefect (ephemeral API) versus the same task functions
called directly; and the daily reminder run for 76 provinces.

    .venv/bin/python benchmarks/bench_orchestration.py

The Prefect side runs as `kpi6 demo` does: Prefect's own INFO lines off (PREFECT_LOGGING_LEVEL=WARNING, what the
CLI sets), KPI6_DEMO_PARALLEL province runs at a time. Unless set, KPI6_DATA_DIR and PREFECT_HOME are fresh
temporary folders, so the figure does not depend on how large an earlier Prefect database has grown.
Targets (issue 5): Prefect adds no more than 25% to the wall time; reminders for 76 provinces under 10 s.
Not a test: it prints figures.
"""

# ruff: noqa: E402 (the environment is set before Prefect is imported)
from __future__ import annotations

import os
import tempfile

for _name in ("KPI6_DATA_DIR", "PREFECT_HOME"):
    if _name not in os.environ:
        os.environ[_name] = tempfile.mkdtemp(prefix=f"kpi6-bench-{_name.lower()}-")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
import time
from datetime import date
from pathlib import Path

from kpi6.flows.demo import national_demo
from kpi6.flows.province import STEP_TASKS
from kpi6.flows.reminders import daily_reminders
from kpi6.models.provinces import registry
from kpi6.models.rules import StepAction, decide_step
from kpi6.tasks.samples import generate_demo_inputs
from kpi6.tasks.scores import compute_round_scores, save_round_scores
from kpi6.tasks.steps import prepare_round, prepare_run, reset_round_data, summarize_run
from prefect import flow

from kpi6.settings import get_settings


def direct(round_id: str, seed: int, out: str) -> int:
    """The national demo's work with every task's function called directly: no Prefect runs."""
    config = prepare_round.fn(round_id)
    reset_round_data.fn(round_id)
    files = str(Path(out) / "inputs" / round_id)
    for code, pi in generate_demo_inputs.fn(config, seed, files).items():
        ctx, states, pi = prepare_run.fn(code, round_id, pi, output_dir=out)
        actions: dict[int, StepAction] = {}
        for n in range(1, 6):
            data = pi.for_step(n)
            actions[n] = decide_step(config, n, states, has_input=data is not None, force=False, explicit=False)
            if actions[n] is StepAction.run:
                STEP_TASKS[n].fn(ctx, data, False)
                states[n] = "done"
        summarize_run.fn(ctx, actions)
    return save_round_scores(compute_round_scores(config))


@flow
def warm_up() -> None:
    """Start the ephemeral API before timing."""


def main() -> None:
    warm_up()
    tmp = Path(tempfile.mkdtemp(prefix="kpi6-orch-"))
    t = time.perf_counter()
    direct("2567-1", 6, str(tmp / "direct"))
    plain = time.perf_counter() - t
    t = time.perf_counter()
    national_demo(round_id="2567-1", seed=6, out_dir=str(tmp / "prefect"))
    orchestrated = time.perf_counter() - t
    print(f"national run, task functions called directly: {plain:.1f} s")
    print(f"national run through Prefect:                 {orchestrated:.1f} s "
          f"(+{(orchestrated / plain - 1) * 100:.0f}%)")
    contacts = tmp / "contacts.yaml"
    contacts.write_text("".join(f"{p.code}: [{p.code.lower()}@dla.example]\n" for p in registry()), encoding="utf-8")
    os.environ["KPI6_CONTACTS_FILE"] = str(contacts)
    get_settings.cache_clear()
    day = date(2024, 1, 11)  # the plan is due the next working day: every province gets a reminder
    reset_round_data.fn("2567-1")
    t = time.perf_counter()
    run = daily_reminders(today=day, round_id="2567-1")
    print(f"daily reminders, {len(run.provinces)} provinces (outbox): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
