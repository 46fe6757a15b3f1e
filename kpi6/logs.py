"""What of Prefect's logging and background work the `kpi6` command lets reach the clerk's terminal, and how it
ends Prefect's work before the process exits.

- A kpi6 error (Kpi6Error: an input refused inside the flow, a mail server refusing...) is the clerk's to fix, and
  the CLI prints it as one line. Prefect's engines report it first, with the task's and the flow's tracebacks;
  `HideUserErrors` keeps those reports off the terminal's console handlers only: Prefect's API handler still
  sends them to the UI, `kpi6 -v` shows them, and any other exception (a bug) still shows its traceback.
- At the end of a command, `settle_prefect` sends what Prefect's client still holds (events, logs) while the API
  is up and, on the ephemeral API, waits until its task-run recorder has written the task runs: stopped while
  that recorder is writing a batch, the server logged "Error flushing N events" with a traceback on the
  terminal (3 of about 120 runs), although it wrote the batch again on its way out.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

from kpi6.models.errors import Kpi6Error

# The loggers Prefect's flow and task engines report runs on (prefect.logging.loggers.flow_run_logger/task_run_logger).
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")

SETTLE_TIMEOUT_S = 15.0  # at most this long at the end of a command; then the process exits as before
DELIVERY_S = 0.25  # an event the client emits reaches the server within this (the same machine)
PAGE = 200  # the API's default limit per read


class HideUserErrors(logging.Filter):
    """For a console handler: drops the engines' report of a Kpi6Error — the record that carries it as exc_info
    ("Task run failed with exception: InputError(...)", "Encountered exception during execution: ...") and the
    same run's "Finished in state Failed(...)" that follows. Every other record passes."""

    def __init__(self) -> None:
        super().__init__("kpi6.hide-user-errors")
        self._runs: set[tuple[str, str]] = set()  # the task and flow runs that failed with a Kpi6Error

    @staticmethod
    def _run(record: logging.LogRecord) -> tuple[str, str] | None:
        if task_run_id := getattr(record, "task_run_id", None):
            return ("task", str(task_run_id))
        if flow_run_id := getattr(record, "flow_run_id", None):
            return ("flow", str(flow_run_id))
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        run = self._run(record)
        if isinstance(exc, Kpi6Error):
            if run:
                self._runs.add(run)
            return False
        return not (run in self._runs and str(record.msg).startswith("Finished in state"))


_HIDE = HideUserErrors()


def _console_handlers() -> list[logging.Handler]:
    """Prefect's console handlers (root, uvicorn, fastapi...): every PrefectConsoleHandler configured."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [
        logging.getLogger(),
        *(x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger)),
    ]
    return [h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)]


def install_console_filter() -> int:
    """Put HideUserErrors on Prefect's console handlers (once each); how many now have it."""
    handlers = _console_handlers()
    for handler in handlers:
        if _HIDE not in handler.filters:
            handler.addFilter(_HIDE)
    return len(handlers)


def console_for_this_command(*, verbose: bool) -> None:
    """Prefect's console handlers, when Prefect was imported before this command began: pointed at this command's
    standard error and, unless verbose, showing warnings and errors only, as PREFECT_LOGGING_LEVEL does for a
    command that imports Prefect itself (`runtime.prefect_defaults`). Prefect binds its handlers to the stream of
    the moment it was imported; a process running several commands with their own streams (typer's CliRunner,
    a program embedding kpi6) would otherwise write into one since closed ("I/O operation on closed file")."""
    for handler in _console_handlers():
        if isinstance(handler, logging.StreamHandler) and handler.stream is not sys.stderr:
            handler.stream = sys.stderr  # not setStream: it flushes the old stream, which may be closed
            console = getattr(handler, "console", None)
            if console is not None:
                console.file = sys.stderr
        handler.setLevel(logging.NOTSET if verbose else logging.WARNING)


