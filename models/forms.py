"""What Form 1 and Form 2 say, as display-ready text, built by pure functions from the recorded steps.

Both renderers (.docx and .pdf) lay out the same context, so the two files carry the same content.
Every field a reader sees is a string here, already in Thai digits (or Arabic, per document) and
Buddhist-Era dates; the chart's bar lengths are the only numbers. The fixed wording comes from
`models.wording`: its sentences are filled here, and each form's labels travel as `ctx.labels`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Literal

from pydantic import BaseModel

from kpi6.models.inputs import (
    SATISFACTION_LEVELS,
    DisseminationEvent,
    DisseminationInput,
    MediaInput,
    MediaSetInput,
    PlanInput,
    ReportInput,
)
from kpi6.models.lpa import parse_aspect
from kpi6.models.provinces import Province
from kpi6.models.round import RoundConfig
from kpi6.models.steps import report_step, reported_on
from kpi6.models.survey import BandScheme, SurveyResult, summarize
from kpi6.models.text import printable
from kpi6.models.thai import digits, thai_date, thai_number
from kpi6.models.wording import WORDING, Form1Labels, Form2Labels, FormsWording, localized


class EvidenceQR(BaseModel):
    """One evidence field: the QR code encodes `url`, printed under the code as well."""

    label: str
    url: str


class Header(BaseModel):
    form_no: str  # แบบฟอร์ม ๑
    department: str
    indicator: str
    period: str  # รอบการประเมินที่ ๑ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗
    office: str
    title: str  # แบบรายงานผลการดำเนินงาน
    steps: str  # (ขั้นตอนที่ ๑ - ๓)


class Signature(BaseModel):
    name: str
    position: str
    office: str


class PlanRow(BaseModel):
    number: str
    activity: str
    period: str
    responsible: str


class StepRow(BaseModel):
    number: str
    name: str
    deadline: str
    done: str


class MediumBlock(BaseModel):
    number: str
    heading: str  # สื่อเรื่องที่ ๑
    title: str
    aspect: str
    background: str
    content: str
    key_points: list[str]
    agency: str
    format: str
    qr: EvidenceQR


class Form1Context(BaseModel):
    form: Literal[1] = 1
    header: Header
    plan_rows: list[PlanRow]
    plan_qr: EvidenceQR
    steps: list[StepRow]
    media: list[MediumBlock]
    report_date: str
    signature: Signature
    labels: Form1Labels
    arabic_digits: bool = False


def evidence_qrs(ctx: Form1Context | Form2Context) -> list[EvidenceQR]:
    """Every evidence field of a form, in the order it prints them (each gets a QR code)."""
    if isinstance(ctx, Form1Context):
        return [ctx.plan_qr, *(m.qr for m in ctx.media)]
    return list(ctx.evidence)


class EventRow(BaseModel):
    number: str
    date: str
    channel: str
    laos: str
    participants: str
    description: str


class SatisfactionRow(BaseModel):
    item: str
    counts: list[str]
    mean: str
    sd: str
    percent: str
    band: str


class ChartBar(BaseModel):
    label: str
    value: str
    fraction: float  # 0..1, bar length


class SatisfactionSummary(BaseModel):
    levels: list[str]
    respondents: str
    respondents_line: str  # ผู้ตอบแบบสำรวจ ๑๔๓ ราย (อบต. ๑๐๐ ราย ...)
    rows: list[SatisfactionRow]
    overall_mean: str
    overall_sd: str
    overall_percent: str
    overall_band: str
    band_note: str
    by_type: str
    coverage: str
    comments: list[str]
    chart_title: str
    bars: list[ChartBar]


class Form2Context(BaseModel):
    form: Literal[2] = 2
    header: Header
    steps: list[StepRow]
    strategy: str
    events: list[EventRow]
    total_laos: str
    total_participants: str
    satisfaction: SatisfactionSummary | None
    no_survey_note: str
    results: str
    evidence: list[EvidenceQR]
    report_date: str
    signature: Signature
    labels: Form2Labels
    arabic_digits: bool = False


def office_name(province: Province, *, wording: FormsWording = WORDING) -> str:
    return wording.header.office.format(province=province.name_th)


def _numbers(form: int) -> list[int]:
    """The steps form `form` reports on (Form 1: 1, 2, 3)."""
    return [s.number for s in reported_on(form)]


def header(
    province: Province, config: RoundConfig, *, form: int, arabic: bool, wording: FormsWording = WORDING
) -> Header:
    w = wording.header
    covered = _numbers(form)
    first, last = covered[0], covered[-1]
    return Header(
        form_no=digits(w.form_no.format(form=form), arabic=arabic),
        department=w.department,
        indicator=digits(w.indicator, arabic=arabic),
        period=digits(w.period.format(round=config.round_number, year=config.fiscal_year_be), arabic=arabic),
        office=office_name(province, wording=wording),
        title=w.title,
        steps=digits(w.steps.format(first=first, last=last), arabic=arabic),
    )


def signature(report: ReportInput, province: Province, *, wording: FormsWording = WORDING) -> Signature:
    w = wording.signature
    return Signature(
        name=w.name.format(name=report.signer_name) if report.signer_name else w.no_name,
        position=report.signer_position or w.no_position,
        office=office_name(province, wording=wording),
    )


def _period(start: date, end: date, *, arabic: bool) -> str:
    if start == end:
        return thai_date(start, arabic=arabic, short=True)
    return f"{thai_date(start, arabic=arabic, short=True)} – {thai_date(end, arabic=arabic, short=True)}"


def step_rows(config: RoundConfig, steps: list[int], done: dict[int, date], *, arabic: bool) -> list[StepRow]:
    return [
        StepRow(
            number=digits(n, arabic=arabic),
            name=digits(config.step(n).name_th, arabic=arabic),
            deadline=thai_date(config.step(n).deadline, arabic=arabic),
            done=thai_date(done[n], arabic=arabic) if n in done else "-",
        )
        for n in steps
    ]


def medium_block(number: int, medium: MediaInput, *, arabic: bool, wording: FormsWording = WORDING) -> MediumBlock:
    w = wording.form1
    aspect = parse_aspect(medium.lpa_aspect)
    heading = digits(w.medium.format(number=number), arabic=arabic)
    return MediumBlock(
        number=digits(number, arabic=arabic),
        heading=heading,
        title=digits(medium.title, arabic=arabic),
        aspect=aspect.name_th,
        background=digits(medium.background, arabic=arabic),
        content=digits(medium.content, arabic=arabic),
        key_points=[digits(p, arabic=arabic) for p in medium.key_points],
        agency=digits(medium.agency, arabic=arabic),
        format=w.format_names[medium.format],
        qr=EvidenceQR(label=heading, url=medium.link or ""),
    )


def build_form1(
    *,
    province: Province,
    config: RoundConfig,
    plan: PlanInput,
    media: MediaSetInput,
    report: ReportInput,
    plan_link: str,
    done: dict[int, date],
    report_day: date,
    wording: FormsWording = WORDING,
) -> Form1Context:
    """Form 1 (steps 1–3) from the recorded plan and media; `done` maps step to its completion date."""
    arabic = report.arabic_digits
    return Form1Context(
        header=header(province, config, form=1, arabic=arabic, wording=wording),
        plan_rows=[
            PlanRow(
                number=digits(i, arabic=arabic),
                activity=digits(a.activity, arabic=arabic),
                period=_period(a.start, a.end, arabic=arabic),
                responsible=a.responsible or "-",
            )
            for i, a in enumerate(plan.activities, start=1)
        ],
        plan_qr=EvidenceQR(label=wording.form1.plan_evidence, url=plan_link),
        steps=step_rows(config, _numbers(1), {**done, report_step(1).number: report_day}, arabic=arabic),
        media=[medium_block(i, m, arabic=arabic, wording=wording) for i, m in enumerate(media.media, start=1)],
        report_date=thai_date(report_day, arabic=arabic),
        signature=signature(report, province, wording=wording),
        labels=localized(wording.form1.labels, arabic=arabic),
        arabic_digits=arabic,
    )


def _fmt(value: float | None, *, arabic: bool, decimals: int = 2) -> str:
    return "-" if value is None else thai_number(value, arabic=arabic, decimals=decimals)


SHOWN_COMMENTS = 15


def survey_of(dissemination: DisseminationInput) -> SurveyResult | None:
    """The step's survey: the imported export, or the counts the office typed in."""
    if dissemination.survey is not None:
        return dissemination.survey
    if not dissemination.satisfaction:
        return None
    return SurveyResult(respondents=dissemination.survey_respondents, items=dissemination.satisfaction)


