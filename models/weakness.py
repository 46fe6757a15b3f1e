"""Step 1 from evidence: the province's LPA results, its weakest indicators, and the two topics they call for. Pure.

The letter (มท 0810.7/ว 5157, item 1) tells each office to choose its two media topics "by looking at where
most LAOs of the province still fall short or score low in the LPA". Here that is measured: the share of
the province's LAOs below a threshold on each indicator and aspect, ranked; a catalogue of topics tied to
aspects and indicators; the two topics that cover the weakest indicators, each with a background paragraph
in Thai quoting the numbers; and the plan's dates laid out backwards from the round's deadlines.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from kpi6.models.calendar import WorkingDayCalendar
from kpi6.models.inputs import PlanActivity, PlanInput, PlanTopic
from kpi6.models.lpa import LaoType, LpaAspect, lao_type_of, parse_aspect
from kpi6.models.round import PlanningRules, RoundConfig
from kpi6.models.survey import Problem, Table, cell_text, match_headers
from kpi6.models.thai import arabic_digits

# --- results ----------------------------------------------------------------------------------------

RESULT_HEADERS: dict[str, tuple[str, ...]] = {
    "lao_name": ("ชื่อ อปท.", "ชื่อ อปท", "อปท.", "ชื่อองค์กรปกครองส่วนท้องถิ่น", "lao", "lao name", "lao_name"),
    "lao_type": ("ประเภท อปท.", "ประเภท", "ประเภท อปท", "lao type", "lao_type", "type"),
    "aspect": ("ด้าน", "ด้านที่", "aspect"),
    "indicator": ("ตัวชี้วัด", "รหัสตัวชี้วัด", "ตัวชี้วัดที่", "indicator", "indicator code", "indicator_code", "code"),
    "indicator_name": ("ชื่อตัวชี้วัด", "indicator name", "indicator_name"),
    "score": ("คะแนน", "คะแนนที่ได้", "score"),
    "full_score": ("คะแนนเต็ม", "full score", "full_score", "full"),
    "result": ("ผล", "ผลการประเมิน", "ผ่าน/ไม่ผ่าน", "result", "pass"),
}
REQUIRED = ("lao_name", "aspect", "indicator")
PASS_WORDS = {
    "ผ่าน": True,
    "ไม่ผ่าน": False,
    "pass": True,
    "fail": False,
    "passed": True,
    "failed": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
}
_ASPECT_NUMBER = re.compile(r"^(?:ด้านที่\s*)?([1-5])(?:\.0)?$")


class LpaResult(BaseModel):
    """One LAO's result on one indicator: a score out of a full score, or pass/fail."""

    model_config = ConfigDict(frozen=True)

    row: int
    lao_name: str
    lao_type: LaoType
    aspect: LpaAspect
    indicator: str
    indicator_name: str = ""
    score: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    full_score: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    passed: bool | None = None

    @property
    def percent(self) -> float:
        """The score as a percentage of full; a pass/fail result counts 100 or 0."""
        if self.score is not None and self.full_score:
            return 100 * self.score / self.full_score
        return 100.0 if self.passed else 0.0

    def below(self, threshold_percent: float) -> bool:
        if self.score is not None and self.full_score:
            return self.percent < threshold_percent
        return not self.passed


def parse_aspect_cell(text: str) -> LpaAspect:
    """`4`, `ด้านที่ 4`, `ด้านการบริการสาธารณะ`, `บริการสาธารณะ` or `public services`."""
    m = _ASPECT_NUMBER.match(" ".join(str(text).split()))
    if m:
        return list(LpaAspect)[int(m[1]) - 1]
    return parse_aspect(str(text))


