"""A province's step pages. Steps 3 and 5 (the reports): the form as it will be sent (its PDF inline), the
signer, and what submitting now costs; confirming starts the same `province-round` run as `kpi6 run --step`,
and the run's page shows its progress and result. Every route takes `{code}` through `province_for`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from kpi6.models.errors import Kpi6Error
from kpi6.models.inputs import ProvinceInputs, ReportInput, parse_inputs
from kpi6.models.provinces import Province
from kpi6.models.steps import numbers, spec
from kpi6.tasks.accounts import CurrentUser
from kpi6.tasks.status import ProvinceView
from kpi6.web import pages
from kpi6.web.deps import csrf_checked, now, off_the_page_threads, output_dir, province_for, round_of, utc_clock
from kpi6.web.messages import thai_message
from kpi6.web.routes.province import view_of
from kpi6.web.runs import PortalRun, Runs

router = APIRouter()
ThisProvince = Annotated[Province, Depends(province_for)]
Checked = Annotated[CurrentUser, Depends(csrf_checked)]
SignerField = Annotated[str, Form(max_length=1000)]  # checked by the report's model; the bound stops a flood


def _report_step(number: int) -> int:
    if number not in numbers() or spec(number).sends_form is None:
        raise HTTPException(404)
    return number


def _runs(request: Request) -> Runs:
    runs: Runs = request.app.state.runs
    return runs


def _report_input(signer_name: str, signer_position: str, number: int) -> ProvinceInputs:
    """The form's fields as the step's input, checked by the same model as an input file's (one line on error)."""
    key = spec(number).key
    return parse_inputs(
        {key: {"channel": "email", "signer_name": signer_name, "signer_position": signer_position}},
        source="แบบฟอร์ม",
    )


def report_page(request: Request, province: Province, number: int) -> HTMLResponse:
    """A report step's page (routes/work.py serves every step's page and calls this for steps 3 and 5)."""
    number = _report_step(number)
    view = view_of(request, province)
    step = next(s for s in view.steps if s.number == number)
    return pages.render(
        request, "step_report.html", view=view, step=step, error="", detail="", signer=_signer(view, number)
    )


def _signer(view: ProvinceView, number: int) -> tuple[str, str]:
    """The signer recorded with the report (a replacement starts from it), or two empty fields."""
    recorded = view.recorded_input(number)
    if isinstance(recorded, ReportInput):
        return recorded.signer_name, recorded.signer_position
    return "", ""


@router.get("/provinces/{code}/steps/{number}/preview.pdf", include_in_schema=False)
async def report_preview(request: Request, province: ThisProvince, number: int) -> Response:
    """The form as it would be sent now, without a signer: a PDF, nothing written or sent."""
    return await off_the_page_threads(_preview, request, province, number, "", "")


@router.post("/provinces/{code}/steps/{number}/preview.pdf", include_in_schema=False)
async def report_preview_signed(
    request: Request,
    province: ThisProvince,
    user: Checked,
    number: int,
    signer_name: SignerField = "",
    signer_position: SignerField = "",
) -> Response:
    """The same with the signer the office typed (posted with the page's CSRF token, never in a URL)."""
    return await off_the_page_threads(_preview, request, province, number, signer_name, signer_position)


def _preview(request: Request, province: Province, number: int, signer_name: str, signer_position: str) -> Response:
    from kpi6.tasks.reports import preview_report

    number = _report_step(number)
    inputs = _report_input(signer_name[:200], signer_position[:200], number)
    report = inputs.for_step(number)
    assert isinstance(report, ReportInput)
    try:
        pdf = preview_report(
            province.code, round_of(request), number, report, now=now(request), output_dir=output_dir()
        )
    except Kpi6Error as exc:
        message, detail = thai_message(exc)
        return pages.render(request, "error.html", status_code=409, message=f"{message} ({detail})")
    # shown in the step page's frame: this response alone may be framed, by the portal's own pages
    framing = {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"}
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline", **framing})


@router.post("/provinces/{code}/steps/{number}", include_in_schema=False)
def report_submit(
    request: Request,
    province: ThisProvince,
    user: Checked,
    number: int,
    signer_name: SignerField = "",
    signer_position: SignerField = "",
    replace: Annotated[bool, Form()] = False,
) -> Response:
    number = _report_step(number)
    try:
        inputs = _report_input(signer_name, signer_position, number)
    except Kpi6Error as exc:
        view = view_of(request, province)
        step = next(s for s in view.steps if s.number == number)
        message, detail = thai_message(exc)
        return pages.render(
            request,
            "step_report.html",
            status_code=400,
            view=view,
            step=step,
            error=message,
            detail=detail,
            signer=(signer_name[:200], signer_position[:200]),
        )
    return launch(request, province, user, number, inputs, replace=replace)


def launch(
    request: Request, province: Province, user: CurrentUser, number: int, inputs: ProvinceInputs, *, replace: bool
) -> Response:
    """Start the step's `province-round` run as the signed-in user (`replace`: the audited forced re-run of a step
    done already) and send the browser to the run's page."""
    simulated = request.app.state.clock is not utc_clock  # a portal on a clock of its own (tests, a demo)
    run = _runs(request).start(
        province=province.code,
        round_id=round_of(request),
        step=number,
        inputs=inputs,
        actor=user.email,
        force=replace,
        now=now(request) if simulated else None,
    )
    return RedirectResponse(f"/provinces/{province.code}/runs/{run.id}", status_code=303)


def _run_of(request: Request, province: Province, run_id: str) -> PortalRun:
    run = _runs(request).get(run_id)
    if run is None or run.province_code != province.code:
        raise HTTPException(404)
    return run


@router.get("/provinces/{code}/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(request: Request, province: ThisProvince, run_id: str) -> HTMLResponse:
    return pages.render(request, "run.html", run=_run_of(request, province, run_id), province=province)


@router.get("/provinces/{code}/runs/{run_id}/state", response_class=HTMLResponse, include_in_schema=False)
def run_state(request: Request, province: ThisProvince, run_id: str) -> HTMLResponse:
    """The run's state as a fragment, which htmx swaps in every two seconds until the run ends."""
    run = _run_of(request, province, run_id)
    seconds = (datetime.now(UTC) - run.started_at).total_seconds()
    return pages.render(request, "run_state.html", run=run, province=province, seconds=int(seconds))
