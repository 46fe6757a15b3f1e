"""Sample inputs for the national demo: every office's plan, media, reports and dissemination.

Deterministic for a seed. Most offices finish on time; some report late by a few working days,
some have not reached the later steps, so the score table shows penalties and gaps.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypedDict

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.calendar import BANGKOK, WorkingDayCalendar
from kpi6.models.inputs import (
    Channel,
    DisseminationEvent,
    DisseminationInput,
    LaoType,
    MediaInput,
    MediaSetInput,
    PlanTopic,
    ProvinceInputs,
    ReportInput,
    SatisfactionItem,
    SurveySource,
)
from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from kpi6.tasks.topics import LPA_COLUMNS, analyse_rows, proposed_plan

# (profile, how many offices): late_1 = Form 1 late, late_2 = Form 2 late, stop_N = nothing after step N.
PROFILES: tuple[tuple[str, int], ...] = (
    ("on_time", 46),
    ("late_1", 10),
    ("late_2", 8),
    ("late_both", 5),
    ("stop_4", 4),
    ("stop_2", 3),
)

NAMES = ("สมชาย ใจดี", "ประเสริฐ มั่นคง", "วิชัย สุขสวัสดิ์", "อนุชา ศรีสุข", "ธนพล วงศ์ไทย")
SURVEY_ITEMS = ("ความชัดเจนของเนื้อหา", "ประโยชน์ต่อการปฏิบัติงาน", "ความเหมาะสมของช่องทางการเผยแพร่", "ความพึงพอใจต่อสื่อโดยรวม")
PLACE_HEADS = ("หนอง", "ดอน", "โนน", "นา", "ห้วย", "บ่อ", "ท่า", "วัง", "โพธิ์", "ทุ่ง", "ป่า", "แม่", "สัน", "เวียง")
PLACE_TAILS = (
    "ใหม่",
    "แก้ว",
    "ทอง",
    "คำ",
    "บัว",
    "สูง",
    "ทราย",
    "ศาลา",
    "แดง",
    "เหนือ",
    "ใต้",
    "งาม",
    "หลวง",
    "น้อย",
    "เจริญ",
    "สว่าง",
    "ไผ่",
    "ยาง",
)


def place(i: int) -> str:
    """A made-up Thai place name, different for each i (หนองใหม่, ดอนแก้ว, ..., then หนองใหม่พัฒนา, ...)."""
    n = len(PLACE_HEADS) * len(PLACE_TAILS)
    name = f"{PLACE_HEADS[i % len(PLACE_HEADS)]}{PLACE_TAILS[(i // len(PLACE_HEADS)) % len(PLACE_TAILS)]}"
    return name + ("พัฒนา" if i >= n else "")


POSITIONS = ("ปลัด อปท.", "ผู้อำนวยการกอง", "นักวิเคราะห์นโยบายและแผน", "นักทรัพยากรบุคคล", "เจ้าพนักงานธุรการ")
COMMENTS = (
    "อยากให้จัดทำเป็นคลิปวิดีโอสั้นเพิ่มเติม",
    "เนื้อหาเข้าใจง่าย นำไปใช้ได้จริง",
    "ควรจัดอบรมเชิงปฏิบัติการเพิ่ม",
    "ขอให้ส่งไฟล์ผ่านกลุ่มไลน์ของจังหวัดด้วย",
)


def _answers(rng: random.Random, respondents: int) -> list[int]:
    """How many respondents chose each level, most satisfied first; mostly satisfied."""
    weights = [rng.uniform(3, 6), rng.uniform(3, 5), rng.uniform(1, 2), rng.uniform(0, 0.6), rng.uniform(0, 0.3)]
    counts = [int(respondents * w / sum(weights)) for w in weights]
    counts[0] += respondents - sum(counts)
    return counts


CHANNELS = tuple(c for c in Channel if c is not Channel.other)


def _by_type(rng: random.Random, k: int) -> dict[LaoType, int]:
    """How many LAOs of each type an event reached (the first event, a province meeting, reaches the most)."""
    scale = 1.0 if k == 0 else rng.uniform(0.3, 0.8)
    return {
        LaoType.pao: 1,
        LaoType.municipality: max(1, int(rng.randint(8, 30) * scale)),
        LaoType.sao: max(1, int(rng.randint(20, 90) * scale)),
    }


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK)


def _medium(topic: PlanTopic, office: str, code: str, n: int) -> MediaInput:
    # Videos and websites are the office's own; kpi6 generates infographics, handbooks and e-books.
    link = f"https://media.example.go.th/{code}/{n}" if topic.format in ("video", "website", "other") else None
    return MediaInput(
        title=topic.title,
        lpa_aspect=topic.aspect,
        background=topic.background,
        content=topic.content or f"ความรู้ แนวทาง และขั้นตอนการดำเนินงานเรื่อง{topic.title}ที่ อปท. นำไปใช้ได้ทันที",
        agency=office,
        format=topic.format,
        link=link,
        key_points=topic.key_points
        or [f"ศึกษาหลักเกณฑ์เรื่อง{topic.title}", "ตรวจสอบข้อมูลของ อปท. ให้ครบถ้วน", "ดำเนินการตามขั้นตอนและรายงานผล"],
    )


def province_inputs(
    config: RoundConfig, code: str, profile: str, rng: random.Random, *, seed: int = 6, lpa_dir: Path | None = None
) -> ProvinceInputs:
    """One office's inputs for the round, shaped by its profile (its LPA results file goes to `lpa_dir`)."""
    cal: WorkingDayCalendar = config.working_calendar()
    province = registry().get(code)
    office = f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{province.name_th}"
    d = {s.number: s.deadline for s in config.steps}

    def early(step: int) -> datetime:  # on a working day up to 3 working days before the deadline
        return _at(cal.shift_working_days(d[step], -rng.randint(0, 3)), rng.randint(9, 16), rng.choice((0, 30)))

    def late(step: int) -> datetime:
        return _at(cal.shift_working_days(d[step], rng.randint(1, 4)), rng.randint(9, 16), 15)

    # Step 1 from the office's LPA results: the two topics `kpi6 topics` proposes, the plan dated back from
    # the deadlines; step 2's media are on those topics, with the proposal's background.
    rows = province_lpa_rows(code, seed)
    analysis = analyse_rows(rows, province=province, config=config, source=f"{code}-lpa.csv")
    plan = proposed_plan(analysis, config)
    evidence = [str(write_lpa_csv(lpa_dir / f"{code}-lpa.csv", rows))] if lpa_dir else []
    plan = plan.model_copy(update={"done_at": early(1), "evidence": evidence})
    media = MediaSetInput(
        media=[_medium(t, office, code, i) for i, t in enumerate(plan.topics, start=1)], done_at=early(2)
    )
    inputs = ProvinceInputs(plan=plan, media=media)
    if profile == "stop_2":
        return inputs
    late1 = profile in ("late_1", "late_both")
    signer = {"signer_name": f"นาย{rng.choice(NAMES)}", "signer_position": f"ท้องถิ่นจังหวัด{province.name_th}"}
    inputs.form1 = ReportInput(submitted_at=late(3) if late1 else early(3), channel="email", **signer)
    event_days = sorted({cal.shift_working_days(d[3], k) for k in rng.sample(range(2, 15), 3)})
    inputs.dissemination = DisseminationInput(
        events=[
            DisseminationEvent(
                date=day, channel=rng.choice(CHANNELS), laos_by_type=_by_type(rng, k), participants=rng.randint(20, 200)
            )
            for k, day in enumerate(event_days)
        ],
        strategy="ชี้แจงในการประชุมประจำเดือน อปท. ถ่ายทอดผ่านช่องทางออนไลน์ และติดตามผลด้วยแบบสำรวจความพึงพอใจ",
        survey_respondents=(respondents := rng.randint(30, 150)),
        satisfaction=[SatisfactionItem(item=q, counts=_answers(rng, respondents)) for q in SURVEY_ITEMS],
        done_at=early(4),
    )
    if profile == "stop_4":
        return inputs
    late2 = profile in ("late_2", "late_both")
    inputs.form2 = ReportInput(submitted_at=late(5) if late2 else early(5), channel="email", **signer)
    return inputs


