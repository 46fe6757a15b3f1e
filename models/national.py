"""DLA's national picture of a round, as pure rules: the tile map of the 76 provinces coloured by a measure, the
ranked score table, steps completed week by week, satisfaction across provinces, and what the offices chose.

Everything a reader sees is worked out here, once, with its Thai wording and digits; the PDF, the .docx, the
Prefect artifact and the portal only lay it out (tasks/national.py gathers the facts, tasks/render draws them).

The map is a tile grid: one equal square per province, placed where kpi6's own table
(`models/data/tiles.csv`, the project's work under its licence) puts it, roughly where the province lies. Tiles
give every province the same room for its name and value (Bangkok's neighbours are as readable as Nakhon
Ratchasima), and no boundary data of anyone else's is shipped. Bangkok has a tile of its own, drawn apart: it has
no provincial office of local administration and is not scored."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources

from pydantic import BaseModel

from kpi6.models.inputs import PlanTopic
from kpi6.models.lpa import LpaAspect
from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ScoreLine
from kpi6.models.steps import spec
from kpi6.models.survey import BAND_FLOORS, SATISFACTION_LEVELS
from kpi6.models.thai import thai_date, thai_digits, thai_number

BANGKOK = ("TH-10", "กรุงเทพมหานคร", "Bangkok")
NO_DATA = "#d9d9d9"


class Measure(StrEnum):
    """What a map colours the provinces by."""

    total = "total"
    late = "late"
    steps = "steps"
    satisfaction = "satisfaction"

    @property
    def title_th(self) -> str:
        return _TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _TITLES[self][1]


_TITLES = {
    Measure.total: ("คะแนนรวมหลังหักคะแนนความล่าช้า", "Total score after lateness penalties"),
    Measure.late: ("จำนวนวันทำการที่ส่งรายงานล่าช้า", "Working days reports were late"),
    Measure.steps: ("จำนวนขั้นตอนที่ดำเนินการแล้ว", "Steps completed"),
    Measure.satisfaction: ("ค่าเฉลี่ยความพึงพอใจของ อปท.", "LAOs' mean satisfaction"),
}

# Sequential palettes, light (little) to dark (much), after ColorBrewer's Blues, Reds, Greens and Purples.
_PALETTES = {
    Measure.total: ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),
    Measure.late: ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"),
    Measure.steps: ("#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#41ab5d", "#006d2c"),
    Measure.satisfaction: ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"),
}


class MapClass(BaseModel):
    """One legend entry: the values from `low` to `high` (both included) are drawn in `colour`."""

    label: str
    colour: str
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


class MapTile(BaseModel):
    code: str
    name_th: str
    col: int
    row: int
    value: float | None  # None: no value (not scored, or no survey)
    text: str  # the value as printed on the tile
    colour: str
    scored: bool = True


class ProvinceMap(BaseModel):
    measure: Measure
    title_th: str
    title_en: str
    subtitle: str
    classes: list[MapClass]
    no_data: str  # the legend's words for a grey tile ("" when every province has a value)
    tiles: list[MapTile]
    cols: int
    rows: int


@cache
def tile_positions() -> dict[str, tuple[int, int]]:
    """Province code -> (column, row) of its tile, Bangkok's included."""
    text = resources.files("kpi6.models").joinpath("data/tiles.csv").read_text(encoding="utf-8")
    return {r["code"]: (int(r["col"]), int(r["row"])) for r in csv.DictReader(io.StringIO(text))}


def _num(value: float, decimals: int) -> str:
    return thai_number(Decimal(str(value)), decimals=decimals)


