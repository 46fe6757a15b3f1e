"""Issue 18, goal 2: one province's round as a clerk runs it (`kpi6 run`, a new process), beside Prefect's floor.

Against a running `prefect server` on loopback (PREFECT_API_URL), then on Prefect's ephemeral API (no URL):
- all five steps of the example province (deployments/examples/province-input.yaml), on a fresh database;
- the same command again, with nothing to do (every step unchanged);
- the floor: a flow of as many empty tasks as the run has (8), in a new process against the same API: what any
  Prefect command of this shape pays (interpreter, Prefect's import, the run's API round trips).
- the same two runs in one warm process (the portal's way: `kpi6 web` keeps one; it has run a province's round
  before, on another database), on a fresh database.
Targets with a server: no-op ≤ 2 s, five steps ≤ 5 s. Median of `--repeat` (a fresh database for each five-step
run). Where the time of a run goes (start-up, preparation, each task) is printed with `--profile`.

    .venv/bin/python benchmarks/bench_province.py [--repeat 3] [--profile]

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "deployments" / "examples" / "province-input.yaml"
RUN = [str(BIN / "kpi6"), "run", "--province", "TH-50", "--round", "2567-1", "--input", str(EXAMPLE)]
FLOOR = """
from prefect import flow, task
@task
def nothing(i): return i
@flow
def floor():
    for i in range(8):
        nothing(i)
floor()
"""


WARM = """
import json, os, sys, time
from kpi6.cli.inputs import read_input_file
from kpi6.flows.run import run_province
from kpi6.settings import get_settings
from kpi6.tasks.adapters.database import dispose

inputs = read_input_file(__import__("pathlib").Path(sys.argv[1]))
def run(data):
    os.environ["KPI6_DATA_DIR"] = data
    get_settings.cache_clear()
    start = time.perf_counter()
    run_province("TH-50", "2567-1", inputs=inputs, output_dir=data + "/out")
    return time.perf_counter() - start
run(sys.argv[2])  # the warm-up: every module, template and font loaded, the API's client connected
dispose()
five = run(sys.argv[3])
print(json.dumps({"five": five, "noop": run(sys.argv[3])}))
"""


def warm(env: dict[str, str], data: Path, repeat: int) -> dict[str, float]:
    fives, noops = [], []
    for _ in range(repeat):
        shutil.rmtree(data, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-c", WARM, str(EXAMPLE), str(data / "warm-up"), str(data / "fresh")],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"the warm process failed: {done.stderr[-2000:]}")
        times = json.loads(done.stdout.strip().splitlines()[-1])
        fives.append(times["five"])
        noops.append(times["noop"])
    return {"five": statistics.median(fives), "noop": statistics.median(noops)}


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{argv[1:3]} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def measure(env: dict[str, str], data: Path, repeat: int) -> dict[str, float]:
    floors, full, noop = [], [], []
    for _ in range(repeat):
        shutil.rmtree(data, ignore_errors=True)
        floors.append(timed([sys.executable, "-c", FLOOR], env))
        full.append(timed([*RUN, "--out", str(data / "out")], env))
        noop.append(timed([*RUN, "--out", str(data / "out")], env))
    return {"floor": statistics.median(floors), "five": statistics.median(full), "noop": statistics.median(noop)}


def report(name: str, m: dict[str, float], targets: tuple[float, float] | None, w: dict[str, float]) -> None:
    print(f"{name}:")
    print(f"  Prefect floor (8 empty tasks)  {m['floor']:6.2f} s")
    for key, label, target in (("five", "all five steps", 5.0), ("noop", "no-op re-run", 2.0)):
        aim = f"  (target ≤ {target:.0f} s: {'met' if m[key] <= target else 'missed'})" if targets else ""
        print(f"  {label:30} {m[key]:6.2f} s  {m[key] / m['floor']:.2f}× floor{aim}")
    for key, label, target in (("five", "all five steps", 5.0), ("noop", "no-op re-run", 2.0)):
        aim = f"  (target ≤ {target:.0f} s: {'met' if w[key] <= target else 'missed'})" if targets else ""
        print(f"  {label + ', warm process':30} {w[key]:6.2f} s{aim}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one no-op run on the server")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpi6-bench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KPI6_"))}
    base.update(KPI6_DATA_DIR=str(tmp / "data"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_env = {**base, "PREFECT_HOME": str(tmp / "prefect"), "PREFECT_API_URL": api}
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"{api}/health", "the Prefect server")
        report(
            "with a Prefect server (PREFECT_API_URL)",
            measure(server_env, tmp / "data", args.repeat),
            (5, 2),
            warm(server_env, tmp / "data", args.repeat),
        )
        if args.profile:
            out = tmp / "noop.prof"
            subprocess.run(
                [sys.executable, "-m", "cProfile", "-o", str(out), *RUN[:1], *RUN[1:], "--out", str(tmp / "data/out")],
                env=server_env,
                capture_output=True,
                cwd=ROOT,
                check=False,
            )
            import pstats

            pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ephemeral_env = {**base, "PREFECT_HOME": str(tmp / "prefect-ephemeral")}
    report(
        "on Prefect's ephemeral API (no PREFECT_API_URL)",
        measure(ephemeral_env, tmp / "data", args.repeat),
        None,
        warm(ephemeral_env, tmp / "data", args.repeat),
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