DemoRun = tuple[ProvinceInputs, datetime | None]  # a province run's inputs and the clock it runs at


def demo_runs(inputs: ProvinceInputs) -> list[DemoRun]:
    """An office's round as the runs it would make: steps 1–3 when Form 1 goes out, steps 4–5 when Form 2 does.

    The sample reports carry in `submitted_at` the moment they are to be sent; here that moment becomes the
    run's clock and leaves the input, so kpi6 sends the e-mail then and records the server's acceptance as the
    submission time, on a real mail server as in the outbox."""

    def at_send(report: ReportInput | None) -> tuple[ReportInput | None, datetime | None]:
        if report is None or report.channel != "email" or report.submitted_at is None:
            return report, None
        return report.model_copy(update={"submitted_at": None}), report.submitted_at

    form1, clock1 = at_send(inputs.form1)
    runs: list[DemoRun] = [(ProvinceInputs(plan=inputs.plan, media=inputs.media, form1=form1), clock1)]
    if inputs.dissemination is not None or inputs.form2 is not None:
        form2, clock2 = at_send(inputs.form2)
        runs.append((ProvinceInputs(dissemination=inputs.dissemination, form2=form2), clock2))
    return runs


def demo_inputs(config: RoundConfig, seed: int, lpa_dir: Path | None = None) -> dict[str, ProvinceInputs]:
    """Inputs for all 76 offices, profiles shuffled by the seed; with `lpa_dir`, their LPA results files."""
    rng = random.Random(seed)
    profiles = [name for name, count in PROFILES for _ in range(count)]
    codes = [p.code for p in registry()]
    if len(profiles) != len(codes):
        raise ValueError("demo profiles must cover every province exactly once")
    rng.shuffle(profiles)
    if lpa_dir:
        lpa_dir.mkdir(parents=True, exist_ok=True)
    return {
        code: province_inputs(config, code, prof, rng, seed=seed, lpa_dir=lpa_dir)
        for code, prof in zip(codes, profiles, strict=True)
    }