def map_classes(measure: Measure, config: RoundConfig) -> list[MapClass]:
    """The legend of a measure, from the least to the most; every possible value falls in exactly one class."""
    palette = _PALETTES[measure]
    if measure is Measure.total:
        top = float(sum(config.scoring.points.values(), Decimal("0")))
        floor = float(config.scoring.floor)
        # DLA reads a score by what it lost: full marks, then half a point, one point and two points below.
        edges = [floor, top - 2, top - 1, top - 0.5, top]
        edges = [max(floor, e) for e in edges]
        classes = []
        for i, colour in enumerate(palette[:4]):
            low, high = round(edges[i], 2), round(edges[i + 1] - 0.01, 2)
            if high < low:
                continue
            label = f"ต่ำกว่า {_num(edges[1], 2)}" if i == 0 else f"{_num(low, 2)}–{_num(high, 2)}"
            classes.append(MapClass(label=label, colour=colour, low=low, high=high))
        classes.append(MapClass(label=f"{_num(top, 2)} (เต็ม)", colour=palette[4], low=top, high=top))
        return classes
    if measure is Measure.late:
        bounds = [(0, 0, "ไม่ล่าช้า"), (1, 2, ""), (3, 5, ""), (6, 10, ""), (11, 10**6, "มากกว่า ๑๐ วัน")]
        return [
            MapClass(label=text or f"{_num(lo, 0)}–{_num(hi, 0)} วัน", colour=colour, low=lo, high=hi)
            for (lo, hi, text), colour in zip(bounds, palette, strict=True)
        ]
    if measure is Measure.steps:
        n = len(config.steps)
        return [
            MapClass(label=f"{_num(k, 0)} ขั้นตอน", colour=palette[round(k * (len(palette) - 1) / n)], low=k, high=k)
            for k in range(n + 1)
        ]
    floors = BAND_FLOORS[config.survey.bands]  # most satisfied first
    classes = []
    for i, (low, level) in enumerate(zip(floors, SATISFACTION_LEVELS, strict=True)):
        high = 5.0 if i == 0 else round(floors[i - 1] - 0.01, 2)
        classes.append(MapClass(label=f"{level} ({_num(low, 2)}–{_num(high, 2)})", colour="", low=low, high=high))
    classes.reverse()  # least first, as the other legends
    return [c.model_copy(update={"colour": colour}) for c, colour in zip(classes, palette, strict=True)]


def class_of(classes: Sequence[MapClass], value: float) -> MapClass:
    """The class a value falls in, read on the two decimals the map prints (4.205 prints and counts as 4.21)."""
    shown = round(value + 1e-9, 2)
    for c in classes:
        if c.holds(shown):
            return c
    raise ValueError(f"{value} falls in no class of the legend")


@dataclass(frozen=True)
class ProvinceFacts:
    """What the database records of one province in a round, as the national report reads it."""

    line: ScoreLine
    completed: Mapping[int, date] = field(default_factory=dict)  # step -> day done (Bangkok time)
    satisfaction_mean: float | None = None
    respondents: int = 0
    topics: Sequence[PlanTopic] = ()


def measure_value(measure: Measure, facts: ProvinceFacts) -> float | None:
    if measure is Measure.total:
        return facts.line.total
    if measure is Measure.late:
        return float(facts.line.working_days_late)
    if measure is Measure.steps:
        return float(facts.line.steps_done)
    return facts.satisfaction_mean


def _tile_text(measure: Measure, value: float | None) -> str:
    if value is None:
        return "–"
    if measure in (Measure.total, Measure.satisfaction):
        return _num(value, 2)
    return _num(value, 0)


def province_map(measure: Measure, config: RoundConfig, facts: Sequence[ProvinceFacts]) -> ProvinceMap:
    """Every province's tile in the colour its value's class gives; Bangkok apart; no value, grey."""
    classes = map_classes(measure, config)
    positions = tile_positions()
    tiles = []
    for f in facts:
        value = measure_value(measure, f)
        col, row = positions[f.line.code]
        colour = class_of(classes, value).colour if value is not None else NO_DATA
        tiles.append(
            MapTile(
                code=f.line.code,
                name_th=f.line.name_th,
                col=col,
                row=row,
                value=value,
                text=_tile_text(measure, value),
                colour=colour,
            )
        )
    code, name_th, _ = BANGKOK
    col, row = positions[code]
    tiles.append(
        MapTile(code=code, name_th=name_th, col=col, row=row, value=None, text="ไม่ประเมิน", colour="", scored=False)
    )
    missing = any(t.value is None for t in tiles if t.scored)
    return ProvinceMap(
        measure=measure,
        title_th=measure.title_th,
        title_en=measure.title_en,
        subtitle=f"ตัวชี้วัดที่ ๖ · รอบการประเมิน {thai_digits(config.id)}",
        classes=classes,
        no_data="ยังไม่มีผลสำรวจ" if missing and measure is Measure.satisfaction else ("ไม่มีข้อมูล" if missing else ""),
        tiles=tiles,
        cols=max(c for c, _ in positions.values()) + 1,
        rows=max(r for _, r in positions.values()) + 1,
    )


# --- the report -----------------------------------------------------------------------------------------------


