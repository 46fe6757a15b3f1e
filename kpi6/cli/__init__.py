"""The `kpi6` command: what a DLA officer or a provincial clerk types. One module per command group; each
parses, calls the core (flows/ and tasks/) and presents what it returns. Errors exit with code 2.

No module here imports Prefect at its top: `kpi6.runtime.prefect_defaults` must run first (see common.py)."""

from __future__ import annotations

from kpi6.cli import database, delivery, demo, reference, remind, report, run, score, status, survey, topics, users
from kpi6.cli.common import app
from kpi6.cli.inputs import INPUT_FILE_MAX_MB, read_input_file
from kpi6.runtime import SQLITE_SERVER_BATCHES, prefect_defaults

COMMAND_MODULES = (database, reference, run, score, report, status, remind, topics, survey, delivery, demo, users)


def main() -> None:
    app(prog_name="kpi6")


__all__ = [
    "COMMAND_MODULES",
    "INPUT_FILE_MAX_MB",
    "SQLITE_SERVER_BATCHES",
    "app",
    "main",
    "prefect_defaults",
    "read_input_file",
]
