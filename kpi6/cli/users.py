"""`kpi6 users add | list | disable | enable | reset` (the portal's accounts) and `kpi6 web` (the portal)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from kpi6.cli.common import app, err, out, users_app
from kpi6.models.roles import Role

Email = Annotated[str, typer.Argument(help="The user's e-mail address (the sign-in name)")]


def _ready() -> str:
    """The database and its provinces; the actor the audit log names."""
    from kpi6.tasks.setup import default_actor, prepare_database

    actor = default_actor()
    prepare_database(None, actor=actor)
    return actor


@users_app.command("add")
def users_add(
    email: Email,
    role: Annotated[Role, typer.Option(help="office (one province), dla (every province) or admin (users)")],
    province: Annotated[str | None, typer.Option(help="The office's province (code, Thai or English name)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a link")
    ] = False,
) -> None:
    """Add a portal user; prints a one-time link (valid KPI6_PORTAL_LINK_HOURS, 72 h) where they set a password."""
    from kpi6.tasks.accounts import add_user, link_url
    from kpi6.tasks.adapters.notify import send_sign_in_link

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    now = datetime.now(UTC)
    user, token = add_user(email, role=role, province=province, actor=_ready(), now=now, password=password)
    where = f" · {user.province_code}" if user.province_code else ""
    out.print(f"added {user.email} · {user.role.value}{where}", highlight=False)
    if token:
        out.print(f"sign-in link (once, until {_hours_from(now)}): {link_url(token)}", highlight=False, soft_wrap=True)
        sent = send_sign_in_link(user.email, link_url(token))
        if sent:
            err.print(f"the link was also e-mailed to {user.email}", highlight=False)


def _hours_from(now: datetime) -> str:
    from datetime import timedelta

    from kpi6.models.calendar import BANGKOK
    from kpi6.settings import get_settings

    until = now + timedelta(hours=get_settings().portal_link_hours)
    return until.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M Bangkok")


@users_app.command("list")
def users_list() -> None:
    """Every portal user: role, province, whether a password is set, disabled."""
    from kpi6.tasks.accounts import list_users

    _ready()
    table = Table(title="portal users")
    for col in ("e-mail", "role", "province", "password", "state"):
        table.add_column(col)
    for u in list_users():
        table.add_row(
            u.email,
            u.role.value,
            u.province_code or "",
            "set" if u.has_password else "link sent",
            "disabled" if u.disabled else ("demo" if u.demo else "active"),
        )
    out.print(table)


@users_app.command("disable")
def users_disable(email: Email) -> None:
    """Disable a user: every session of theirs ends at once."""
    from kpi6.tasks.accounts import set_disabled

    user = set_disabled(email, disabled=True, actor=_ready(), now=datetime.now(UTC))
    out.print(f"{user.email} disabled; their sessions have ended", highlight=False)


@users_app.command("enable")
def users_enable(email: Email) -> None:
    """Enable a disabled user again."""
    from kpi6.tasks.accounts import set_disabled

    user = set_disabled(email, disabled=False, actor=_ready(), now=datetime.now(UTC))
    out.print(f"{user.email} enabled", highlight=False)


@users_app.command("reset")
def users_reset(email: Email) -> None:
    """Forget a user's password and sessions; prints a new one-time link."""
    from kpi6.tasks.accounts import link_url, reset_user
    from kpi6.tasks.adapters.notify import send_sign_in_link

    now = datetime.now(UTC)
    token = reset_user(email, actor=_ready(), now=now)
    out.print(f"sign-in link (once, until {_hours_from(now)}): {link_url(token)}", highlight=False, soft_wrap=True)
    if send_sign_in_link(email.strip().lower(), link_url(token)):
        err.print("the link was also e-mailed", highlight=False)


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 8000,
) -> None:
    """Serve the offices' portal (sign in with an account from `kpi6 users add`, or the demo's)."""
    import uvicorn

    from kpi6.web.app import create_app

    out.print(f"kpi6 portal on http://{host}:{port}/ (Ctrl-C stops it)", highlight=False)
    uvicorn.run(create_app(), host=host, port=port, log_level="warning", proxy_headers=False)