class RankedRow(BaseModel):
    rank: int
    code: str
    name_th: str
    total: str
    points: str
    penalty: str
    steps_done: str
    late_reports: str
    working_days_late: str
    satisfaction: str  # mean (n), or "–"


class WeekRow(BaseModel):
    label: str  # the week's last day, BE
    done: list[str]  # provinces with each step done by then (cumulative)
    due: str  # the steps due that week


class Count(BaseModel):
    label: str
    topics: str
    provinces: str


class ChoiceTable(BaseModel):
    title: str
    rows: list[Count]


# The report's words, once: the PDF's template (templates/national.html.j2) and the .docx (tasks/render/national.py)
# both read them, from here or from the report's fields built with them.
HEADINGS = {
    "maps": "๑. แผนที่ตามตัวชี้วัดย่อย",
    "ranked": "๒. คะแนนของ {provinces} จังหวัด เรียงตามคะแนนรวม",
    "weeks": "๓. จำนวนจังหวัดที่ดำเนินการแต่ละขั้นตอนแล้ว รายสัปดาห์",
    "satisfaction": "๔. ความพึงพอใจของ อปท. ต่อสื่อ",
    "choices": "๕. สิ่งที่จังหวัดเลือกทำสื่อ: จุดอ่อนของ อปท. ตามผลการประเมิน LPA",
}
RANKED_COLUMNS = (
    "อันดับ",
    "จังหวัด",
    "คะแนนรวม",
    "คะแนนขั้นตอน",
    "หักล่าช้า",
    "รายงานที่ส่งช้า",
    "วันทำการที่ช้า",
    "ความพึงพอใจ (ผู้ตอบ)",
)
BAND_COLUMNS = ("ระดับความพึงพอใจ (ค่าเฉลี่ย)", "จำนวนจังหวัด")
CHOICE_COLUMNS = ("จำนวนสื่อ", "จำนวนจังหวัด")  # after the table's own title
NO_CHOICES = "ยังไม่มีจังหวัดใดบันทึกแผนพร้อมเรื่องที่เลือก"
SAMPLE_DATES = "กำหนดการตัวอย่าง"


class NationalReport(BaseModel):
    round_id: str
    title: str
    subtitle: str
    as_of: str
    sample_dates: bool
    maps: list[ProvinceMap]
    ranked: list[RankedRow]
    headings: dict[str, str]  # HEADINGS, filled in
    week_columns: list[str]  # the week, one column per step, the steps due
    weeks: list[WeekRow]
    step_legend: str  # "ขั้นตอนที่ ๑ <name> · ขั้นตอนที่ ๒ …", under the weeks
    satisfaction_line: str
    satisfaction_bands: list[Count]
    choices: list[ChoiceTable]  # aspects, indicators, topics


def ranked(lines: Sequence[ScoreLine]) -> list[tuple[int, ScoreLine]]:
    """Highest total first; equal totals share a rank (1, 2, 2, 4), listed by fewer working days late, then code."""
    order = sorted(lines, key=lambda s: (-s.total, s.working_days_late, s.code))
    out: list[tuple[int, ScoreLine]] = []
    for i, line in enumerate(order):
        rank = out[-1][0] if out and out[-1][1].total == line.total else i + 1
        out.append((rank, line))
    return out


def _satisfaction_text(f: ProvinceFacts) -> str:
    if f.satisfaction_mean is None:
        return "–"
    return f"{_num(f.satisfaction_mean, 2)} ({_num(f.respondents, 0)})"


def week_rows(config: RoundConfig, facts: Sequence[ProvinceFacts], as_of: date) -> list[WeekRow]:
    """Monday-to-Sunday weeks from the first completion or deadline to the last (not past `as_of`): how many
    provinces had each step done by the week's end, and which steps fell due in it."""
    deadlines = {s.number: s.deadline for s in config.steps}
    days = [d for f in facts for d in f.completed.values()]
    first = min([*days, *deadlines.values()])
    last = min(max([*days, *deadlines.values()]), max(as_of, first))
    start = first - timedelta(days=first.weekday())
    rows = []
    while start <= last:
        end = start + timedelta(days=6)
        rows.append(
            WeekRow(
                label=thai_date(end, short=True),
                done=[_num(sum(1 for f in facts if n in f.completed and f.completed[n] <= end), 0) for n in deadlines],
                due=", ".join(_num(n, 0) for n, d in deadlines.items() if start <= d <= end),
            )
        )
        start += timedelta(days=7)
    return rows


