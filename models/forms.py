"""What Form 1 and Form 2 say, as display-ready text, built by pure functions from the recorded steps.

Both renderers (.docx and .pdf) lay out the same context, so the two files carry the same content.
Every field a reader sees is a string here, already in Thai digits (or Arabic, per document) and
Buddhist-Era dates; the chart's bar lengths are the only numbers.
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
    MediaFormat,
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

DEPARTMENT = "กรมส่งเสริมการปกครองท้องถิ่น"
INDICATOR = (
    "ตัวชี้วัดที่ 6 ความสำเร็จของการจัดทำสื่อเพื่อส่งเสริม พัฒนา และสร้างความเข้มแข็งให้องค์กรปกครองส่วนท้องถิ่น "
    "รวมทั้งช่วยยกระดับผลการประเมินประสิทธิภาพขององค์กรปกครองส่วนท้องถิ่น (LPA)"
)
FORMAT_NAMES: dict[MediaFormat, str] = {
    MediaFormat.infographic: "อินโฟกราฟิก (Infographic)",
    MediaFormat.ebook: "หนังสืออิเล็กทรอนิกส์ (e-Book)",
    MediaFormat.handbook: "คู่มือ (Handbook)",
    MediaFormat.video: "คลิปวิดีโอ (Video clip)",
    MediaFormat.website: "เว็บไซต์ (Website)",
    MediaFormat.other: "สื่ออื่น ๆ (Other)",
}


class EvidenceQR(BaseModel):
    """One evidence field: the QR code encodes `url`, printed under the code as well."""

    label: str
    url: str


class Header(BaseModel):
    department: str
    indicator: str
    period: str  # รอบการประเมินที่ ๑ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗
    office: str
    title: str  # แบบฟอร์ม ๑ ...
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
    arabic_digits: bool = False


def office_name(province: Province) -> str:
    return f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{province.name_th}"


def _numbers(form: int) -> list[int]:
    """The steps form `form` reports on (Form 1: 1, 2, 3)."""
    return [s.number for s in reported_on(form)]


def header(province: Province, config: RoundConfig, *, form: int, arabic: bool) -> Header:
    covered = _numbers(form)
    first, last = covered[0], covered[-1]
    return Header(
        department=DEPARTMENT,
        indicator=digits(INDICATOR, arabic=arabic),
        period=digits(
            f"รอบการประเมินที่ {config.round_number} ประจำปีงบประมาณ พ.ศ. {config.fiscal_year_be}", arabic=arabic
        ),
        office=office_name(province),
        title="แบบรายงานผลการดำเนินงาน",
        steps=digits(f"(ขั้นตอนที่ {first} - {last})", arabic=arabic),
    )


def signature(report: ReportInput, province: Province) -> Signature:
    return Signature(
        name=f"({report.signer_name})" if report.signer_name else "(" + "." * 30 + ")",
        position=report.signer_position or "ตำแหน่ง " + "." * 30,
        office=office_name(province),
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


def medium_block(number: int, medium: MediaInput, *, arabic: bool) -> MediumBlock:
    aspect = parse_aspect(medium.lpa_aspect)
    return MediumBlock(
        number=digits(number, arabic=arabic),
        title=digits(medium.title, arabic=arabic),
        aspect=aspect.name_th,
        background=digits(medium.background, arabic=arabic),
        content=digits(medium.content, arabic=arabic),
        key_points=[digits(p, arabic=arabic) for p in medium.key_points],
        agency=digits(medium.agency, arabic=arabic),
        format=FORMAT_NAMES[medium.format],
        qr=EvidenceQR(label=digits(f"สื่อเรื่องที่ {number}", arabic=arabic), url=medium.link or ""),
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
) -> Form1Context:
    """Form 1 (steps 1–3) from the recorded plan and media; `done` maps step to its completion date."""
    arabic = report.arabic_digits
    return Form1Context(
        header=header(province, config, form=1, arabic=arabic),
        plan_rows=[
            PlanRow(
                number=digits(i, arabic=arabic),
                activity=digits(a.activity, arabic=arabic),
                period=_period(a.start, a.end, arabic=arabic),
                responsible=a.responsible or "-",
            )
            for i, a in enumerate(plan.activities, start=1)
        ],
        plan_qr=EvidenceQR(label="แผนและขั้นตอนการดำเนินงาน", url=plan_link),
        steps=step_rows(config, _numbers(1), {**done, report_step(1).number: report_day}, arabic=arabic),
        media=[medium_block(i, m, arabic=arabic) for i, m in enumerate(media.media, start=1)],
        report_date=thai_date(report_day, arabic=arabic),
        signature=signature(report, province),
        arabic_digits=arabic,
    )


def _fmt(value: float | None, *, arabic: bool, decimals: int = 2) -> str:
    return "-" if value is None else thai_number(value, arabic=arabic, decimals=decimals)


BAND_NOTES: dict[BandScheme, str] = {
    BandScheme.width_0_8: "เกณฑ์การแปลผลค่าเฉลี่ย: 4.21 - 5.00 มากที่สุด, 3.41 - 4.20 มาก, 2.61 - 3.40 ปานกลาง, "
    "1.81 - 2.60 น้อย, 1.00 - 1.80 น้อยที่สุด",
    BandScheme.width_0_5: "เกณฑ์การแปลผลค่าเฉลี่ย: 4.51 - 5.00 มากที่สุด, 3.51 - 4.50 มาก, 2.51 - 3.50 ปานกลาง, "
    "1.51 - 2.50 น้อย, 1.00 - 1.50 น้อยที่สุด",
}
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
) -> SatisfactionSummary | None:
    """Per item and overall: mean, sample SD, share satisfied (4 or 5), Thai band; who answered; comments."""
    if result is None or not result.items:
        return None
    s = summarize(result, scheme=scheme, laos_disseminated=laos_disseminated)
    num = lambda v, d=2: _fmt(v, arabic=arabic, decimals=d)  # noqa: E731
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
    by_type = " ".join(f"{t} {thai_number(n, arabic=arabic)} ราย" for t, n in s.by_type.items())
    coverage = ""
    if s.coverage_percent is not None:
        coverage = (
            f"อปท. ที่ตอบแบบสำรวจ {num(s.laos_answered, 0)} แห่ง จาก {num(s.laos_disseminated, 0)} แห่ง"
            f"ที่ได้รับการเผยแพร่ คิดเป็นร้อยละ {num(s.coverage_percent)}"
        )
    # Respondents' comments are a survey export's text, checked by no input model: what the font cannot print goes
    # (a comment that was only emoji, with it), and the same comment from many respondents is listed once.
    grouped = Counter(c for c in (printable(c).strip() for c in s.comments) if c).most_common()
    comments = [digits(c if n == 1 else f"{c} ({n} ราย)", arabic=arabic) for c, n in grouped[:SHOWN_COMMENTS]]
    if len(grouped) > SHOWN_COMMENTS:
        comments.append(
            digits(f"และความคิดเห็นอื่นอีก {len(grouped) - SHOWN_COMMENTS:,} รายการ (ดูไฟล์ผลการสำรวจในหลักฐาน)", arabic=arabic)
        )
    return SatisfactionSummary(
        levels=list(SATISFACTION_LEVELS),
        respondents=thai_number(s.n, arabic=arabic),
        rows=rows,
        overall_mean=num(s.overall.mean),
        overall_sd=num(s.overall.sd),
        overall_percent=num(s.overall.percent_satisfied),
        overall_band=s.overall.band_th,
        band_note=digits(BAND_NOTES[scheme], arabic=arabic),
        by_type=by_type if result.by_type else "",
        coverage=coverage,
        comments=comments,
        chart_title=digits("ค่าเฉลี่ยความพึงพอใจรายข้อ (คะแนนเต็ม 5)", arabic=arabic),
        bars=[
            ChartBar(label=r.item, value=r.mean, fraction=(i.mean or 0) / 5) for r, i in zip(rows, s.items, strict=True)
        ],
    )


def _event_note(e: DisseminationEvent, *, arabic: bool) -> str:
    parts = [e.description] if e.description else []
    if e.laos:
        shown = ", ".join(e.laos[:4])
        parts.append(shown + (f" และอีก {len(e.laos) - 4} แห่ง" if len(e.laos) > 4 else ""))
    elif e.laos_by_type:
        parts.append(" ".join(f"{t.value}\u00a0{n}\u00a0แห่ง" for t, n in e.laos_by_type.items() if n))
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
) -> Form2Context:
    """Form 2 (steps 4–5) from the recorded dissemination and survey."""
    arabic = report.arabic_digits
    events = dissemination.events
    laos = dissemination.laos_reached
    people = sum(e.participants for e in events)
    survey = survey_of(dissemination)
    summary = summarize_satisfaction(survey, arabic=arabic, scheme=config.survey.bands, laos_disseminated=laos)
    respondents = survey.respondents if survey else dissemination.survey_respondents
    results = report.summary or (
        f"สำนักงานได้นำสื่อไปชี้แจง ถ่ายทอด และแนะนำให้องค์กรปกครองส่วนท้องถิ่น จำนวน {len(events)} ครั้ง "
        f"รวม {laos:,} แห่ง ผู้เข้าร่วม {people:,} คน และสำรวจความพึงพอใจ มีผู้ตอบแบบสำรวจ {respondents:,} ราย"
        + (
            f" ความพึงพอใจโดยรวมอยู่ในระดับ{summary.overall_band} (ค่าเฉลี่ย {summary.overall_mean} "
            f"ร้อยละ {summary.overall_percent} พึงพอใจในระดับมากขึ้นไป)"
            if summary
            else ""
        )
    )
    return Form2Context(
        header=header(province, config, form=2, arabic=arabic),
        steps=step_rows(config, _numbers(2), {**done, report_step(2).number: report_day}, arabic=arabic),
        strategy=digits(dissemination.strategy or "-", arabic=arabic),
        events=[
            EventRow(
                number=digits(i, arabic=arabic),
                date=thai_date(e.date, arabic=arabic, short=True),
                channel=digits(e.channel_th, arabic=arabic),
                laos=thai_number(e.laos_reached or 0, arabic=arabic),
                participants=thai_number(e.participants, arabic=arabic),
                description=_event_note(e, arabic=arabic),
            )
            for i, e in enumerate(events, start=1)
        ],
        total_laos=thai_number(laos, arabic=arabic),
        total_participants=thai_number(people, arabic=arabic),
        satisfaction=summary,
        no_survey_note="" if summary else "ยังไม่มีผลการสำรวจความพึงพอใจรายข้อ",
        results=digits(results, arabic=arabic),
        evidence=[
            EvidenceQR(label="หลักฐานการนำสื่อไปชี้แจง ถ่ายทอด และแนะนำ", url=dissemination_link),
            EvidenceQR(label="หลักฐานการประเมินความพึงพอใจ", url=survey_link),
        ],
        report_date=thai_date(report_day, arabic=arabic),
        signature=signature(report, province),
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
    d = lambda text: digits(text, arabic=arabic)  # noqa: E731
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
