"""A province's work steps (1: the plan, 2: the media, 4: dissemination and the survey) as pages with uploads.

Each page is one form with two buttons: "check" (uploads kept, the LPA results ranked, the survey export checked,
what a medium lacks named: nothing recorded) and "record" (the same `province-round` run as `kpi6 run --step`).
A form's files are read only after the session and the province were checked (its route declares no form
field, so FastAPI reads no body before the dependencies ran), then kept through `tasks/uploads` and named in the
step's input by their kept paths: the run stores them as evidence as it stores any office file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from kpi6.models.errors import InputError, Kpi6Error
from kpi6.models.inputs import (
    CHANNEL_NAMES,
    MEDIA_ELEMENTS,
    DisseminationInput,
    MediaFormat,
    MediaInput,
    MediaSetInput,
    PlanInput,
    ProvinceInputs,
    parse_inputs,
)
from kpi6.models.lpa import LpaAspect
from kpi6.models.provinces import Province
from kpi6.models.steps import StepSpec, numbers, spec
from kpi6.models.thai import be_numeric, parse_be_date
from kpi6.tasks import uploads
from kpi6.tasks.accounts import CurrentUser
from kpi6.tasks.status import ProvinceView
from kpi6.tasks.uploads import Upload
from kpi6.web import pages
from kpi6.web.deps import User, csrf_matches, off_the_page_threads, province_for, round_of
from kpi6.web.messages import thai_message
from kpi6.web.routes.province import view_of
from kpi6.web.routes.steps import launch, report_page

router = APIRouter()
ThisProvince = Annotated[Province, Depends(province_for)]

WORK_KEYS = ("plan", "media", "dissemination")
MAX_FILES = 60  # files in one form
MAX_FIELDS = 3000  # a plan of 50 rows or events of 100 rows, with room
FORMAT_TH = {
    MediaFormat.infographic: "อินโฟกราฟิก (ระบบจัดทำให้)",
    MediaFormat.handbook: "คู่มือ (ระบบจัดทำให้)",
    MediaFormat.ebook: "หนังสืออิเล็กทรอนิกส์ (ระบบจัดทำให้)",
    MediaFormat.video: "วีดิทัศน์ (แนบไฟล์หรือลิงก์)",
    MediaFormat.website: "เว็บไซต์ (ระบุลิงก์)",
    MediaFormat.other: "อื่น ๆ (แนบไฟล์หรือลิงก์)",
}
MISSING_TH = "กรุณากรอกให้ครบ"


def has_page(number: int) -> bool:
    """Whether a step has a page of the portal: the work steps and the reports."""
    return number in numbers() and (spec(number).key in WORK_KEYS or spec(number).sends_form is not None)


pages.env.globals["has_page"] = has_page


def _work_step(number: int) -> StepSpec:
    if number not in numbers() or spec(number).key not in WORK_KEYS:
        raise HTTPException(404)
    return spec(number)


# --- what a page shows, as the strings of its form --------------------------------------------------------------


@dataclass
class Draft:
    """A step's form as typed (strings), with the files kept so far: what a page shows again after a check or a
    refusal, so that nothing typed or uploaded is lost."""

    rows: list[dict[str, str]] = field(default_factory=list)  # the plan's activities, or the events
    media: list[dict[str, str]] = field(default_factory=list)
    media_files: list[Upload | None] = field(default_factory=list)
    evidence: list[Upload] = field(default_factory=list)
    links: str = ""
    strategy: str = ""
    lpa: Upload | None = None
    survey: Upload | None = None
    skip_invalid: bool = False
    refused: list[str] = field(default_factory=list)  # the files refused (not kept), each with its reason


ACTIVITY_FIELDS = ("activity", "start", "end", "responsible")
EVENT_FIELDS = ("e_date", "e_channel", "e_detail", "e_laos", "e_count", "e_participants", "e_description")
MEDIUM_FIELDS = ("title", "lpa_aspect", "background", "content", "agency", "format", "key_points", "link")


def _activity_rows(plan: PlanInput) -> list[dict[str, str]]:
    return [
        {"activity": a.activity, "start": be_numeric(a.start), "end": be_numeric(a.end), "responsible": a.responsible}
        for a in plan.activities
    ]


def _event_rows(d: DisseminationInput) -> list[dict[str, str]]:
    return [
        {
            "e_date": be_numeric(e.date),
            "e_channel": e.channel.value,
            "e_detail": e.channel_detail,
            "e_laos": "\n".join(e.laos),
            "e_count": "" if e.laos else str(e.laos_reached or ""),
            "e_participants": str(e.participants or ""),
            "e_description": e.description,
        }
        for e in d.events
    ]


def _medium_strings(m: MediaInput | None) -> dict[str, str]:
    if m is None:
        return dict.fromkeys(MEDIUM_FIELDS, "") | {"format": MediaFormat.infographic.value}
    return {
        "title": m.title,
        "lpa_aspect": m.lpa_aspect,
        "background": m.background,
        "content": m.content,
        "agency": m.agency,
        "format": m.format.value,
        "key_points": "\n".join(m.key_points),
        "link": "" if m.file or _made_by_kpi6(m) else (m.link or ""),
    }


GENERATED_FILE = re.compile(r"/medium-\d+-(?:infographic|handbook|ebook)\.(?:pdf|png)$")


def _made_by_kpi6(m: MediaInput) -> bool:
    """The medium's link is to a file kpi6 made or stored (the local store's `file://`, a generated medium's
    name): the page shows no link, and recording again makes or stores it again."""
    link = m.link or ""
    return not link.lower().startswith(("http://", "https://")) or bool(GENERATED_FILE.search(unquote(link)))


def _links(entries: list[str]) -> str:
    return "\n".join(e for e in entries if e.startswith(("http://", "https://")))


def _kept_of(view: ProvinceView, entries: list[str]) -> list[Upload]:
    """The uploads among a recorded input's evidence paths (shown again when the office replaces the step)."""
    prefix = str(uploads.uploads_root())
    found = []
    for entry in entries:
        if entry.startswith(prefix):
            try:
                found.append(uploads.kept(view.round_id, view.code, _upload_id(entry)))
            except InputError:
                continue
    return found


