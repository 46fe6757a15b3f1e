"""Tag-based concurrency limits at the network edges.

Inside a Prefect run, each e-mail send runs as a task tagged `smtp` and each Google Drive upload as a task
tagged `drive`, so a limit created once on the server (`prefect concurrency-limit create smtp 2`) caps them
across every worker and province run. Outside a run (a plain function call) they just run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext

SMTP_TAG = "smtp"
DRIVE_TAG = "drive"

P = ParamSpec("P")
R = TypeVar("R")


def limited(tag: str, fn: Callable[P, R], name: str | None = None) -> Callable[P, R]:
    """`fn` as a task tagged `tag` when called inside a flow or task run; `fn` itself otherwise."""
    as_task = task(fn, name=name or fn.__name__, tags=[tag], cache_policy=NO_CACHE, persist_result=False)

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if FlowRunContext.get() is None and TaskRunContext.get() is None:
            return fn(*args, **kwargs)
        return as_task(*args, **kwargs)

    return call
