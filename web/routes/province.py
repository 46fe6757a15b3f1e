"""A province's pages: its home (the five steps as a timeline, the score, files and evidence) and its JSON
twin. Every route takes `{code}` through `province_for`: another province's user gets 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kpi6.models.calendar import bangkok_date
from kpi6.models.provinces import Province
from kpi6.settings import get_settings
from kpi6.tasks.adapters.rounds import default_round_id
from kpi6.tasks.status import ProvinceView, province_view
from kpi6.web import pages
from kpi6.web.deps import User, now, province_for

router = APIRouter()
ThisProvince = Annotated[Province, Depends(province_for)]


def _view(request: Request, province: Province) -> ProvinceView:
    today = bangkok_date(now(request))
    round_id = default_round_id(today, get_settings().portal_round)
    return province_view(province.code, round_id, as_of=today, output_dir=_output_dir())


def _output_dir() -> str | None:
    settings = get_settings()
    return str(settings.output_dir) if settings.output_dir else None


@router.get("/provinces/{code}", response_class=HTMLResponse, include_in_schema=False)
def province_home(request: Request, province: ThisProvince) -> HTMLResponse:
    return pages.render(request, "province.html", view=_view(request, province))


@router.get("/api/provinces/{code}")
def province_api(request: Request, province: ThisProvince) -> ProvinceView:
    """What the province's home page shows: steps (number, deadline, state, working days late), score."""
    return _view(request, province)


@router.get("/api/openapi.json", include_in_schema=False)
def api_description(request: Request, user: User) -> JSONResponse:
    """The portal's API (OpenAPI), for signed-in users."""
    return JSONResponse(request.app.openapi())