def _number(value: object) -> float | None:
    """A score cell as a finite number (`inf`, `nan` and `1e999` read as floats, but are no one's score)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = arabic_digits(value).replace(",", "").strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def result_columns(headers: Sequence[str]) -> dict[str, str]:
    """Which header holds which field; the required ones must be there, and a score or a result."""
    found = match_headers(headers, RESULT_HEADERS)
    missing = [n for n in REQUIRED if n not in found]
    if "score" not in found and "result" not in found:
        missing.append("score (with full_score) or result (ผ่าน/ไม่ผ่าน)")
    if "score" in found and "full_score" not in found:
        missing.append("full_score (คะแนนเต็ม)")
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    return found


def check_results(table: Table) -> tuple[list[LpaResult], list[Problem]]:
    """Every row checked, each problem named by its spreadsheet row and column."""
    cols = result_columns(table.headers)
    index = {h: i for i, h in enumerate(table.headers)}
    results: list[LpaResult] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    meaning: dict[str, tuple[LpaAspect, str, int]] = {}
    for offset, row in enumerate(table.rows):
        number = table.first_row + offset
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue

        def cell(field: str, row: list[object] = row) -> object:
            i = index[cols[field]] if field in cols else len(row)
            return row[i] if i < len(row) else None

        found: list[Problem] = []

        def bad(field: str, kind: str, message: str, found: list[Problem] = found, number: int = number) -> None:
            found.append(Problem(number, cols.get(field, field), kind, message))

        name = cell_text(cell("lao_name"))
        if not name:
            bad("lao_name", "empty_required", "no LAO name")
        kind = lao_type_of(cell_text(cell("lao_type"))) or lao_type_of(name)
        if kind is None:
            bad("lao_type", "unknown_type", f"LAO type {cell_text(cell('lao_type'))!r} is not อบจ., เทศบาล or อบต.")
        try:
            aspect = parse_aspect_cell(cell_text(cell("aspect")))
        except ValueError:
            aspect = None
            bad("aspect", "unknown_aspect", f"aspect {cell_text(cell('aspect'))!r} is not 1–5 or an LPA aspect's name")
        code = cell_text(cell("indicator"))
        if not code:
            bad("indicator", "empty_required", "no indicator code")
        indicator_name = cell_text(cell("indicator_name"))
        score = full = None
        passed: bool | None = None
        try:
            score = _number(cell("score")) if "score" in cols else None
        except ValueError as exc:
            bad("score", "not_a_number", str(exc))
        try:
            full = _number(cell("full_score")) if "full_score" in cols else None
        except ValueError as exc:
            bad("full_score", "not_a_number", str(exc))
        raw_result = cell_text(cell("result")).lower() if "result" in cols else ""
        if raw_result:
            passed = PASS_WORDS.get(raw_result)
            if passed is None:
                bad("result", "unknown_result", f"result {raw_result!r} is not ผ่าน/ไม่ผ่าน (pass/fail)")
        if full is not None and full <= 0:
            bad("full_score", "bad_full_score", f"full score {full:g} is not above 0")
        elif score is not None:
            if full is None:
                bad("full_score", "bad_full_score", "a score needs a full score above 0")
            elif not 0 <= score <= full:
                bad("score", "out_of_range", f"score {score:g} is outside 0–{full:g}")
        elif not raw_result:
            bad("score", "empty_required", "neither a score nor a result")
        if name and code:
            if (name, code) in seen:
                bad("indicator", "duplicate", f"{name} has indicator {code} already on row {seen[(name, code)]}")
            else:
                seen[(name, code)] = number
        if code and aspect is not None:
            earlier = meaning.setdefault(code, (aspect, indicator_name, number))
            if earlier[0] is not aspect:
                bad("aspect", "inconsistent", f"indicator {code} is in {earlier[0].name_th} on row {earlier[2]}")
        if found:
            problems.extend(found)
            continue
        results.append(
            LpaResult(
                row=number,
                lao_name=name,
                lao_type=kind,
                aspect=aspect,
                indicator=code,
                indicator_name=indicator_name or meaning[code][1],
                score=score,
                full_score=full,
                passed=passed,
            )
        )
    return results, problems


# --- weaknesses -------------------------------------------------------------------------------------


class TypeShare(BaseModel):
    n_laos: int
    n_below: int
    share_below: float


class Weakness(BaseModel):
    """How the province's LAOs do on one indicator (or, with `indicator` empty, one aspect)."""

    indicator: str
    indicator_name: str
    aspect: LpaAspect
    n_laos: int
    n_below: int
    share_below: float  # 0..1
    mean_percent: float
    by_type: dict[str, TypeShare]
    rank: int = 0


def _weakness(indicator: str, name: str, aspect: LpaAspect, percents: list[tuple[LaoType, float, bool]]) -> Weakness:
    by: dict[LaoType, list[bool]] = defaultdict(list)
    for kind, _, below in percents:
        by[kind].append(below)
    n = len(percents)
    below_all = sum(b for _, _, b in percents)
    return Weakness(
        indicator=indicator,
        indicator_name=name,
        aspect=aspect,
        n_laos=n,
        n_below=below_all,
        share_below=below_all / n if n else 0.0,
        mean_percent=sum(p for _, p, _ in percents) / n if n else 0.0,
        by_type={
            k.value: TypeShare(n_laos=len(v), n_below=sum(v), share_below=sum(v) / len(v))
            for k in LaoType
            if (v := by.get(k))
        },
    )


def _ranked(items: list[Weakness]) -> list[Weakness]:
    items.sort(key=lambda w: (-w.share_below, w.mean_percent, -w.n_laos, w.indicator))
    return [w.model_copy(update={"rank": i}) for i, w in enumerate(items, 1)]


