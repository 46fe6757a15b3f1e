"""The files a step produces: generated media (step 2), Form 1 (step 3) and Form 2 (step 5), written to
`<output>/<round>/<province code>/` with their SHA-256, and the evidence put in the evidence store."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

from kpi6.models.calendar import bangkok_date
from kpi6.models.db import StepProgress, StepState
from kpi6.models.errors import InputError, OutputError, StepOrderError
from kpi6.models.forms import (
    Form1Context,
    Form2Context,
    build_form1,
    build_form2,
    evidence_qrs,
    medium_document,
    office_name,
)
from kpi6.models.inputs import (
    DisseminationInput,
    MediaFormat,
    MediaSetInput,
    PlanInput,
    ReportInput,
    media_problem,
)
from kpi6.models.rules import check_report_time
from kpi6.models.thai import thai_digits
from kpi6.settings import get_settings
from kpi6.tasks import delivery
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.evidence import EvidenceStore, LocalEvidenceStore, folder_parts
from kpi6.tasks.adapters.mail import Report, Sent, attachment_name, sender_address, transport_from_settings
from kpi6.tasks.render.documents import render_docx, render_handbook, render_infographic, render_pdf


def output_root(output_dir: str | None) -> Path:
    s = get_settings()
    return Path(output_dir) if output_dir else (s.output_dir or s.data_dir)


_drive_stores: dict[tuple, EvidenceStore] = {}  # type: ignore[type-arg]


def evidence_store(output_dir: str | None) -> EvidenceStore:
    """The store the settings choose; a Drive store is kept per process (it remembers folder ids)."""
    s = get_settings()
    if s.evidence_backend == "gdrive":
        from kpi6.tasks.adapters.drive import store_from_settings

        key = (s.google_credentials, s.drive_root_folder_id, s.drive_api_root, s.drive_public_links)
        if key not in _drive_stores:
            _drive_stores[key] = store_from_settings(s)
        return _drive_stores[key]
    return LocalEvidenceStore(s.evidence_dir or output_root(output_dir) / "evidence", s.evidence_base_url)


def check_output_dir(output_dir: str | None) -> Path:
    """The output folder exists (or is made) and takes files; else one clear error before any write."""
    root = output_root(output_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".kpi6-write-test-"):  # own name: runs may be parallel
            pass
        store = evidence_store(output_dir)
        if isinstance(store, LocalEvidenceStore):
            store.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write forms and media to {exc.filename or root}: {exc.strerror or exc}") from None
    return root


def clear_round_outputs(output_dir: str, round_id: str) -> None:
    """Remove what earlier runs of a round wrote under `output_dir`: forms and media, the local evidence store's
    round folder and the round's e-mails in the outbox (the demo starts its round afresh, files included)."""
    root = output_root(output_dir).resolve()
    store = evidence_store(output_dir)
    folders = [root / round_id]
    if isinstance(store, LocalEvidenceStore):
        folders.append(store.root / round_id)
    outbox = get_settings().outbox_dir or root / "outbox"
    inside = [f for f in folders if f.resolve().is_relative_to(root)]  # never a shared store elsewhere
    for folder in inside:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    if outbox.resolve().is_relative_to(root):
        for eml in outbox.glob(f"kpi6.{round_id}.*.eml"):
            eml.unlink(missing_ok=True)


def province_folder(output_dir: str | None, round_id: str, code: str) -> Path:
    folder = output_root(output_dir) / round_id / code
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def province_files(output_dir: str | None, round_id: str, code: str) -> list[Path]:
    """The forms and media a province's runs left in its folder (receipts and temporary files skipped)."""
    folder = output_root(output_dir) / round_id / code
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def write_files(folder: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write each file whole (via a temporary name) and return its SHA-256 by name."""
    hashes = {}
    for name, data in files.items():
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        hashes[name] = hashlib.sha256(data).hexdigest()
    return hashes


def media_files(index: int, medium_doc, fmt: MediaFormat) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    if fmt is MediaFormat.infographic:
        pdf, png = render_infographic(medium_doc)
        return {f"medium-{index}-infographic.pdf": pdf, f"medium-{index}-infographic.png": png}
    return {f"medium-{index}-{fmt.value}.pdf": render_handbook(medium_doc)}


def produce_media(ctx, media: MediaSetInput) -> tuple[MediaSetInput, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Generate the media the office did not link (infographic, handbook, e-book); each gets its link."""
    problem = media_problem(media.media)
    if problem:  # checked before any file is made, even for inputs built without validation
        raise InputError(problem)
    code, round_id = ctx.province.code, ctx.config.id
    store = evidence_store(ctx.output_dir)
    folder = province_folder(ctx.output_dir, round_id, code)
    hashes: dict[str, str] = {}
    media_out = []
    for i, m in enumerate(media.media, start=1):
        if m.generated:
            files = media_files(i, medium_document(m, ctx.config), m.format)
            hashes.update(write_files(folder, files))
            parts = folder_parts(round_id, code, "media")
            links = [store.put_bytes(parts, name, data).link for name, data in files.items()]
            m = m.model_copy(update={"link": links[0]})
        media_out.append(m)
    return media.model_copy(update={"media": media_out}), hashes


def _done_rows(ctx, steps: list[int], report_step: int, report_at: datetime) -> dict[int, StepProgress]:  # type: ignore[no-untyped-def]
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
    return {f"{name}.pdf": render_pdf(form), f"{name}.docx": render_docx(form)}, links


def _folder_link(ctx, field: str) -> str:  # type: ignore[no-untyped-def]
    return evidence_store(ctx.output_dir).folder_link(folder_parts(ctx.config.id, ctx.province.code, field))


def produce_form1(ctx, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:  # type: ignore[no-untyped-def]
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


def produce_form2(ctx, report: ReportInput, report_at: datetime) -> tuple[dict[str, bytes], Links]:  # type: ignore[no-untyped-def]
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


def report_moment(ctx, form: int, report: ReportInput, completed_at: datetime) -> datetime:  # type: ignore[no-untyped-def]
    """The moment a report is dated: an e-mail an earlier run claimed keeps that run's Date (a resend is the
    same message); otherwise the submission time."""
    if report.channel == "email":
        row = delivery.pending(province_code=ctx.province.code, round_id=ctx.config.id, form=form)
        if row is not None:
            return row.message_date
    return completed_at


def deliver_report(
    ctx,
    form: int,
    files: dict[str, bytes],
    links: Links,  # type: ignore[no-untyped-def]
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
