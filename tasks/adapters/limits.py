"""Tag-based concurrency limits at the network edges.

Inside a Prefect run, each message sent to a mail server (`SmtpTransport`) holds a slot of the `smtp` tag's
limit and each Google Drive upload a slot of the `drive` tag's (the outbox folder and the local evidence
folder take none), so a limit created once on the server (`prefect concurrency-limit create smtp 2`)
caps them across every worker and province run. Prefect keeps a tag's limit as the concurrency limit named
`tag:<tag>`, the one its task engine takes for tagged tasks. Without a limit, or outside a run, calls just run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import ParamSpec, TypeVar


def _slot(name: str) -> AbstractContextManager[None]:
    try:  # the form Prefect's task engine uses for tag limits: no warning per call when a tag has no limit
        from prefect.concurrency._sync import concurrency
    except ImportError:  # pragma: no cover - a later Prefect without the private module
        from prefect.concurrency.sync import concurrency as public

        return public(name, occupy=1, strict=False, lease_duration=600, raise_on_lease_renewal_failure=False)
    return concurrency(
        name, occupy=1, strict=False, lease_duration=600, suppress_warnings=True, raise_on_lease_renewal_failure=False
    )


def _in_a_run() -> bool:
    """Inside a Prefect flow or task run. Prefect is imported only for the question: a process that has not
    imported it (a read-only command) is in no run, and stays free of its 2.6 s import."""
    if "prefect.context" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


SMTP_TAG = "smtp"
DRIVE_TAG = "drive"

P = ParamSpec("P")
R = TypeVar("R")


def limited(tag: str, fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, holding one slot of the tag's concurrency limit while it runs inside a flow or task run."""

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if not _in_a_run():
            return fn(*args, **kwargs)
        with _slot(f"tag:{tag}"):
            return fn(*args, **kwargs)

    return call


@contextmanager
def untagged_tasks() -> Iterator[None]:
    """Task runs started inside carry no tags; the flow run keeps the ones it was created with.

    Prefect's task engine asks the API for the concurrency slots of every tag a task run carries, limit or
    not: with `province:`, `round:` and `step:` inherited from the caller's `tags()`, that was a round trip
    per task (0.1 s on the ephemeral API). DLA filters flow runs by tag; the limits that matter (`smtp`,
    `drive`) are taken around the sends themselves (`limited` above)."""
    from prefect.context import TagsContext

    with TagsContext(current_tags=set()):
        yield