def _upload_id(path: str) -> str:
    parts = path.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def _draft_from_record(view: ProvinceView, step: StepSpec) -> Draft:
    """The page's form as the province last recorded it, or as a new office starts it."""
    from kpi6.tasks.topics import blank_plan

    recorded = view.recorded_input(step.number)
    if step.key == "plan":
        plan = recorded if isinstance(recorded, PlanInput) else blank_plan(view.round_id)
        kept = _kept_of(view, plan.evidence)
        lpa = next((u for u in kept if u.name.lower().endswith((".csv", ".xlsx", ".xls"))), None)
        evidence = [u for u in kept if u is not lpa]
        return Draft(rows=_activity_rows(plan), lpa=lpa, evidence=evidence, links=_links(plan.evidence))
    if step.key == "media":
        if isinstance(recorded, MediaSetInput):
            media = recorded.media
            files: list[Upload | None] = [
                next(iter(_kept_of(view, [m.file])), None) if m.file else None for m in recorded.media
            ]
            return Draft(
                media=[_medium_strings(m) for m in media],
                media_files=files,
                evidence=_kept_of(view, recorded.evidence),
                links=_links(recorded.evidence),
            )
        return Draft(media=_media_from_plan(view), media_files=[None, None])
    assert step.key == "dissemination"
    if isinstance(recorded, DisseminationInput):
        survey = next(iter(_kept_of(view, [recorded.survey_file.file])), None) if recorded.survey_file else None
        return Draft(
            rows=_event_rows(recorded),
            evidence=_kept_of(view, recorded.evidence),
            links=_links(recorded.evidence),
            strategy=recorded.strategy,
            survey=survey,
            skip_invalid=bool(recorded.survey_file and recorded.survey_file.skip_invalid),
        )
    return Draft(rows=[dict.fromkeys(EVENT_FIELDS, "")])


def _media_from_plan(view: ProvinceView) -> list[dict[str, str]]:
    """Two media as the recorded plan's topics propose them (title, aspect, format, background, content)."""
    plan = view.recorded_input(1)
    topics = plan.topics if isinstance(plan, PlanInput) else []
    agency = f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{view.name_th}"
    media = []
    for i in range(2):
        m = _medium_strings(None) | {"agency": agency}
        if i < len(topics):
            t = topics[i]
            m |= {
                "title": t.title,
                "lpa_aspect": t.aspect,
                "background": t.background,
                "content": t.content,
                "key_points": "\n".join(t.key_points),
                "format": t.format if t.format in MediaFormat.__members__ else MediaFormat.infographic.value,
            }
        media.append(m)
    return media