@task(cache_policy=NO_CACHE)
def generate_demo_inputs(config: RoundConfig, seed: int, files_dir: str | None = None) -> dict[str, ProvinceInputs]:
    """Generate the demo's sample inputs for every province; with `files_dir`, the files an office would have
    too: its LPA results (`lpa/`, step 1 proposes its plan from them) and its survey export (`surveys/`)."""
    if not files_dir:
        return demo_inputs(config, seed)
    inputs = demo_inputs(config, seed, Path(files_dir) / "lpa")
    return with_survey_files(config, inputs, Path(files_dir) / "surveys", seed)


# --- survey exports, as Google Forms (Thai, CSV) and Microsoft Forms (XLSX) write them -----------------


def lao_pool(rng: random.Random, province_th: str, counts: dict[LaoType, int]) -> list[tuple[str, LaoType]]:
    """Made-up LAO names of a province: อบจ.<province>, เทศบาลตำบล<place>, อบต.<place>."""
    pool: list[tuple[str, LaoType]] = []
    for kind, n in counts.items():
        for i in range(n):
            if kind is LaoType.pao:
                pool.append((f"อบจ.{province_th}", kind))
            else:
                pool.append((f"เทศบาลตำบล{place(i)}" if kind is LaoType.municipality else f"อบต.{place(i)}", kind))
    return list(dict.fromkeys(pool))


class SurveyRow(TypedDict):
    """One respondent's answers as the demo's survey exports hold them."""

    at: datetime
    lao: str
    type: str
    position: str
    ratings: list[int]
    comment: str