def summarize_satisfaction(
    result: SurveyResult | None,
    *,
    arabic: bool,
    scheme: BandScheme = BandScheme.width_0_8,
    laos_disseminated: int | None = None,
    wording: FormsWording = WORDING,
) -> SatisfactionSummary | None:
    """Per item and overall: mean, sample SD, share satisfied (4 or 5), Thai band; who answered; comments."""
    if result is None or not result.items:
        return None
    w = wording.form2
    s = summarize(result, scheme=scheme, laos_disseminated=laos_disseminated)

    def num(value: float | None, decimals: int = 2) -> str:
        return _fmt(value, arabic=arabic, decimals=decimals)

    rows = [
        SatisfactionRow(
            item=digits(i.question, arabic=arabic),
            counts=[thai_number(c, arabic=arabic) for c in item.counts],
            mean=num(i.mean),
            sd=num(i.sd),
            percent=num(i.percent_satisfied),
            band=i.band_th,
        )
        for i, item in zip(s.items, result.items, strict=True)
    ]
    by_type = " ".join(
        w.respondents_of_type.format(type=t, count=thai_number(n, arabic=arabic)) for t, n in s.by_type.items()
    )
    by_type = by_type if result.by_type else ""
    respondents = thai_number(s.n, arabic=arabic)
    if by_type:
        respondents_line = w.respondents_by_type.format(count=respondents, by_type=by_type)
    else:
        respondents_line = w.respondents.format(count=respondents)
    coverage = ""
    if s.coverage_percent is not None:
        coverage = w.coverage.format(
            answered=num(s.laos_answered, 0), disseminated=num(s.laos_disseminated, 0), percent=num(s.coverage_percent)
        )
    # Respondents' comments are a survey export's text, checked by no input model: what the font cannot print goes
    # (a comment that was only emoji, with it), and the same comment from many respondents is listed once.
    grouped = Counter(c for c in (printable(c).strip() for c in s.comments) if c).most_common()
    comments = [
        digits(c if n == 1 else w.repeated_comment.format(comment=c, count=n), arabic=arabic)
        for c, n in grouped[:SHOWN_COMMENTS]
    ]
    if len(grouped) > SHOWN_COMMENTS:
        comments.append(digits(w.more_comments.format(count=len(grouped) - SHOWN_COMMENTS), arabic=arabic))
    return SatisfactionSummary(
        levels=list(SATISFACTION_LEVELS),
        respondents=respondents,
        respondents_line=respondents_line,
        rows=rows,
        overall_mean=num(s.overall.mean),
        overall_sd=num(s.overall.sd),
        overall_percent=num(s.overall.percent_satisfied),
        overall_band=s.overall.band_th,
        band_note=digits(w.band_notes[scheme], arabic=arabic),
        by_type=by_type,
        coverage=coverage,
        comments=comments,
        chart_title=digits(w.chart_title, arabic=arabic),
        bars=[
            ChartBar(label=r.item, value=r.mean, fraction=(i.mean or 0) / 5) for r, i in zip(rows, s.items, strict=True)
        ],
    )


