"""Steps 3 and 5: Form 1 and Form 2 (.docx and .pdf) from what the database recorded, written, stored and,
for `channel: email`, sent to DLA once (tasks/delivery.py); the server's acceptance is the submission time."""

from __future__ import annotations

from datetime import date, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.calendar import bangkok_date
from kpi6.models.db import StepProgress, StepState
from kpi6.models.errors import StepOrderError
from kpi6.models.forms import (
    Form1Context,
    Form2Context,
    build_form1,
    build_form2,
    evidence_qrs,
    office_name,
)
from kpi6.models.inputs import (
    DisseminationInput,
    MediaSetInput,
    PlanInput,
    ReportInput,
)
from kpi6.models.rules import check_report_time, validate_step
from kpi6.models.thai import thai_digits
from kpi6.settings import get_settings
from kpi6.tasks import delivery
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.evidence import folder_parts
from kpi6.tasks.adapters.mail import Report, Sent, attachment_name, sender_address, transport_from_settings
from kpi6.tasks.outputs import evidence_store, output_root, province_folder, write_files
from kpi6.tasks.render.documents import render_form_docx, render_form_pdf
from kpi6.tasks.run import RunContext, record_step


@task(cache_policy=NO_CACHE)
def report_form1(ctx: RunContext, report: ReportInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 3: produce Form 1 (.docx and .pdf) and record the report's submission to DLA."""
    return report_step(ctx, 3, report, force=force)


@task(cache_policy=NO_CACHE)
def report_form2(ctx: RunContext, report: ReportInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 5: produce Form 2 (.docx and .pdf) and record the report's submission to DLA."""
    return report_step(ctx, 5, report, force=force)


def report_step(ctx: RunContext, step: int, report: ReportInput, *, force: bool) -> bool:
    """Steps 3 and 5: render the form, write and store it, send it once (for e-mail) and record it; the
    server's acceptance time becomes the submission time."""
    form = ctx.config.step(step).form or 0
    result = validate_step(ctx.config, step, report, now=ctx.now)
    with session_scope() as session:  # the version this run saw last: a version recorded meanwhile stops it
        seen = repository.recorded_version(
            session=session, province_code=ctx.province.code, round_id=ctx.config.id, form=form
        )
    after = seen if force else 0  # a run that is not a resubmission sends version 1 or nothing
    report_at = report_moment(ctx, form, report, result.completed_at)
    produce = form1_files if form == 1 else form2_files
    files, links = produce(ctx, report, report_at)
    result.file_hashes, sent = deliver_report(ctx, form, files, links, report, after_version=after)
    if sent is not None:
        result.completed_at, result.message_id, result.version = sent.sent_at, sent.message_id, after + 1
    return record_step(ctx, result, force=force)


def _done_rows(ctx: RunContext, steps: list[int], report_step: int, report_at: datetime) -> dict[int, StepProgress]:
    """The steps a report is on, each done, and the steps it needs done before the report's time."""
    with session_scope() as session:
        rows = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        for row in rows.values():
            session.expunge(row)
    missing = [n for n in steps if n not in rows or rows[n].state != StepState.done.value]
    if missing:
        raise StepOrderError(f"the report needs step(s) {', '.join(map(str, missing))} done first")
    check_report_time(
        ctx.config,
        report_step,
        report_at,
        {n: r.completed_at for n, r in rows.items() if r.state == StepState.done.value and r.completed_at},
    )
    return rows


def _done_dates(rows: dict[int, StepProgress], steps: list[int]) -> dict[int, date]:
    return {n: bangkok_date(rows[n].completed_at) for n in steps if rows[n].completed_at}


Links = list[tuple[str, str]]  # (label, link) of a form's evidence fields, as its e-mail lists them


def _rendered(name: str, form: Form1Context | Form2Context) -> tuple[dict[str, bytes], Links]:
    """The form's .pdf and .docx, and its evidence links (the ones its QR codes encode)."""
    titles = {m.qr.url: m.title for m in form.media} if isinstance(form, Form1Context) else {}
    links = [(f"{q.label}: {titles[q.url]}" if q.url in titles else q.label, q.url) for q in evidence_qrs(form)]
    return {f"{name}.pdf": render_form_pdf(form), f"{name}.docx": render_form_docx(form)}, links


def _folder_link(ctx: RunContext, field: str) -> str:
    return evidence_store(ctx.output_dir).folder_link(folder_parts(ctx.config.id, ctx.province.code, field))


def form1_files(ctx: RunContext, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:
    """Form 1 (.docx and .pdf) from the recorded plan and media, and the evidence links it shows."""
    rows = _done_rows(ctx, [1, 2], 3, report_at)
    report_day = bangkok_date(report_at)
    plan_link = rows[1].evidence[0] if rows[1].evidence else _folder_link(ctx, "plan")
    form = build_form1(
        province=ctx.province,
        config=ctx.config,
        plan=PlanInput.model_validate(rows[1].inputs),
        media=MediaSetInput.model_validate(rows[2].inputs),
        report=report,
        plan_link=plan_link,
        done=_done_dates(rows, [1, 2]),
        report_day=report_day,
    )
    return _rendered("form1", form)


def form2_files(ctx: RunContext, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:
    """Form 2 (.docx and .pdf) from the recorded dissemination and survey, and the evidence links it shows."""
    rows = _done_rows(ctx, [4], 5, report_at)
    report_day = bangkok_date(report_at)
    links = rows[4].evidence
    form = build_form2(
        province=ctx.province,
        config=ctx.config,
        dissemination=DisseminationInput.model_validate(rows[4].inputs),
        report=report,
        dissemination_link=links[0] if links else _folder_link(ctx, "dissemination"),
        survey_link=links[1] if len(links) > 1 else _folder_link(ctx, "survey"),
        done=_done_dates(rows, [4]),
        report_day=report_day,
    )
    return _rendered("form2", form)


def report_moment(ctx: RunContext, form: int, report: ReportInput, completed_at: datetime) -> datetime:
    """The moment a report is dated: an e-mail an earlier run claimed keeps that run's Date (a resend is the
    same message); otherwise the submission time."""
    if report.channel == "email":
        row = delivery.pending(province_code=ctx.province.code, round_id=ctx.config.id, form=form)
        if row is not None:
            return row.message_date
    return completed_at


def deliver_report(
    ctx: RunContext,
    form: int,
    files: dict[str, bytes],
    links: Links,
    report: ReportInput,
    *,
    after_version: int,
) -> tuple[dict[str, str], Sent | None]:
    """Write the form's files, put them in the evidence store and, for `channel: email`, send them once as the
    version after `after_version` (see tasks/delivery.py).

    Returns the files' SHA-256 and what was sent (None when the office sent the report itself)."""
    folder = province_folder(ctx.output_dir, ctx.config.id, ctx.province.code)
    hashes = write_files(folder, files)
    store = evidence_store(ctx.output_dir)
    parts = folder_parts(ctx.config.id, ctx.province.code, f"form{form}")
    for name, data in files.items():
        store.put_bytes(parts, name, data)
    if report.channel != "email":
        return hashes, None
    settings = get_settings()
    mail = Report(
        round_id=ctx.config.id,
        province_code=ctx.province.code,
        province_name_th=ctx.province.name_th,
        office=office_name(ctx.province),
        form=form,
        version=after_version + 1,
        period=thai_digits(f"รอบการประเมินที่ {ctx.config.round_number} ประจำปีงบประมาณ พ.ศ. {ctx.config.fiscal_year_be}"),
        links=links,
    )
    attachments = {attachment_name(mail, name.rsplit(".", 1)[1]): data for name, data in sorted(files.items())}
    sent = delivery.send_once(
        mail,
        attachments,
        transport=transport_from_settings(settings, output_root(ctx.output_dir) / "outbox"),
        sender=sender_address(settings),
        to=settings.dla_mailbox,
        cc=settings.office_email,
        clock=ctx.clock,
        actor=ctx.actor,
    )
    return hashes, sent