def rank_indicators(results: Sequence[LpaResult], *, threshold_percent: float = 70.0) -> list[Weakness]:
    """Per indicator: the share of LAOs below `threshold_percent` of full score (or failing), weakest first."""
    groups: dict[str, list[LpaResult]] = defaultdict(list)
    for r in results:
        groups[r.indicator].append(r)
    return _ranked(
        [
            _weakness(
                code,
                rs[0].indicator_name,
                rs[0].aspect,
                [(r.lao_type, r.percent, r.below(threshold_percent)) for r in rs],
            )
            for code, rs in groups.items()
        ]
    )


def rank_aspects(results: Sequence[LpaResult], *, threshold_percent: float = 70.0) -> list[Weakness]:
    """Per aspect: each LAO's total score on the aspect's indicators as a percentage of their full scores."""
    per_lao: dict[tuple[LpaAspect, str], list[LpaResult]] = defaultdict(list)
    for r in results:
        per_lao[(r.aspect, r.lao_name)].append(r)
    groups: dict[LpaAspect, list[tuple[LaoType, float, bool]]] = defaultdict(list)
    for (aspect, _), rs in per_lao.items():
        percent = sum(r.percent for r in rs) / len(rs)
        groups[aspect].append((rs[0].lao_type, percent, percent < threshold_percent))
    return _ranked([_weakness("", aspect.name_th, aspect, p) for aspect, p in groups.items()])


# --- topics and the proposal ------------------------------------------------------------------------