def _event_note(e: DisseminationEvent, *, arabic: bool, wording: FormsWording = WORDING) -> str:
    w = wording.form2
    parts = [e.description] if e.description else []
    if e.laos:
        shown = ", ".join(e.laos[:4])
        parts.append(shown + (" " + w.more_laos.format(count=len(e.laos) - 4) if len(e.laos) > 4 else ""))
    elif e.laos_by_type:
        parts.append(" ".join(w.laos_of_type.format(type=t.value, count=n) for t, n in e.laos_by_type.items() if n))
    return digits(" · ".join(parts) or "-", arabic=arabic)


def build_form2(
    *,
    province: Province,
    config: RoundConfig,
    dissemination: DisseminationInput,
    report: ReportInput,
    dissemination_link: str,
    survey_link: str,
    done: dict[int, date],
    report_day: date,
    wording: FormsWording = WORDING,
) -> Form2Context:
    """Form 2 (steps 4–5) from the recorded dissemination and survey."""
    w = wording.form2
    arabic = report.arabic_digits
    events = dissemination.events
    laos = dissemination.laos_reached
    people = sum(e.participants for e in events)
    survey = survey_of(dissemination)
    summary = summarize_satisfaction(
        survey, arabic=arabic, scheme=config.survey.bands, laos_disseminated=laos, wording=wording
    )
    respondents = survey.respondents if survey else dissemination.survey_respondents
    results = report.summary or w.results.format(events=len(events), laos=laos, people=people, respondents=respondents)
    if summary and not report.summary:
        results += " " + w.results_satisfaction.format(
            band=summary.overall_band, mean=summary.overall_mean, percent=summary.overall_percent
        )
    return Form2Context(
        header=header(province, config, form=2, arabic=arabic, wording=wording),
        steps=step_rows(config, _numbers(2), {**done, report_step(2).number: report_day}, arabic=arabic),
        strategy=digits(dissemination.strategy or "-", arabic=arabic),
        events=[
            EventRow(
                number=digits(i, arabic=arabic),
                date=thai_date(e.date, arabic=arabic, short=True),
                channel=digits(e.channel_th, arabic=arabic),
                laos=thai_number(e.laos_reached or 0, arabic=arabic),
                participants=thai_number(e.participants, arabic=arabic),
                description=_event_note(e, arabic=arabic, wording=wording),
            )
            for i, e in enumerate(events, start=1)
        ],
        total_laos=thai_number(laos, arabic=arabic),
        total_participants=thai_number(people, arabic=arabic),
        satisfaction=summary,
        no_survey_note="" if summary else w.no_survey,
        results=digits(results, arabic=arabic),
        evidence=[
            EvidenceQR(label=w.dissemination_evidence, url=dissemination_link),
            EvidenceQR(label=w.survey_evidence, url=survey_link),
        ],
        report_date=thai_date(report_day, arabic=arabic),
        signature=signature(report, province, wording=wording),
        labels=localized(w.labels, arabic=arabic),
        arabic_digits=arabic,
    )