# --- reading a posted form -----------------------------------------------------------------------------------------


class Refused(Exception):
    """A form's input refused: the page is shown again with the Thai sentence and the detail."""

    def __init__(self, message: str, detail: str = "", draft: Draft | None = None) -> None:
        super().__init__(message)
        self.message, self.detail, self.draft = message, detail, draft


def _texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _rows(form: FormData, names: tuple[str, ...]) -> list[dict[str, str]]:
    """A table's rows (every row carries every field, so the lists line up); empty rows dropped."""
    columns = {n: _texts(form, n) for n in names}
    count = max((len(v) for v in columns.values()), default=0)
    if any(len(v) != count for v in columns.values()):
        raise Refused("ตารางที่ส่งมาไม่ครบทุกช่อง กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")
    rows = [{n: columns[n][i] for n in names} for i in range(count)]
    return [r for r in rows if any(v.strip() for v in r.values())]


FILE_REFUSED = "ไฟล์ที่แนบไม่ผ่านการตรวจ ระบบไม่ได้เก็บไฟล์นั้นและยังไม่ได้บันทึกอะไร กรุณาแนบไฟล์ที่ถูกต้อง"


async def _receive(request: Request, province: Province, item: UploadFile, refused: list[str]) -> Upload | None:
    """The file kept, or None with the reason added to `refused` (the rest of the form is still read)."""

    def chunks() -> Iterator[bytes]:
        while chunk := item.file.read(1 << 20):
            yield chunk

    try:
        return await run_in_threadpool(
            uploads.receive, chunks(), item.filename or "", round_id=round_of(request), code=province.code
        )
    except Kpi6Error as exc:
        refused.append(str(exc))
        return None


async def _files(request: Request, province: Province, form: FormData, name: str, refused: list[str]) -> list[Upload]:
    found = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and (item.filename or item.size):
            upload = await _receive(request, province, item, refused)
            found += [upload] if upload else []
    return found


def _kept(request: Request, province: Province, ids: list[str]) -> list[Upload]:
    try:
        return uploads.kept_all(round_of(request), province.code, ids)
    except InputError as exc:
        raise Refused("ไม่พบไฟล์ที่แนบไว้ก่อนหน้า กรุณาแนบไฟล์อีกครั้ง", str(exc)) from None


async def _evidence(
    request: Request, province: Province, form: FormData, refused: list[str]
) -> tuple[list[Upload], str]:
    kept = _kept(request, province, _texts(form, "kept"))
    new = await _files(request, province, form, "evidence_files", refused)
    return list({u.id: u for u in [*kept, *new]}.values()), _text(form, "links")


def _link_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


LINKS_ONLY = "ช่องลิงก์รับเฉพาะลิงก์เว็บที่ขึ้นต้นด้วย http:// หรือ https:// ไฟล์ให้แนบด้วยปุ่มแนบไฟล์"


def _web_links(text: str) -> list[str]:
    """The links box's lines: web links only. A file reaches a step only as an upload of the office's own: a path
    typed here would have the run copy a file of the server (another province's too) into this province's
    evidence."""
    lines = _link_lines(text)
    for i, line in enumerate(lines, start=1):
        if not line.lower().startswith(("http://", "https://")):
            raise Refused(LINKS_ONLY, f"บรรทัดที่ {i}: {line[:80]}")
    return lines


def _date(text: str, where: str) -> date:
    try:
        return parse_be_date(text)
    except ValueError as exc:
        raise Refused(f"{where}: {exc}") from None


# --- the three steps: a form's strings into the step's input --------------------------------------------------------


async def _plan_draft(request: Request, province: Province, form: FormData) -> Draft:
    refused: list[str] = []
    evidence, links = await _evidence(request, province, form, refused)
    new_lpa = await _files(request, province, form, "lpa_file", refused)
    lpa = new_lpa[-1] if new_lpa else next(iter(_kept(request, province, [_text(form, "lpa")])), None)
    return Draft(rows=_rows(form, ACTIVITY_FIELDS), lpa=lpa, evidence=evidence, links=links, refused=refused)


