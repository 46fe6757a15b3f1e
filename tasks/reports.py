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
from kpi6.models.rules import ValidatedStep, check_report_time
from kpi6.models.steps import report_step, reported_on
from kpi6.models.thai import thai_digits
from kpi6.settings import get_settings
from kpi6.tasks import delivery
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.evidence import folder_parts
from kpi6.tasks.adapters.mail import Report, Sent, attachment_name, sender_address, transport_from_settings
from kpi6.tasks.outputs import evidence_store, output_root, province_folder, write_files
from kpi6.tasks.render.documents import render_form_docx, render_form_pdf
from kpi6.tasks.render.processes import render_all
from kpi6.tasks.run import RunContext, record_step, run_log


@task(cache_policy=NO_CACHE)
def report_form1(ctx: RunContext, report: ReportInput, checked: ValidatedStep, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 3: produce Form 1 (.docx and .pdf) and record the report's submission to DLA."""
    return perform_report(ctx, report_step(1).number, report, checked, force=force)


@task(cache_policy=NO_CACHE)
def report_form2(ctx: RunContext, report: ReportInput, checked: ValidatedStep, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 5: produce Form 2 (.docx and .pdf) and record the report's submission to DLA."""
    return perform_report(ctx, report_step(2).number, report, checked, force=force)


def perform_report(ctx: RunContext, step: int, report: ReportInput, checked: ValidatedStep, *, force: bool) -> bool:
    """A report step (3, 5): render its form, write and store it, send it once (for e-mail) and record it; the
    server's acceptance time becomes the submission time."""
    form = ctx.config.step(step).form or 0
    result = checked.model_copy()
    with session_scope() as session:  # the version this run saw last: a version recorded meanwhile stops it
        seen = repository.recorded_version(
            session=session, province_code=ctx.province.code, round_id=ctx.config.id, form=form
        )
    after = seen if force else 0  # a run that is not a resubmission sends version 1 or nothing
    report_at = report_moment(ctx, form, report, result.completed_at)
    files, links = FORM_FILES[form](ctx, report, report_at)
    result.file_hashes, sent = deliver_report(ctx, form, files, links, report, after_version=after)
    if sent is not None:
        result.completed_at, result.message_id, result.version = sent.sent_at, sent.message_id, after + 1
        to = get_settings().dla_mailbox
        run_log(f"Form {form} version {after + 1} sent to {to} (ส่งแบบฟอร์ม {form} แล้ว), Message-ID {sent.message_id}")
    else:
        run_log(f"Form {form} written ({', '.join(sorted(files))}); the office sends it itself (สำนักงานส่งเอง)")
    return record_step(ctx, result, force=force)


def _recorded(ctx: RunContext, form: int, report_at: datetime) -> tuple[dict[str, StepProgress], dict[int, date]]:
    """The steps `form` reports on (models/steps.py) as recorded, by input key, each done and done before the
    report's time; and their completion dates (Bangkok) by step number."""
    covered = [s for s in reported_on(form) if not s.report]
    with session_scope() as session:
        rows = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        for row in rows.values():
            session.expunge(row)
    missing = [s.number for s in covered if s.number not in rows or rows[s.number].state != StepState.done.value]
    if missing:
        raise StepOrderError(f"the report needs step(s) {', '.join(map(str, missing))} done first")
    done_at = {n: r.completed_at for n, r in rows.items() if r.state == StepState.done.value and r.completed_at}
    check_report_time(ctx.config, report_step(form).number, report_at, done_at)
    dates = {s.number: bangkok_date(done_at[s.number]) for s in covered if s.number in done_at}
    return {s.key: rows[s.number] for s in covered}, dates


Links = list[tuple[str, str]]  # (label, link) of a form's evidence fields, as its e-mail lists them


def _rendered(name: str, form: Form1Context | Form2Context) -> tuple[dict[str, bytes], Links]:
    """The form's .pdf and .docx, and its evidence links (the ones its QR codes encode)."""
    titles = {m.qr.url: m.title for m in form.media} if isinstance(form, Form1Context) else {}
    links = [(f"{q.label}: {titles[q.url]}" if q.url in titles else q.label, q.url) for q in evidence_qrs(form)]
    pdf, docx = render_all([(render_form_pdf, (form,)), (render_form_docx, (form,))])
    return {f"{name}.pdf": pdf, f"{name}.docx": docx}, links


def _folder_link(ctx: RunContext, field: str) -> str:
    return evidence_store(ctx.output_dir).folder_link(folder_parts(ctx.config.id, ctx.province.code, field))


def form1_files(ctx: RunContext, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:
    """Form 1 (.docx and .pdf) from the recorded plan and media, and the evidence links it shows."""
    rows, done = _recorded(ctx, 1, report_at)
    report_day = bangkok_date(report_at)
    plan_link = rows["plan"].evidence[0] if rows["plan"].evidence else _folder_link(ctx, "plan")
    form = build_form1(
        province=ctx.province,
        config=ctx.config,
        plan=PlanInput.model_validate(rows["plan"].inputs),
        media=MediaSetInput.model_validate(rows["media"].inputs),
        report=report,
        plan_link=plan_link,
        done=done,
        report_day=report_day,
    )
    return _rendered("form1", form)


def form2_files(ctx: RunContext, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:
    """Form 2 (.docx and .pdf) from the recorded dissemination and survey, and the evidence links it shows."""
    rows, done = _recorded(ctx, 2, report_at)
    report_day = bangkok_date(report_at)
    links = rows["dissemination"].evidence
    form = build_form2(
        province=ctx.province,
        config=ctx.config,
        dissemination=DisseminationInput.model_validate(rows["dissemination"].inputs),
        report=report,
        dissemination_link=links[0] if links else _folder_link(ctx, "dissemination"),
        survey_link=links[1] if len(links) > 1 else _folder_link(ctx, "survey"),
        done=done,
        report_day=report_day,
    )
    return _rendered("form2", form)


# What each form is made of is its own: Form 1 shows the plan and the media, Form 2 the dissemination and survey.
FORM_FILES = {1: form1_files, 2: form2_files}


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


def preview_report(
    province: str, round_id: str, step: int, report: ReportInput, *, now: datetime, output_dir: str | None = None
) -> bytes:
    """The PDF of the form a report step would send now, from what the database recorded; nothing is written,
    stored or sent (the portal shows it before the office confirms)."""
    from kpi6.models.provinces import registry
    from kpi6.tasks.adapters.rounds import load_round

    config = load_round(round_id)
    form = config.step(step).form
    if form is None:
        raise StepOrderError(f"step {step} sends no form")
    ctx = RunContext(province=registry().get(province), config=config, now=now, actor="", output_dir=output_dir)
    files, _links = FORM_FILES[form](ctx, report, now)
    return files[f"form{form}.pdf"]
