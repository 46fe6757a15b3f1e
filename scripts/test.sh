#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL must answer at 127.0.0.1:5432 (started here when it does not).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh
exec .venv/bin/python -m pytest "$@"
