"""How kpi6 runs Prefect, for every door (the CLI, the portal, the benchmarks): its logging, the ephemeral API's
batches and start-up timeout. Set before Prefect is imported: Prefect reads its settings once, at import."""

from __future__ import annotations

import os

# With these, a Prefect server on SQLite records task runs and events in batches; by default it writes each
# event in a transaction of its own. Some API calls read, then write, in one transaction; a commit of those
# services in between makes SQLite refuse the write ("database is locked"), the API answers 503 and Prefect's
# client tries again after 2 s, then 4 s, 8 s... (39 times in one national demo, 7 with batches). Task runs
# still reach the database within a second.
SQLITE_SERVER_BATCHES = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
}


def prefect_defaults(*, verbose: bool = False) -> None:
    """How the CLI runs Prefect, unless the environment says otherwise (the benchmark runs the same way).

    The clerk reads the result table: Prefect's INFO lines ("Finished in state Completed()") are left out of
    the terminal and the UI alike; states, artifacts, warnings and errors with tracebacks stay in the UI.
    The ephemeral API (no PREFECT_API_URL) runs with SQLITE_SERVER_BATCHES, and has recorded every task run
    when it stops; a server of DLA's own keeps its own settings."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    for name, value in SQLITE_SERVER_BATCHES.items():
        os.environ.setdefault(name, value)
    # Prefect waits 20 s for its ephemeral API to answer; on a busy 2-core machine starting it took longer,
    # and a clerk's `kpi6 run` died with a 60-line traceback.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(EPHEMERAL_STARTUP_SECONDS))


EPHEMERAL_STARTUP_SECONDS = 120
EPHEMERAL_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"
