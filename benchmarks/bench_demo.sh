#!/usr/bin/env bash
# Benchmark: the national demo end to end on the embedded defaults, and Prefect's start-up alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export KPI6_DATA_DIR="$(mktemp -d)"
t0=$(date +%s.%N)
.venv/bin/python -c "
from prefect import flow
@flow
def noop(): return 1
noop()" >/dev/null 2>&1
t1=$(date +%s.%N)
.venv/bin/kpi6 demo --out "$KPI6_DATA_DIR/out" >/dev/null
t2=$(date +%s.%N)
echo "prefect ephemeral start-up + one empty flow: $(echo "$t1 - $t0" | bc) s"
echo "kpi6 demo (76 provinces): $(echo "$t2 - $t1" | bc) s"
