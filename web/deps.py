"""What every route declares. Authorization lives here, never in a handler's body, so a test can walk the
app's routes and prove each one that takes `{code}` declares `province_for` (tests/web/test_access.py)."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Form, HTTPException, Request

from kpi6.models.calendar import bangkok_date
from kpi6.models.errors import Kpi6Error
from kpi6.models.provinces import Province, registry
from kpi6.models.roles import Role
from kpi6.tasks.accounts import CurrentUser, session_user

T = TypeVar("T")
SESSION_COOKIE = "kpi6_session"
CSRF_HEADER = "X-CSRF-Token"


class SignInNeeded(Exception):
    """No live session: a page answers 303 to /login, the API 401."""


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def current_user(request: Request) -> CurrentUser:
    """The signed-in user, or SignInNeeded. Checked on every request: a disabled user's sessions are gone."""
    user = session_user(request.cookies.get(SESSION_COOKIE, ""), now=now(request))
    if user is None:
        raise SignInNeeded
    request.state.user = user
    return user


User = Annotated[CurrentUser, Depends(current_user)]


def province_for(code: str, user: User) -> Province:
    """The province of `{code}` if this user may see it: its own office, or DLA. Otherwise 404, as if it did
    not exist (an office learns nothing of another province, not even that its page is there)."""
    try:
        province = registry().get(code)
    except Kpi6Error:
        raise HTTPException(404) from None
    if province.code != code or not user.may_see(province.code):
        raise HTTPException(404)
    return province


def dla_user(user: User) -> CurrentUser:
    """A DLA (or admin) user; anyone else gets 404."""
    if user.role not in (Role.dla, Role.admin):
        raise HTTPException(404)
    return user


async def csrf_checked(request: Request, user: User, csrf: Annotated[str, Form()] = "") -> CurrentUser:
    """A POST carries the session's CSRF token, in the form or in htmx's header: otherwise 403."""
    if not csrf_matches(user, request.headers.get(CSRF_HEADER) or csrf):
        raise HTTPException(403, "CSRF token missing or wrong")
    return user


def csrf_matches(user: CurrentUser, given: str) -> bool:
    """The session's CSRF token, compared in constant time (a form with files checks it after reading them)."""
    return bool(given) and secrets.compare_digest(given.encode(), user.csrf.encode())


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def utc_clock() -> datetime:
    return datetime.now(UTC)


def today(request: Request) -> date:
    """The portal's day, in Bangkok."""
    return bangkok_date(now(request))


def round_of(request: Request) -> str:
    """The round the portal shows: KPI6_PORTAL_ROUND, else the round of today, else the latest."""
    from kpi6.settings import get_settings
    from kpi6.tasks.adapters.rounds import default_round_id

    return default_round_id(today(request), get_settings().portal_round)


def output_dir() -> str | None:
    """Where the runs write forms and media (KPI6_OUTPUT_DIR; default the data folder)."""
    from kpi6.settings import get_settings

    out = get_settings().output_dir
    return str(out) if out else None


# Work of a second or more (a document drawn for a preview or DLA's report, every province's forms zipped) runs in
# threads of its own, so the page threads (KPI6_PORTAL_THREADS, two by default) stay free for pages meanwhile.
HEAVY_THREADS = 2
_heavy: RunVar[CapacityLimiter] = RunVar("kpi6_heavy_work")


async def off_the_page_threads(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in one of the HEAVY_THREADS threads of the event loop (waiting its turn there)."""
    try:
        limiter = _heavy.get()
    except LookupError:
        limiter = CapacityLimiter(HEAVY_THREADS)
        _heavy.set(limiter)
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)