def _proposal(request: Request, province: Province, lpa: Upload | None) -> Any:
    """The ranking and the two proposed topics from the LPA results (`kpi6 topics`), or None."""
    from pathlib import Path

    from kpi6.tasks.topics import propose_from_file

    if lpa is None:
        return None
    try:
        return propose_from_file(Path(lpa.path), province=province.code, round_id=round_of(request))
    except Kpi6Error as exc:
        raise Refused("อ่านผลการประเมิน LPA จากไฟล์นี้ไม่ได้ กรุณาตรวจไฟล์แล้วแนบใหม่", str(exc)) from None


def _plan_input(request: Request, province: Province, draft: Draft) -> dict[str, Any]:
    proposal = _proposal(request, province, draft.lpa)
    topics = [t.model_dump(mode="json") for t in proposal.plan.topics] if proposal and proposal.plan else []
    activities = []
    for i, row in enumerate(draft.rows, start=1):
        activities.append(
            {
                "activity": row["activity"],
                "start": _date(row["start"], f"กิจกรรมแถวที่ {i} วันเริ่ม").isoformat(),
                "end": _date(row["end"], f"กิจกรรมแถวที่ {i} วันสิ้นสุด").isoformat(),
                "responsible": row["responsible"],
            }
        )
    if not activities:
        raise Refused("กรุณากรอกกิจกรรมของแผนอย่างน้อย ๑ รายการ")
    files = ([draft.lpa.path] if draft.lpa else []) + [u.path for u in draft.evidence]
    return {"activities": activities, "topics": topics, "evidence": files + _web_links(draft.links)}


async def _media_draft(request: Request, province: Province, form: FormData) -> Draft:
    refused: list[str] = []
    evidence, links = await _evidence(request, province, form, refused)
    media, files = [], []
    for i in (1, 2):
        media.append({n: _text(form, f"m{i}_{n}") for n in MEDIUM_FIELDS})
        new = await _files(request, province, form, f"m{i}_file", refused)
        kept = _kept(request, province, [_text(form, f"m{i}_kept")])
        files.append(new[-1] if new else next(iter(kept), None))
    return Draft(media=media, media_files=files, evidence=evidence, links=links, refused=refused)


def _medium_input(m: dict[str, str], file: Upload | None) -> dict[str, Any]:
    return {
        **{n: m[n] for n in ("title", "lpa_aspect", "background", "content", "agency")},
        "format": m["format"] or MediaFormat.infographic.value,
        "key_points": _link_lines(m["key_points"]),
        "link": next(iter(_web_links(m["link"])), None),
        "file": file.path if file and not m["link"].strip() else None,
    }


def _media_input(draft: Draft) -> dict[str, Any]:
    files = [u.path for u in draft.evidence] + _web_links(draft.links)
    media = [_medium_input(m, f) for m, f in zip(draft.media, draft.media_files, strict=True)]
    return {"media": media, "evidence": files}


def _missing(draft: Draft) -> list[list[str]]:
    """For each medium, the required elements it lacks (their Thai names)."""
    return [[label for name, label in MEDIA_ELEMENTS.items() if not m.get(name, "").strip()] for m in draft.media]


async def _dissemination_draft(request: Request, province: Province, form: FormData) -> Draft:
    refused: list[str] = []
    evidence, links = await _evidence(request, province, form, refused)
    new_survey = await _files(request, province, form, "survey_file", refused)
    survey = new_survey[-1] if new_survey else next(iter(_kept(request, province, [_text(form, "survey")])), None)
    return Draft(
        rows=_rows(form, EVENT_FIELDS),
        evidence=evidence,
        links=links,
        strategy=_text(form, "strategy"),
        survey=survey,
        skip_invalid=_text(form, "skip_invalid") == "true",
        refused=refused,
    )


