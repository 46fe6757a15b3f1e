"""Rendering on every core: documents drawn in worker processes while a run's threads wait for them.

WeasyPrint and python-docx are CPU-bound Python; the national demo's province runs are threads of one process, so
under the GIL they drew one document at a time on a 2-core machine. Inside `rendering_processes(n)`, `render_all`
hands each document to one of n worker processes (spawned, not forked: the parent runs Prefect's threads) and
waits; outside it, it draws them here, one after the other, as a single province's run always has. A renderer
given to it is a module-level function of `tasks/render/` (the workers import it by name) and its arguments are
pydantic models, which pickle.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _warm() -> None:
    """A worker's first task: load the renderers and the Thai font, so the first document is not slower."""
    from kpi6.tasks.render import documents  # noqa: F401


@contextmanager
def rendering_processes(processes: int) -> Iterator[None]:
    """Render in `processes` worker processes until the block ends (then they are stopped); 0 or 1: here."""
    global _pool
    if processes <= 1:
        yield
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    try:
        for future in [pool.submit(_warm) for _ in range(processes)]:
            future.result()
        with _lock:
            _pool = pool
        yield
    finally:
        with _lock:
            _pool = None
        pool.shutdown(wait=True, cancel_futures=True)


def render_all(calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    """Each `(renderer, args)` drawn, in order: in the worker processes when `rendering_processes` is open (all at
    once), else here. A renderer's error is raised here, as if it had been called directly."""
    with _lock:
        pool = _pool
    if pool is None:
        return [fn(*args) for fn, args in calls]
    futures: list[Future[Any]] = [pool.submit(fn, *args) for fn, args in calls]
    return [f.result() for f in futures]