def _counts(pairs: Sequence[tuple[str, str]], *, top: int | None = None) -> list[Count]:
    """(label, province) pairs counted: how many topics carry the label, in how many provinces; most first."""
    topics = Counter(label for label, _ in pairs)
    provinces = Counter(label for label, _ in set(pairs))
    order = sorted(topics, key=lambda k: (-topics[k], -provinces[k], k))
    return [Count(label=k, topics=_num(topics[k], 0), provinces=_num(provinces[k], 0)) for k in order[:top]]


def _aspect_name(value: str) -> str:
    try:
        return LpaAspect(value).name_th
    except ValueError:
        return value or "ไม่ระบุ"


def national_report(config: RoundConfig, facts: Sequence[ProvinceFacts], as_of: date) -> NationalReport:
    """The round's national report from every province's facts, as of a day."""
    by_code = {f.line.code: f for f in facts}
    with_survey = [f for f in facts if f.satisfaction_mean is not None]
    respondents = sum(f.respondents for f in with_survey)
    if with_survey and respondents:
        pooled = sum((f.satisfaction_mean or 0) * f.respondents for f in with_survey) / respondents
        satisfaction_line = (
            f"ส่งผลสำรวจแล้ว {_num(len(with_survey), 0)} จังหวัด จาก {_num(len(facts), 0)} จังหวัด · "
            f"ผู้ตอบ {_num(respondents, 0)} คน · ค่าเฉลี่ยรวม (ถ่วงด้วยจำนวนผู้ตอบ) {_num(pooled, 2)}"
        )
    else:
        satisfaction_line = "ยังไม่มีจังหวัดใดส่งผลสำรวจความพึงพอใจ"
    classes = map_classes(Measure.satisfaction, config)
    bands = [
        Count(
            label=c.label,
            topics="",
            provinces=_num(
                sum(
                    1
                    for f in with_survey
                    if f.satisfaction_mean is not None and class_of(classes, f.satisfaction_mean) == c
                ),
                0,
            ),
        )
        for c in reversed(classes)
    ]
    chosen = [(t, code) for code, f in by_code.items() for t in f.topics]
    steps = [f"ขั้นตอนที่ {thai_digits(s.number)}" for s in config.steps]
    return NationalReport(
        round_id=config.id,
        title="รายงานผลการดำเนินงานตัวชี้วัดที่ ๖ ระดับประเทศ",
        subtitle=f"รอบการประเมิน {thai_digits(config.id)} · กรมส่งเสริมการปกครองท้องถิ่น",
        as_of=f"ข้อมูล ณ วันที่ {thai_date(as_of)}",
        sample_dates=config.sample_dates,
        maps=[province_map(m, config, facts) for m in Measure],
        ranked=[
            RankedRow(
                rank=rank,
                code=line.code,
                name_th=line.name_th,
                total=_num(line.total, 2),
                points=_num(line.points, 2),
                penalty=_num(line.penalty, 2),
                steps_done=_num(line.steps_done, 0),
                late_reports=_num(line.late_reports, 0),
                working_days_late=_num(line.working_days_late, 0),
                satisfaction=_satisfaction_text(by_code[line.code]),
            )
            for rank, line in ranked([f.line for f in facts])
        ],
        headings={k: v.format(provinces=_num(len(facts), 0)) for k, v in HEADINGS.items()},
        week_columns=["สัปดาห์สิ้นสุด", *steps, "ครบกำหนดขั้นตอนที่"],
        weeks=week_rows(config, facts, as_of),
        step_legend=" · ".join(
            f"{step} {thai_digits(spec(s.number).name_th)}" for step, s in zip(steps, config.steps, strict=True)
        ),
        satisfaction_line=satisfaction_line,
        satisfaction_bands=bands,
        choices=[
            ChoiceTable(
                title="ด้านของ LPA ที่สื่อช่วยยกระดับ",
                rows=_counts([(_aspect_name(t.aspect), code) for t, code in chosen]),
            ),
            ChoiceTable(
                title="ตัวชี้วัด LPA ที่ อปท. ได้คะแนนน้อย ตามรหัสในผลการประเมิน (๑๐ อันดับแรก)",
                rows=_counts([(i, code) for t, code in chosen for i in t.indicators], top=10),
            ),
            ChoiceTable(
                title="เรื่องที่จัดทำสื่อ (๑๐ อันดับแรก)", rows=_counts([(t.title, code) for t, code in chosen], top=10)
            ),
        ],
    )
