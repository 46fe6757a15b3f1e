"""Orchestration overhead: the national run through Prefect (ephemeral API) versus the same task functions
called directly; and the daily reminder run for 76 provinces.

    .venv/bin/python benchmarks/bench_orchestration.py [--pairs 3]

Each measurement runs in a process of its own, on fresh temporary KPI6_DATA_DIR and PREFECT_HOME folders
(unless set), so neither side inherits the other's heap, caches or database. Direct and Prefect runs
alternate, pair after pair, and the figure is the median of the pairs: wall times on a small VM vary by
about 10% between identical runs. The Prefect side runs as `kpi6 demo` does (kpi6.cli.prefect_defaults),
KPI6_DEMO_PARALLEL province runs at a time; the ephemeral API starts before the clock does.
Targets (issue 5): Prefect adds no more than 25% to the wall time; reminders for 76 provinces under 10 s.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def direct(round_id: str, seed: int, out: str) -> int:
    """The national demo's work with every task's function called directly: no Prefect runs."""
    from kpi6.flows.province import step_task
    from kpi6.models.rules import StepAction, decide_step
    from kpi6.models.steps import numbers
    from kpi6.tasks.demo import generate_demo_inputs
    from kpi6.tasks.run import prepare_round, prepare_run, reset_round_data, summarize_run
    from kpi6.tasks.scores import compute_round_scores, save_round_scores

    config = prepare_round.fn(round_id)
    reset_round_data.fn(round_id)
    files = str(Path(out) / "inputs" / round_id)
    for code, pi in generate_demo_inputs.fn(config, seed, files).items():
        ctx, states, pi, checked = prepare_run.fn(code, round_id, pi, output_dir=out)
        actions: dict[int, StepAction] = {}
        for n in numbers():
            data = pi.for_step(n)
            actions[n] = decide_step(config, n, states, has_input=data is not None, force=False, explicit=False)
            if actions[n] is StepAction.run:
                step_task(n).fn(ctx, data, checked[n], False)
                states[n] = "done"
        summarize_run.fn(ctx, actions)
    return save_round_scores(compute_round_scores(config))


def measure(side: str, out: str) -> float:
    """One measurement, in this process: seconds on the clock."""
    from kpi6.cli import prefect_defaults

    prefect_defaults()
    from prefect import flow

    from kpi6.settings import get_settings

    @flow
    def warm_up() -> None:
        """Start the ephemeral API before timing."""

    if side == "direct":
        t = time.perf_counter()
        direct("2567-1", 6, out)
        return time.perf_counter() - t
    warm_up()
    if side == "prefect":
        from kpi6.flows.demo import national_demo

        t = time.perf_counter()
        national_demo(round_id="2567-1", seed=6, out_dir=out)
        return time.perf_counter() - t
    from kpi6.flows.reminders import daily_reminders
    from kpi6.models.provinces import registry
    from kpi6.tasks.run import prepare_round, reset_round_data

    contacts = Path(out) / "contacts.yaml"
    contacts.parent.mkdir(parents=True, exist_ok=True)
    contacts.write_text("".join(f"{p.code}: [{p.code.lower()}@dla.example]\n" for p in registry()), encoding="utf-8")
    os.environ["KPI6_CONTACTS_FILE"] = str(contacts)
    get_settings.cache_clear()
    prepare_round.fn("2567-1")
    reset_round_data.fn("2567-1")
    t = time.perf_counter()
    run = daily_reminders(today=date(2024, 1, 11), round_id="2567-1")  # the plan is due the next working day
    assert len(run.provinces) == 76
    return time.perf_counter() - t


def spawn(side: str, tmp: Path) -> float:
    """`measure(side)` in a fresh process with fresh data and Prefect folders (unless set)."""
    env = dict(os.environ)
    for name in ("KPI6_DATA_DIR", "PREFECT_HOME"):
        if name not in os.environ:
            env[name] = tempfile.mkdtemp(prefix=f"{side}-{name.lower()}-", dir=tmp)
    out = tempfile.mkdtemp(prefix=f"{side}-out-", dir=tmp)
    done = subprocess.run(
        [sys.executable, __file__, "--side", side, "--out", out], env=env, check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="direct/Prefect pairs to measure (default 3)")
    parser.add_argument("--side", choices=["direct", "prefect", "reminders"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(f"{measure(args.side, args.out):.3f}")
        return
    tmp = Path(tempfile.mkdtemp(prefix="kpi6-orch-"))
    ratios, plain, orchestrated = [], [], []
    for pair in range(1, args.pairs + 1):
        plain.append(spawn("direct", tmp))
        orchestrated.append(spawn("prefect", tmp))
        ratios.append(orchestrated[-1] / plain[-1] - 1)
        print(
            f"pair {pair}: task functions called directly {plain[-1]:.1f} s, "
            f"through Prefect {orchestrated[-1]:.1f} s (+{ratios[-1] * 100:.0f}%)",
            flush=True,
        )
    print(f"national run, task functions called directly: {statistics.median(plain):.1f} s (median of {args.pairs})")
    print(
        f"national run through Prefect:                 {statistics.median(orchestrated):.1f} s "
        f"(median overhead +{statistics.median(ratios) * 100:.0f}%, range +{min(ratios) * 100:.0f}% "
        f"to +{max(ratios) * 100:.0f}%)"
    )
    print(f"daily reminders, 76 provinces (outbox):       {spawn('reminders', tmp):.1f} s")


if __name__ == "__main__":
    main()
