"""Sample inputs for the national demo: every office's plan, media, reports and dissemination.

Deterministic for a seed. Most offices finish on time; some report late by a few working days,
some have not reached the later steps, so the score table shows penalties and gaps.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time

from kpi6.models.calendar import BANGKOK, WorkingDayCalendar
from kpi6.models.inputs import (
    DisseminationEvent,
    DisseminationInput,
    MediaInput,
    MediaSetInput,
    PlanActivity,
    PlanInput,
    ProvinceInputs,
    ReportInput,
    SatisfactionItem,
)
from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from prefect import task
from prefect.cache_policies import NO_CACHE

# (profile, how many offices): late_1 = Form 1 late, late_2 = Form 2 late, stop_N = nothing after step N.
PROFILES: tuple[tuple[str, int], ...] = (
    ("on_time", 46), ("late_1", 10), ("late_2", 8), ("late_both", 5), ("stop_4", 4), ("stop_2", 3),
)

TOPICS: tuple[tuple[str, str, str], ...] = (
    ("การขึ้นทะเบียนทางหลวงท้องถิ่น", "ด้านการบริการสาธารณะ", "handbook"),
    ("การตรวจคุณภาพน้ำประปา", "ด้านการบริการสาธารณะ", "infographic"),
    ("การจัดการเรื่องร้องเรียนร้องทุกข์", "ด้านธรรมาภิบาล", "infographic"),
    ("การจัดเก็บรายได้", "ด้านการบริหารงานการเงินและการคลัง", "ebook"),
    ("การบริหารงานบุคคล", "ด้านการบริหารงานบุคคลและกิจการสภา", "video"),
    ("การจัดการขยะมูลฝอย", "ด้านการบริการสาธารณะ", "website"),
    ("การจัดการศึกษา", "ด้านการบริหารจัดการ", "handbook"),
)

NAMES = ("สมชาย ใจดี", "ประเสริฐ มั่นคง", "วิชัย สุขสวัสดิ์", "อนุชา ศรีสุข", "ธนพล วงศ์ไทย")
SURVEY_ITEMS = ("ความชัดเจนของเนื้อหา", "ประโยชน์ต่อการปฏิบัติงาน", "ความเหมาะสมของช่องทางการเผยแพร่")


def _answers(rng: random.Random, respondents: int) -> list[int]:
    """How many respondents chose each level, most satisfied first; mostly satisfied."""
    weights = [rng.uniform(3, 6), rng.uniform(3, 5), rng.uniform(1, 2), rng.uniform(0, 0.6), rng.uniform(0, 0.3)]
    counts = [int(respondents * w / sum(weights)) for w in weights]
    counts[0] += respondents - sum(counts)
    return counts


CHANNELS = ("การประชุมชี้แจง", "การฝึกอบรม", "การประชุมออนไลน์", "หนังสือราชการ", "กลุ่มไลน์", "เว็บไซต์")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK)


def _medium(topic: tuple[str, str, str], office: str, code: str, n: int) -> MediaInput:
    title, aspect, fmt = topic
    # Videos and websites are the office's own; kpi6 generates infographics, handbooks and e-books.
    link = f"https://media.example.go.th/{code}/{n}" if fmt in ("video", "website") else None
    return MediaInput(
        title=f"{title} เพื่อยกระดับผลการประเมิน LPA",
        lpa_aspect=aspect,
        background=f"ผลการประเมิน LPA พบว่า อปท. ในจังหวัดยังมีคะแนนเรื่อง{title}ต่ำกว่าเกณฑ์",
        content=f"ความรู้ แนวทาง และขั้นตอนการดำเนินงานเรื่อง{title}ที่ อปท. นำไปใช้ได้ทันที",
        agency=office,
        format=fmt,
        key_points=[f"ศึกษาหลักเกณฑ์เรื่อง{title}", "ตรวจสอบข้อมูลของ อปท. ให้ครบถ้วน", "ดำเนินการตามขั้นตอนและรายงานผล"],
        link=link,
    )


def province_inputs(config: RoundConfig, code: str, profile: str, rng: random.Random) -> ProvinceInputs:
    """One office's inputs for the round, shaped by its profile."""
    cal: WorkingDayCalendar = config.working_calendar()
    province = registry().get(code)
    office = f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{province.name_th}"
    d = {s.number: s.deadline for s in config.steps}
    start, _ = config.period

    def early(step: int) -> datetime:  # on a working day up to 3 working days before the deadline
        return _at(cal.shift_working_days(d[step], -rng.randint(0, 3)), rng.randint(9, 16), rng.choice((0, 30)))

    def late(step: int) -> datetime:
        return _at(cal.shift_working_days(d[step], rng.randint(1, 4)), rng.randint(9, 16), 15)

    topics = rng.sample(TOPICS, 2)
    plan = PlanInput(
        activities=[
            PlanActivity(activity="วิเคราะห์ผล LPA และเลือกหัวข้อสื่อ", start=start, end=cal.shift_working_days(d[1], -5)),
            PlanActivity(activity="จัดทำสื่อ 2 เรื่อง", start=d[1], end=d[2]),
            PlanActivity(activity="รายงานผลตามแบบฟอร์ม 1", start=d[2], end=d[3]),
            PlanActivity(activity="เผยแพร่สื่อและสำรวจความพึงพอใจ", start=d[3], end=d[4]),
            PlanActivity(activity="รายงานผลตามแบบฟอร์ม 2", start=d[4], end=d[5]),
        ],
        done_at=early(1),
    )
    media = MediaSetInput(media=[_medium(t, office, code, i) for i, t in enumerate(topics, start=1)],
                          done_at=early(2))
    inputs = ProvinceInputs(plan=plan, media=media)
    if profile == "stop_2":
        return inputs
    late1 = profile in ("late_1", "late_both")
    signer = {"signer_name": f"นาย{rng.choice(NAMES)}", "signer_position": f"ท้องถิ่นจังหวัด{province.name_th}"}
    inputs.form1 = ReportInput(submitted_at=late(3) if late1 else early(3), channel="email", **signer)
    event_days = sorted({cal.shift_working_days(d[3], k) for k in rng.sample(range(2, 15), 3)})
    inputs.dissemination = DisseminationInput(
        events=[
            DisseminationEvent(date=day, channel=rng.choice(CHANNELS), laos_reached=rng.randint(10, 80),
                               participants=rng.randint(20, 200))
            for day in event_days
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


def demo_inputs(config: RoundConfig, seed: int) -> dict[str, ProvinceInputs]:
    """Inputs for all 76 offices, profiles shuffled by the seed."""
    rng = random.Random(seed)
    profiles = [name for name, count in PROFILES for _ in range(count)]
    codes = [p.code for p in registry()]
    if len(profiles) != len(codes):
        raise ValueError("demo profiles must cover every province exactly once")
    rng.shuffle(profiles)
    return {code: province_inputs(config, code, prof, rng) for code, prof in zip(codes, profiles, strict=True)}


@task(cache_policy=NO_CACHE)
def generate_demo_inputs(config: RoundConfig, seed: int) -> dict[str, ProvinceInputs]:
    """Generate the demo's sample inputs for every province."""
    return demo_inputs(config, seed)