def survey_answers(
    rng: random.Random,
    *,
    respondents: int,
    laos: list[tuple[str, LaoType]],
    start: date,
    end: date,
    items: tuple[str, ...] = SURVEY_ITEMS,
) -> list[SurveyRow]:
    """One dict per respondent: when, who, a 1–5 rating per item (mostly satisfied), sometimes a comment."""
    weights = [rng.uniform(3, 6), rng.uniform(3, 5), rng.uniform(1, 2), rng.uniform(0, 0.6), rng.uniform(0, 0.3)]
    days = max((end - start).days, 1)
    rows: list[SurveyRow] = []
    for k in range(respondents):
        name, kind = laos[k % len(laos)]
        moment = datetime.combine(start + timedelta(days=rng.randrange(days)), time(8, 30)) + timedelta(
            seconds=rng.randrange(8 * 3600)
        )  # office hours
        # A second respondent from the same LAO holds another position, so no answer looks sent twice.
        position = POSITIONS[(k // len(laos) + k % len(laos)) % len(POSITIONS)]
        rows.append(
            {
                "at": moment,
                "lao": name,
                "type": kind.value,
                "position": position,
                "ratings": [rng.choices((5, 4, 3, 2, 1), weights)[0] for _ in items],
                "comment": rng.choice(COMMENTS) if rng.random() < 0.15 else "",
            }
        )
    rows.sort(key=lambda r: r["at"])
    return rows


LEVEL_LABELS = {5: "มากที่สุด", 4: "มาก", 3: "ปานกลาง", 2: "น้อย", 1: "น้อยที่สุด"}


def write_google_csv(path: Path, rows: list[SurveyRow], items: tuple[str, ...] = SURVEY_ITEMS) -> Path:
    """Google Forms in Thai: ประทับเวลา as d/m/BE, the levels as Thai labels, UTF-8 with BOM."""
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "ประทับเวลา",
                "ชื่อ อปท.",
                "ประเภท อปท.",
                "ตำแหน่ง",
                *(f"{i}. {q}" for i, q in enumerate(items, 1)),
                "ข้อเสนอแนะเพิ่มเติม",
            ]
        )
        for r in rows:
            at = r["at"]
            w.writerow(
                [
                    f"{at.day}/{at.month}/{at.year + 543}, {at:%H:%M:%S}",
                    r["lao"],
                    r["type"],
                    r["position"],
                    *(LEVEL_LABELS[v] for v in r["ratings"]),
                    r["comment"],
                ]
            )
    return path


