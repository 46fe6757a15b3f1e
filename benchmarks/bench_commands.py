"""Issue 18, goal 1: the read-only commands against their floor, measured side by side in one run.

The floor is what any Python command reading kpi6's data must pay: the interpreter starting and importing
pydantic, SQLAlchemy and PyYAML (`python -c "import pydantic, sqlalchemy, yaml"`). Each command runs as a clerk
runs it (`.venv/bin/kpi6 ...`, a new process) against a database `kpi6 init` made; the figure is the median wall
time of `--repeat` runs, and the ratio to the floor's median (target ≤ 2). Commands alternate with the floor
run by run, so a noisy neighbour slows both alike. It also says whether the process imported Prefect or
Alembic (it should import neither: `-X importtime`).

    .venv/bin/python benchmarks/bench_commands.py [--repeat 5]

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KPI6 = str(Path(sys.executable).parent / "kpi6")
EXAMPLES = ROOT / "deployments" / "examples"

FLOOR = [sys.executable, "-c", "import pydantic, sqlalchemy, yaml"]
COMMANDS = {
    "provinces": ["provinces"],
    "penalty": ["penalty", "--deadline", "2023-12-08", "--submitted", "2023-12-12"],
    "round show": ["round", "show", "2567-1"],
    "status": ["status", "--round", "2567-1"],
    "score": ["score", "--round", "2567-1"],
    "survey summary": ["survey", "summary", str(EXAMPLES / "survey-TH-50.csv"), "--round", "2567-1"],
    "topics": ["topics", str(EXAMPLES / "lpa-results-TH-50.csv"), "--province", "TH-50", "--round", "2567-1"],
}


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def imported(args: list[str], env: dict[str, str]) -> str:
    """Which of Prefect and Alembic the command's process imported."""
    probe = "import sys; from kpi6.cli import main; sys.argv = ['kpi6', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    return ", ".join(sorted(names & {"prefect", "alembic", "weasyprint"})) or "neither"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "KPI6_DATA_DIR": data, "PREFECT_HOME": str(Path(data) / "prefect")}
        subprocess.run([KPI6, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        for argv in [FLOOR, *([KPI6, *a] for a in COMMANDS.values())]:
            wall(argv, env)  # warm the file cache once
        print(f"{'command':16} {'median s':>9} {'floor s':>8} {'ratio':>6}  imports (Prefect? Alembic?)")
        ratios = []
        for name, cmd in COMMANDS.items():
            times, floors = [], []
            for _ in range(args.repeat):
                floors.append(wall(FLOOR, env))
                times.append(wall([KPI6, *cmd], env))
            t, f = statistics.median(times), statistics.median(floors)
            ratios.append(t / f)
            print(f"{name:16} {t:9.2f} {f:8.2f} {t / f:6.2f}  {imported(cmd, env)}")
        print(f"worst ratio {max(ratios):.2f} (target ≤ 2.00)")


if __name__ == "__main__":
    main()
