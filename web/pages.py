"""The portal's one Jinja environment (autoescape on, undefined variables an error), shared with nothing that
renders PDFs, and the Thai formatting its pages use."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kpi6.models.calendar import BANGKOK
from kpi6.models.text import evidence_addresses
from kpi6.models.thai import STATE_TH, thai_date, thai_digits, thai_number

HERE = Path(__file__).resolve().parent
env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _be_date(value: date | datetime | None, short: bool = False) -> str:  # noqa: FBT001, FBT002
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(BANGKOK)
        return f"{thai_date(local.date(), short=short)} เวลา {thai_digits(local.strftime('%H.%M'))} น."
    return thai_date(value, short=short)


def _num(value: Decimal | float | int, decimals: int = 0) -> str:
    return thai_number(Decimal(str(value)), decimals=decimals)


env.filters["be_date"] = _be_date
env.filters["evidence_links"] = evidence_addresses
env.filters["th_num"] = _num
env.filters["th_digits"] = thai_digits
env.globals["STATE_TH"] = STATE_TH


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the request's user (if signed in) and CSRF token."""
    user = getattr(request.state, "user", None)
    html = env.get_template(template).render(request=request, user=user, **context)
    return HTMLResponse(html, status_code=status_code)


def warm() -> None:
    """At start: every page template compiled, and DLA's map ready to draw (its module imported, the provinces'
    names measured), so the first visit of a page after a restart does not pay for them."""
    import kpi6.tasks.national  # noqa: F401
    from kpi6.tasks.render.maps import measure_names

    measure_names()
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