class Topic(BaseModel):
    """A topic a medium can take, tied to its LPA aspect and the indicators it helps (by code or by words)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    title_th: str = Field(min_length=1)
    title_en: str = ""
    aspect: LpaAspect
    indicators: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    format: str = "infographic"
    content_th: str = ""
    key_points: tuple[str, ...] = ()

    def helps(self, w: Weakness) -> bool:
        if w.indicator in self.indicators:
            return True
        return w.aspect is self.aspect and any(k in w.indicator_name for k in self.keywords)


class Proposal(BaseModel):
    topic: Topic
    weaknesses: list[Weakness]  # the weak indicators it covers, weakest first
    background_th: str


def _pct(x: float) -> str:
    return f"{x:.2f}"


def background_th(
    province_th: str, w: Weakness, also: Sequence[Weakness], *, threshold_percent: float, year_be: int | None = None
) -> str:
    """The background/cause paragraph of a medium, quoting the numbers behind its weakness."""
    when = f" ประจำปี พ.ศ. {year_be}" if year_be else ""
    by_type = " ".join(f"{t} {s.n_below:,} จาก {s.n_laos:,} แห่ง" for t, s in w.by_type.items() if s.n_below)
    where = f"ในจังหวัด{province_th}" if province_th else "ที่ได้รับการประเมิน"
    text = (
        f"ผลการประเมินประสิทธิภาพขององค์กรปกครองส่วนท้องถิ่น (LPA){when} ของ อปท. {where} "
        f"{w.aspect.name_th} พบว่า อปท. ที่ไม่ผ่านตัวชี้วัดที่ {w.indicator} {w.indicator_name} "
        f"(ได้คะแนนต่ำกว่าร้อยละ {threshold_percent:g} ของคะแนนเต็ม) มีจำนวน {w.n_below:,} แห่ง "
        f"จาก {w.n_laos:,} แห่ง คิดเป็นร้อยละ {_pct(100 * w.share_below)} "
        f"และมีคะแนนเฉลี่ยร้อยละ {_pct(w.mean_percent)} ของคะแนนเต็ม"
    )
    if by_type:
        text += f" (ไม่ผ่าน: {by_type})"
    others = [o for o in also if o.indicator != w.indicator]
    if others:
        text += " และตัวชี้วัดที่เกี่ยวข้อง " + ", ".join(
            f"{o.indicator} {o.indicator_name} ไม่ผ่าน {o.n_below:,} แห่ง (ร้อยละ {_pct(100 * o.share_below)})"
            for o in others[:2]
        )
    return text + " สำนักงานจึงจัดทำสื่อเรื่องนี้เพื่อช่วยให้ อปท. ยกระดับผลการประเมินในตัวชี้วัดดังกล่าว"


def fallback_topic(w: Weakness) -> Topic:
    """When no catalogue topic helps a weak indicator, the indicator itself becomes the topic."""
    return Topic(
        id=f"indicator-{w.indicator}",
        title_th=f"แนวทางการดำเนินงานตามตัวชี้วัดที่ {w.indicator} {w.indicator_name}".strip(),
        aspect=w.aspect,
        indicators=(w.indicator,),
        format="handbook",
        content_th=f"หลักเกณฑ์ เอกสารหลักฐาน และขั้นตอนที่ อปท. ต้องดำเนินการให้ผ่านตัวชี้วัด {w.indicator_name or w.indicator}",
    )


def propose(
    weaknesses: Sequence[Weakness],
    topics: Sequence[Topic],
    *,
    province_th: str,
    threshold_percent: float = 70.0,
    year_be: int | None = None,
    count: int = 2,
) -> list[Proposal]:
    """The topics that cover the weakest indicators, each on a different weakness.

    Walk the indicators weakest first; an indicator already covered by a chosen topic is skipped; for the
    next one pick the catalogue topic that helps it and covers most LAOs below among the rest (ties: the
    catalogue's order), or make one from the indicator itself."""
    weak = [w for w in weaknesses if w.n_below > 0] or list(weaknesses)
    chosen: list[Proposal] = []
    covered: set[str] = set()
    for w in weak:
        if len(chosen) == count:
            break
        if w.indicator in covered:
            continue
        used = {p.topic.id for p in chosen}
        candidates = [t for t in topics if t.id not in used and t.helps(w)]

        def reach(t: Topic) -> int:
            return sum(x.n_below for x in weak if t.helps(x) and x.indicator not in covered)

        topic = max(candidates, key=reach, default=None) if candidates else None
        if topic is None:
            topic = fallback_topic(w)
        helped = [x for x in weak if topic.helps(x) and x.indicator not in covered]
        covered.update(x.indicator for x in helped)
        chosen.append(
            Proposal(
                topic=topic,
                weaknesses=helped,
                background_th=background_th(
                    province_th, w, helped, threshold_percent=threshold_percent, year_be=year_be
                ),
            )
        )
    return chosen


# --- the plan, backwards from the deadlines ---------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    activity: str
    start: date
    end: date


def plan_from(
    config: RoundConfig,
    proposals: Sequence[Proposal],
    *,
    rules: PlanningRules,
    start: date | None = None,
    responsible: str | None = None,
) -> PlanInput:
    """Implementation steps laid out backwards from the round's deadlines, in working days."""
    cal: WorkingDayCalendar = config.working_calendar()
    d = {s.number: s.deadline for s in config.steps}

    def after(day: date) -> date:
        return cal.shift_working_days(day, 1)

    def back(day: date, n: int) -> date:
        return cal.shift_working_days(day, -n)

    topics = " และ ".join(f"เรื่อง{p.topic.title_th}" for p in proposals) or "2 เรื่อง"
    publish_from = back(d[2], rules.publish_working_days - 1)
    review_from = back(publish_from, rules.review_working_days)
    survey_from = back(d[4], rules.survey_working_days - 1)
    first = after((start or config.period[0]) - timedelta(days=1))  # the first working day from then
    stages = [
        _Stage("วิเคราะห์ผลการประเมิน LPA ของ อปท. ในจังหวัด เลือกหัวข้อสื่อ และจัดทำแผน", min(first, d[1]), d[1]),
        _Stage(f"ยกร่างสื่อ {topics}", after(d[1]), back(review_from, 1)),
        _Stage("ตรวจสอบความถูกต้องของเนื้อหาและปรับปรุงสื่อ", review_from, back(publish_from, 1)),
        _Stage("เผยแพร่สื่อ (เว็บไซต์และช่องทางของสำนักงาน)", publish_from, d[2]),
        _Stage("รายงานผลตามแบบฟอร์ม 1 (ขั้นตอนที่ 1 - 3)", after(d[2]), d[3]),
        _Stage("นำสื่อไปชี้แจง ถ่ายทอด และแนะนำให้ อปท.", after(d[3]), back(survey_from, 1)),
        _Stage("สำรวจความพึงพอใจของ อปท. ต่อสื่อ", survey_from, d[4]),
        _Stage("รายงานผลตามแบบฟอร์ม 2 (ขั้นตอนที่ 4 - 5)", after(d[4]), d[5]),
    ]
    who = responsible or rules.responsible
    return PlanInput(
        activities=[
            PlanActivity(activity=s.activity, start=s.start, end=max(s.start, s.end), responsible=who) for s in stages
        ],
        topics=[
            PlanTopic(
                title=p.topic.title_th,
                aspect=p.topic.aspect.value,
                format=p.topic.format,
                indicators=[w.indicator for w in p.weaknesses],
                background=p.background_th,
                content=p.topic.content_th,
                key_points=list(p.topic.key_points),
            )
            for p in proposals
        ],
    )