class _InstallOnFirstRecord(logging.Filter):
    """On the run loggers: Prefect builds its console handlers when it is imported, after the CLI's options are
    read; the first record a run logger handles installs the console filter (and checks again after a logging
    reconfiguration), before the handlers see it. Passes every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "prefect.logging.handlers" in sys.modules:
            install_console_filter()
        return True


_INSTALLER = _InstallOnFirstRecord("kpi6.install-console-filter")


def quiet_user_errors_on_console(quiet: bool = True) -> None:  # noqa: FBT001, FBT002
    """Keep Prefect's tracebacks of kpi6 errors off the terminal from now on (`quiet=False`, as with `kpi6 -v`:
    show them again), without importing Prefect: a command that runs no flow does not pay for it. Prefect's
    logging configuration keeps the filters a logger already has."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if quiet and _INSTALLER not in logger.filters:
            logger.addFilter(_INSTALLER)
        elif not quiet:
            logger.removeFilter(_INSTALLER)
    if "prefect.logging.handlers" not in sys.modules:
        return
    console_for_this_command(verbose=not quiet)
    if quiet:
        install_console_filter()
    else:
        for handler in _console_handlers():
            handler.removeFilter(_HIDE)


def _ephemeral_api_running() -> bool:
    """Whether this process started the temporary API server (no PREFECT_API_URL) and it is running."""
    server_module = sys.modules.get("prefect.server.api.server")
    if server_module is None:
        return False
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:  # a server of its own (DLA's, or the test harness's) keeps running
        return False
    return any(
        server.running and server.server_process is not None and server.server_process.poll() is None
        for server in list(server_module.SubprocessASGIServer._instances.values())
    )


def drain_prefect_client(timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Send the events and log records Prefect's client still queues, now, while the API answers."""
    if "prefect.events.worker" not in sys.modules:
        return  # nothing was emitted in this process
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


def wait_for_task_runs_recorded(since: datetime, timeout: float = SETTLE_TIMEOUT_S) -> float:
    """Wait until the ephemeral server has written the task runs of the flow runs started since `since`, once the
    client has sent their events (drain_prefect_client); the seconds waited.

    The server's task-run recorder writes what it received once per flush interval (SQLITE_SERVER_BATCHES: 1 s),
    stamping each task run it writes with the time it formed the batch (`updated`). The runs are written when
    every one is in a final state and the last batch was formed after the client had sent everything: just after
    this wait began, or more than DELIVERY_S after the last flow run ended (a flow run ends once its tasks have
    emitted their events). When no batch comes for two flush intervals, nothing was left to write."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterStartTime
    from prefect.settings import get_current_settings

    started, sent = time.monotonic(), datetime.now(UTC)
    quiet = 2 * max(1.0, float(get_current_settings().server.services.task_run_recorder.flush_interval))
    with get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)), limit=PAGE
        )
        if not flow_runs:
            return 0.0
        ended = max((fr.end_time or fr.updated or sent) for fr in flow_runs)
        ours = FlowRunFilter(id=FlowRunFilterId(any_=[fr.id for fr in flow_runs]))
        while time.monotonic() - started < min(timeout, quiet):
            task_runs, offset = [], 0
            while page := client.read_task_runs(flow_run_filter=ours, limit=PAGE, offset=offset):
                task_runs += page
                offset += len(page)
                if len(page) < PAGE:
                    break
            last_batch = max((tr.updated for tr in task_runs if tr.updated), default=None)
            if last_batch and all(tr.state and tr.state.is_final() for tr in task_runs):
                after_sent, after_end = (last_batch - sent).total_seconds(), (last_batch - ended).total_seconds()
                if after_sent > 0.05 or after_end > DELIVERY_S:
                    break
            time.sleep(0.2)
    return time.monotonic() - started


def settle_prefect(since: datetime | None = None) -> None:
    """At the end of a command: Prefect's client sends what it holds and, on the ephemeral API, the server has
    written every task run before the process exits and stops it. Never raises: the command's own outcome
    (its table, or its one error line) is what the clerk must see."""
    if "prefect" not in sys.modules:
        return
    try:
        ephemeral = _ephemeral_api_running()
        drain_prefect_client()
        if ephemeral:
            wait_for_task_runs_recorded(since or PROCESS_STARTED)
    except Exception as exc:
        logging.getLogger("kpi6").debug("could not settle Prefect before exit: %s", exc)


PROCESS_STARTED = datetime.now(UTC)  # kpi6.cli imports this module as a command starts