class MediumDocument(BaseModel):
    """What kpi6 prints on a medium it generates (infographic or handbook)."""

    title: str
    aspect: str
    background: str
    content: str
    key_points: list[str]
    agency: str
    period: str
    arabic_digits: bool = False


class Chapter(BaseModel):
    title: str
    text: str = ""
    items: list[str] = []


def medium_document(medium: MediaInput, config: RoundConfig, *, arabic: bool = False) -> MediumDocument:

    def d(text: object) -> str:
        return digits(text, arabic=arabic)

    return MediumDocument(
        title=d(medium.title),
        aspect=parse_aspect(medium.lpa_aspect).label,
        background=d(medium.background),
        content=d(medium.content),
        key_points=[d(p) for p in medium.key_points],
        agency=d(medium.agency),
        period=d(f"ประจำปีงบประมาณ พ.ศ. {config.fiscal_year_be}"),
        arabic_digits=arabic,
    )


def handbook_chapters(doc: MediumDocument) -> list[Chapter]:
    chapters = [
        Chapter(title="ความเป็นมาและสาเหตุ", text=doc.background),
        Chapter(title="ความรู้ แนวทาง และวิธีปฏิบัติ", text=doc.content),
    ]
    if doc.key_points:
        chapters.append(Chapter(title="ประเด็นสำคัญ", items=doc.key_points))
    chapters.append(Chapter(title="หน่วยงานผู้จัดทำ", text=f"{doc.agency} {doc.period}"))
    return chapters