def write_msforms_xlsx(path: Path, rows: list[SurveyRow], items: tuple[str, ...] = SURVEY_ITEMS) -> Path:
    """Microsoft Forms: ID, Start time, Completion time (date cells), numbers 1–5, one sheet."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(
        [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "ชื่อองค์กรปกครองส่วนท้องถิ่น",
            "ประเภท อปท.",
            "ตำแหน่ง",
            *items,
            "ข้อเสนอแนะ",
        ]
    )
    for k, r in enumerate(rows, 1):
        at = r["at"]
        sheet.append(
            [
                k,
                at - timedelta(minutes=3),
                at,
                "anonymous",
                "",
                r["lao"],
                r["type"],
                r["position"],
                *r["ratings"],
                r["comment"] or None,
            ]
        )
    book.save(path)
    return path


def with_survey_files(
    config: RoundConfig, inputs: dict[str, ProvinceInputs], folder: Path, seed: int
) -> dict[str, ProvinceInputs]:
    """Each office that reached step 4 gets a survey export (odd ones Google CSV, even ones MS Forms XLSX)
    from the LAOs its events reached; step 4 imports it instead of typed-in counts."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for n, (code, pi) in enumerate(inputs.items()):
        d = pi.dissemination
        if d is None:
            out[code] = pi
            continue
        rng = random.Random(f"{seed}-{code}")
        biggest = {t: max(e.laos_by_type.get(t, 0) for e in d.events) for t in LaoType}
        laos = lao_pool(rng, registry().get(code).name_th, biggest)
        start = min(e.date for e in d.events)
        end = d.done_at.date() if d.done_at else config.step(4).deadline
        rows = survey_answers(
            rng, respondents=rng.randint(len(laos) // 2, len(laos) + 20), laos=laos, start=start, end=end
        )
        path = (
            write_google_csv(folder / f"{code}-survey.csv", rows)
            if n % 2 == 0
            else write_msforms_xlsx(folder / f"{code}-survey.xlsx", rows)
        )
        out[code] = pi.model_copy(
            update={
                "dissemination": d.model_copy(
                    update={"satisfaction": [], "survey_respondents": 0, "survey_file": SurveySource(file=str(path))}
                )
            }
        )
    return out


# --- LPA results, one row per LAO and indicator ---------------------------------------------------------

# Sample indicators (code, aspect number, name, full score) in the shape of the LPA; DLA's real list differs.
LPA_INDICATORS: tuple[tuple[str, int, str, int], ...] = (
    ("1.1", 1, "การจัดทำแผนพัฒนาท้องถิ่น", 10),
    ("1.2", 1, "การจัดทำข้อบัญญัติงบประมาณรายจ่ายประจำปี", 5),
    ("1.3", 1, "การจัดการศึกษาและศูนย์พัฒนาเด็กเล็ก", 10),
    ("2.1", 2, "การจัดทำแผนอัตรากำลัง", 5),
    ("2.2", 2, "การพัฒนาบุคลากร", 5),
    ("2.3", 2, "การประชุมสภาท้องถิ่น", 5),
    ("3.1", 3, "การจัดเก็บรายได้ (ภาษีที่ดินและสิ่งปลูกสร้าง)", 10),
    ("3.2", 3, "การจัดทำบัญชีและรายงานการเงิน", 5),
    ("3.3", 3, "การจัดซื้อจัดจ้าง", 5),
    ("4.1", 4, "การขึ้นทะเบียนทางหลวงท้องถิ่น", 10),
    ("4.2", 4, "การตรวจคุณภาพน้ำประปา", 10),
    ("4.3", 4, "การจัดการขยะมูลฝอย", 10),
    ("4.4", 4, "การป้องกันและบรรเทาสาธารณภัย", 5),
    ("5.1", 5, "การจัดการเรื่องร้องเรียนร้องทุกข์", 5),
    ("5.2", 5, "การเปิดเผยข้อมูลข่าวสาร", 5),
    ("5.3", 5, "การป้องกันการทุจริต", 10),
)


def lpa_rows(rng: random.Random, laos: list[tuple[str, LaoType]], weak: dict[str, float]) -> list[list[object]]:
    """Every LAO's score on every sample indicator; indicator codes in `weak` pass with the given probability,
    the rest with 80–97%. A pass scores 70–100% of full, a fail 20–69%."""
    rows: list[list[object]] = []
    odds = {code: weak.get(code, rng.uniform(0.80, 0.97)) for code, *_ in LPA_INDICATORS}
    for name, kind in laos:
        for code, aspect, title, full in LPA_INDICATORS:
            passed = rng.random() < odds[code]
            share = rng.uniform(0.70, 1.0) if passed else rng.uniform(0.20, 0.69)
            rows.append([name, kind.value, aspect, code, title, round(full * share, 2), full])
    return rows


def write_lpa_csv(path: Path, rows: list[list[object]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LPA_COLUMNS)
        w.writerows(rows)
    return path


def province_lpa_rows(code: str, seed: int) -> list[list[object]]:
    """A province's made-up LPA results: its LAOs, two or three indicators many of them fail."""
    rng = random.Random(f"lpa-{seed}-{code}")
    laos = lao_pool(
        rng,
        registry().get(code).name_th,
        {LaoType.pao: 1, LaoType.municipality: rng.randint(8, 40), LaoType.sao: rng.randint(25, 110)},
    )
    weak = {c: rng.uniform(0.35, 0.65) for c in rng.sample([c for c, *_ in LPA_INDICATORS], rng.randint(2, 3))}
    return lpa_rows(rng, laos, weak)


def province_lpa_file(folder: Path, code: str, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_lpa_csv(folder / f"{code}-lpa.csv", province_lpa_rows(code, seed))