def _count(text: str, where: str) -> int | None:
    from kpi6.models.thai import arabic_digits

    text = arabic_digits(text).replace(",", "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise Refused(f"{where}: ให้กรอกเป็นตัวเลข")
    return int(text)


def _dissemination_input(draft: Draft) -> dict[str, Any]:
    events = []
    for i, row in enumerate(draft.rows, start=1):
        laos = [n.strip() for n in row["e_laos"].splitlines() if n.strip()]
        events.append(
            {
                "date": _date(row["e_date"], f"การเผยแพร่แถวที่ {i} วันที่").isoformat(),
                "channel": row["e_channel"],
                "channel_detail": row["e_detail"],
                "laos": laos,
                "laos_reached": None if laos else _count(row["e_count"], f"การเผยแพร่แถวที่ {i} จำนวน อปท."),
                "participants": _count(row["e_participants"], f"การเผยแพร่แถวที่ {i} จำนวนผู้เข้าร่วม") or 0,
                "description": row["e_description"],
            }
        )
    if not events:
        raise Refused("กรุณากรอกการเผยแพร่สื่ออย่างน้อย ๑ ครั้ง")
    data: dict[str, Any] = {
        "events": events,
        "strategy": draft.strategy,
        "evidence": [u.path for u in draft.evidence] + _web_links(draft.links),
    }
    if draft.survey:
        data["survey_file"] = {"file": draft.survey.path, "skip_invalid": draft.skip_invalid}
    return data


def _survey_check(request: Request, survey: Upload | None) -> Any:
    """The survey export checked against the round, every bad row and column listed; nothing imported."""
    from kpi6.tasks.survey import check_survey

    if survey is None:
        return None
    try:
        return check_survey(survey.path, round_id=round_of(request), skip_invalid=True, write_rejected=False)
    except Kpi6Error as exc:
        raise Refused("อ่านไฟล์แบบสำรวจนี้ไม่ได้ กรุณาตรวจไฟล์แล้วแนบใหม่", str(exc)) from None


def _reported_in(view: ProvinceView, step: StepSpec) -> int | None:
    """The form already sent that reports this step (Form 1 for steps 1-2), or None: the core keeps a reported
    step as it was reported, so the page offers no "record" for it, only the form's next version."""
    from kpi6.models.steps import reported_on

    return next((f for f in sorted(view.submissions) if step in reported_on(f)), None)


# --- routes --------------------------------------------------------------------------------------------------------


def _page(
    request: Request,
    province: Province,
    step: StepSpec,
    draft: Draft,
    *,
    status_code: int = 200,
    error: str = "",
    detail: str = "",
    checked: bool = False,
    view: ProvinceView | None = None,
) -> HTMLResponse:
    view = view or view_of(request, province)
    shown = next(s for s in view.steps if s.number == step.number)
    extra: dict[str, Any] = {"reported_in": _reported_in(view, step)}
    if step.key == "plan" and checked:
        try:
            extra["proposal"] = _proposal(request, province, draft.lpa)
        except Refused as exc:
            error, detail, status_code = exc.message, exc.detail, 400
    if step.key == "dissemination" and checked:
        try:
            extra["survey_checked"] = _survey_check(request, draft.survey)
        except Refused as exc:
            error, detail, status_code = exc.message, exc.detail, 400
    return pages.render(
        request,
        f"step_{step.key}.html",
        status_code=status_code,
        view=view,
        step=shown,
        draft=draft,
        error=error,
        detail=detail,
        checked=checked,
        proposal=extra.get("proposal"),
        survey_checked=extra.get("survey_checked"),
        reported_in=extra["reported_in"],
        missing=_missing(draft) if step.key == "media" and checked else [[], []],
        aspects=list(LpaAspect),
        formats=FORMAT_TH,
        channels=CHANNEL_NAMES,
        base=f"/provinces/{province.code}/steps/{step.number}",
    )


@router.get("/provinces/{code}/steps/{number}", response_class=HTMLResponse, include_in_schema=False)
def step_page(request: Request, province: ThisProvince, number: int) -> HTMLResponse:
    if number in numbers() and spec(number).sends_form is not None:
        return report_page(request, province, number)
    step = _work_step(number)
    view = view_of(request, province)
    return _page(request, province, step, _draft_from_record(view, step), view=view)


@router.get("/provinces/{code}/steps/{number}/row", response_class=HTMLResponse, include_in_schema=False)
def blank_row(request: Request, province: ThisProvince, number: int) -> HTMLResponse:
    """One empty row of the step's table (the plan's activities, the events), which htmx adds in place."""
    step = _work_step(number)
    if step.key == "media":
        raise HTTPException(404)
    template = "row_activity.html" if step.key == "plan" else "row_event.html"
    return pages.render(
        request,
        template,
        row=dict.fromkeys(EVENT_FIELDS + ACTIVITY_FIELDS, ""),
        channels=CHANNEL_NAMES,
        base=f"/provinces/{province.code}/steps/{number}",
    )


@router.get("/provinces/{code}/steps/{number}/row/removed", response_class=HTMLResponse, include_in_schema=False)
def removed_row(request: Request, province: ThisProvince, number: int) -> HTMLResponse:
    """Nothing: htmx swaps a removed row for it (the page holds no script of its own)."""
    _work_step(number)
    return HTMLResponse("")


async def _read(request: Request, user: CurrentUser, province: Province, step: StepSpec, form: FormData) -> Draft:
    """The posted form, its CSRF token checked, its files kept: the step's draft."""
    if not csrf_matches(user, _text(form, "csrf")):
        raise HTTPException(403)
    reader = {"plan": _plan_draft, "media": _media_draft, "dissemination": _dissemination_draft}[step.key]
    draft = await reader(request, province, form)
    if draft.refused:  # shown again with all that was typed and kept; the refused files named
        raise Refused(FILE_REFUSED, " · ".join(draft.refused), draft)
    return draft


async def _refused(
    request: Request, province: Province, step: StepSpec, exc: Refused, draft: Draft, *, checked: bool
) -> HTMLResponse:
    """The page again, with the refusal's Thai sentence and all that was typed and kept (400)."""
    return await run_in_threadpool(
        _page,
        request,
        province,
        step,
        exc.draft or draft,
        status_code=400,
        error=exc.message,
        detail=exc.detail,
        checked=checked,
    )


@router.post("/provinces/{code}/steps/{number}/check", response_class=HTMLResponse, include_in_schema=False)
async def check_step(request: Request, province: ThisProvince, user: User, number: int) -> Response:
    """Keep the files, and show what recording would use: the LPA ranking and proposal, the survey's check,
    what a medium lacks. Nothing is recorded."""
    step = _work_step(number)
    try:
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
            draft = await _read(request, user, province, step, form)
    except Refused as exc:
        return await _refused(request, province, step, exc, Draft(), checked=exc.draft is not None)
    return await off_the_page_threads(_page, request, province, step, draft, checked=True)  # reads the uploads


@router.post("/provinces/{code}/steps/{number}/record", include_in_schema=False)
async def record_step(request: Request, province: ThisProvince, user: User, number: int) -> Response:
    """Record the step: its input built from the form, checked by the step's model, then the run started."""
    step = _work_step(number)
    draft = Draft()
    try:
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
            draft = await _read(request, user, province, step, form)
            replace = _text(form, "replace") == "true"
        if step.key == "plan":
            data = await off_the_page_threads(_plan_input, request, province, draft)  # reads the LPA file
        else:
            data = _media_input(draft) if step.key == "media" else _dissemination_input(draft)
        try:
            inputs: ProvinceInputs = parse_inputs({step.key: data}, source="แบบฟอร์ม")
        except Kpi6Error as exc:
            message, detail = thai_message(exc)
            raise Refused(message, detail) from None
    except Refused as exc:
        return await _refused(request, province, step, exc, draft, checked=step.key == "media")
    return await run_in_threadpool(launch, request, province, user, step.number, inputs, replace=replace)


@router.post("/provinces/{code}/steps/2/preview/{index}.pdf", include_in_schema=False)
async def medium_preview(request: Request, province: ThisProvince, user: User, index: int) -> Response:
    """The infographic, handbook or e-book kpi6 would generate from the medium as typed: a PDF, nothing kept."""
    from kpi6.tasks.media import preview_medium

    if index not in (1, 2) or spec(2).key != "media":
        raise HTTPException(404)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    if not csrf_matches(user, _text(form, "csrf")):
        raise HTTPException(403)
    strings = {n: _text(form, f"m{index}_{n}") for n in MEDIUM_FIELDS}
    try:
        medium = MediaInput.model_validate(_medium_input(strings, None))
        pdf = await off_the_page_threads(preview_medium, round_of(request), medium, index)
    except (Kpi6Error, ValueError, Refused) as exc:
        message = "ยังแสดงตัวอย่างไม่ได้: ข้อมูลของสื่อเรื่องนี้ยังไม่ครบหรือไม่ถูกต้อง กรุณาแก้ตามรายละเอียดแล้วลองอีกครั้ง"
        return pages.render(request, "error.html", status_code=400, message=f"{message} ({_short(exc)})")
    framing = {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"}
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline", **framing})


def _short(exc: Exception) -> str:
    """What is wrong, in a line: each field a model refused and why, or the error's first line."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{MEDIA_ELEMENTS.get(str(e['loc'][-1]), e['loc'][-1])}: {e['msg']}" for e in exc.errors()[:3])
    if isinstance(exc, Refused):
        return f"{exc.message} {exc.detail}".strip()[:300]
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
