"""A province's pages: its home (the five steps as a timeline, the score, files and evidence) and its JSON
twin. Every route takes `{code}` through `province_for`: another province's user gets 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kpi6.models.provinces import Province
from kpi6.tasks.status import ProvinceView, province_view
from kpi6.web import pages
from kpi6.web.deps import User, output_dir, province_for, round_of, today

router = APIRouter()
ThisProvince = Annotated[Province, Depends(province_for)]


def view_of(request: Request, province: Province) -> ProvinceView:
    """The province as of the portal's day, in the round it shows."""
    return province_view(province.code, round_of(request), as_of=today(request), output_dir=output_dir())


@router.get("/provinces/{code}", response_class=HTMLResponse, include_in_schema=False)
def province_home(request: Request, province: ThisProvince) -> HTMLResponse:
    return pages.render(request, "province.html", view=view_of(request, province))


@router.get("/api/provinces/{code}")
def province_api(request: Request, province: ThisProvince) -> ProvinceView:
    """What the province's home page shows: steps (number, deadline, state, working days late), score."""
    return view_of(request, province)


@router.get("/api/openapi.json", include_in_schema=False)
def api_description(request: Request, user: User) -> JSONResponse:
    """The portal's API (OpenAPI), for signed-in users."""
    return JSONResponse(request.app.openapi())
