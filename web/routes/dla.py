"""DLA's national table: every province's steps and score for the round, sortable and filtered."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from kpi6.models.db import StepState
from kpi6.models.national import Measure, ProvinceMap
from kpi6.models.round import RoundConfig
from kpi6.tasks.accounts import CurrentUser
from kpi6.tasks.national import national_view
from kpi6.web import pages
from kpi6.web.deps import dla_user, off_the_page_threads, output_dir, round_of, today

router = APIRouter()
SortKey = Literal["code", "name", "total", "penalty", "steps"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/dla", response_class=HTMLResponse, include_in_schema=False)
def national(
    request: Request,
    user: Annotated[CurrentUser, Depends(dla_user)],
    sort: SortKey = "code",
    desc: bool = False,
    late: Annotated[bool, Query()] = False,
    missing: Annotated[bool, Query()] = False,
    measure: Measure = Measure.total,
) -> HTMLResponse:
    view = national_view(round_of(request), as_of=today(request), measure=measure)
    rows = [(p, view.scores[p.code]) for p in view.status.provinces]
    if late:
        rows = [(p, s) for p, s in rows if s.late_reports]
    if missing:
        rows = [(p, s) for p, s in rows if any(o.state != StepState.done.value for o in p.steps)]
    keys = {
        "code": lambda r: r[0].code,
        "name": lambda r: r[0].name_th,
        "total": lambda r: r[1].total,
        "penalty": lambda r: r[1].penalty,
        "steps": lambda r: r[1].steps_done,
    }
    rows.sort(key=keys[sort], reverse=desc)
    return pages.render(
        request,
        "dla.html",
        status=view.status,
        rows=rows,
        sort=sort,
        desc=desc,
        late=late,
        missing=missing,
        measure=measure,
        measures=list(Measure),
        map_svg=_map(view.map),
    )


def _map(drawn: ProvinceMap) -> Markup:
    """The national report's map of a measure, inline (its text escaped by the renderer)."""
    from kpi6.tasks.render.maps import map_svg

    return Markup(map_svg(drawn))


@router.get("/dla/national.{ext}", include_in_schema=False)
async def national_report(
    request: Request, user: Annotated[CurrentUser, Depends(dla_user)], ext: Literal["pdf", "docx"]
) -> Response:
    """The round's national report as it stands now, as PDF or .docx (the same file as `kpi6 report national`)."""
    from kpi6.tasks.national import build_national_report, render_national
    from kpi6.tasks.setup import open_round

    def drawn() -> tuple[RoundConfig, bytes]:
        config = open_round(round_of(request))
        return config, render_national(build_national_report(config, as_of=today(request)), ext)

    config, data = await off_the_page_threads(drawn)
    media = {"pdf": "application/pdf", "docx": DOCX}[ext]
    name = f"national-{config.id}.{ext}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dla/forms.zip", include_in_schema=False)
async def forms_zip(request: Request, user: Annotated[CurrentUser, Depends(dla_user)]) -> FileResponse:
    """Every province's Form 1 and Form 2 (PDF and DOCX) of the round, in one zip."""
    import os
    import tempfile

    from kpi6.models.provinces import registry
    from kpi6.tasks.outputs import round_forms_zip

    def zipped() -> tuple[str, str]:
        round_id = round_of(request)  # a round file may be read: not in the event loop
        fd, name = tempfile.mkstemp(prefix="kpi6-forms-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as target:
                round_forms_zip(output_dir(), round_id, [p.code for p in registry().provinces], target)
        except BaseException:
            os.unlink(name)
            raise
        return round_id, name

    round_id, name = await off_the_page_threads(zipped)
    return FileResponse(
        name,
        media_type="application/zip",
        filename=f"kpi6-forms-{round_id}.zip",
        background=BackgroundTask(os.unlink, name),
    )
