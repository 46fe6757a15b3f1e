"""The satisfaction survey: reading a Google Forms / Microsoft Forms export, checking it, summarising it. Pure.

A survey arrives as a table (headers and rows of cells, read from CSV or XLSX by `tasks/adapters/survey_files.py`).
Here the columns are recognised (timestamp, respondent, 5-point rating items, comments), every row is
checked with its spreadsheet row number, and the answers become counts per level, from which the
summary (n, mean, sample SD, Thai band, percentage satisfied) follows exactly as a spreadsheet computes it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kpi6.models.calendar import BANGKOK
from kpi6.models.lpa import LaoType, lao_type_of
from kpi6.models.thai import arabic_digits
from kpi6.models.titles import FORM_TITLES

# The five levels of a satisfaction survey, most satisfied first.
SATISFACTION_LEVELS: tuple[str, ...] = ("มากที่สุด", "มาก", "ปานกลาง", "น้อย", "น้อยที่สุด")


class SatisfactionItem(BaseModel):
    """One survey question and how many respondents chose each level (most satisfied first)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, **FORM_TITLES)

    item: str = Field(min_length=1)
    counts: list[int] = Field(min_length=5, max_length=5)

    @field_validator("counts")
    @classmethod
    def _not_negative(cls, counts: list[int]) -> list[int]:
        if any(c < 0 for c in counts):
            raise ValueError("counts cannot be negative")
        return counts


# The five levels as the forms write them, scored 5 (most satisfied) to 1.
RATING_LABELS: dict[str, int] = {label: 5 - i for i, label in enumerate(SATISFACTION_LEVELS)}
# Forms often prefix the level ("พึงพอใจมาก", "ระดับมากที่สุด"); the prefix carries no meaning.
_LABEL_PREFIXES = ("ระดับความพึงพอใจ", "ความพึงพอใจ", "พึงพอใจ", "พอใจ", "ระดับ")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_NUMBER_AND_LABEL = re.compile(
    r"^([1-5])\s*[-=:.)]?\s*\(?\s*([^\d()]+?)\s*\)?$"  # 5 - มากที่สุด, 5 (มากที่สุด)
    r"|^([^\d()]+?)\s*[-=:(]?\s*([1-5])\s*\)?$"  # มากที่สุด (5)
)

TIMESTAMP_HEADERS = ("timestamp", "ประทับเวลา", "completion time", "เวลาที่เสร็จสมบูรณ์", "เวลาเสร็จสิ้น")
LAO_NAME_KEYS = ("ชื่อ อปท", "ชื่ออปท", "ชื่อองค์กรปกครองส่วนท้องถิ่น", "lao name", "หน่วยงาน", "สังกัด")
LAO_TYPE_KEYS = ("ประเภท อปท", "ประเภทอปท", "ประเภทองค์กรปกครองส่วนท้องถิ่น", "lao type")
POSITION_KEYS = ("ตำแหน่ง", "position")
COMMENT_KEYS = ("ข้อเสนอแนะ", "ความคิดเห็น", "comment", "suggestion", "feedback", "อื่น ๆ", "อื่นๆ")
# A column is a rating item when at least this share of its answers is on the scale; the rest are errors.
RATING_SHARE = 0.8


class BandScheme(StrEnum):
    """Two conventions Thai survey reports use to read a 5-point mean."""

    width_0_8 = "0.8"  # (5 − 1) / 5: 4.21–5.00, 3.41–4.20, 2.61–3.40, 1.81–2.60, 1.00–1.80
    width_0_5 = "0.5"  # Best: 4.51–5.00, 3.51–4.50, 2.51–3.50, 1.51–2.50, 1.00–1.50


BAND_FLOORS: dict[BandScheme, tuple[float, ...]] = {
    BandScheme.width_0_8: (4.21, 3.41, 2.61, 1.81, 1.00),
    BandScheme.width_0_5: (4.51, 3.51, 2.51, 1.51, 1.00),
}


def band_th(mean: float, scheme: BandScheme = BandScheme.width_0_8) -> str:
    """The Thai band of a mean, read on the two decimals the report prints (4.205 prints 4.21: มากที่สุด)."""
    shown = round(mean + 1e-9, 2)
    for floor, label in zip(BAND_FLOORS[scheme], SATISFACTION_LEVELS, strict=True):
        if shown >= floor:
            return label
    return SATISFACTION_LEVELS[-1]


class SurveyColumns(BaseModel):
    """Names the survey's columns where detection should not guess (round or province configuration)."""

    model_config = ConfigDict(extra="forbid", **FORM_TITLES)

    timestamp: str | None = None
    lao_name: str | None = None
    lao_type: str | None = None
    position: str | None = None
    ratings: list[str] | None = None
    comments: list[str] | None = None
    optional: list[str] = Field(default=[], description="rating items a respondent may leave empty")


class SurveyRules(BaseModel):
    """How a round reads its surveys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bands: BandScheme = BandScheme.width_0_8
    columns: SurveyColumns | None = None


class RatingError(ValueError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _norm(text: str) -> str:
    return " ".join(arabic_digits(text).split())


def _label_value(text: str) -> int | None:
    label = text.replace(" ", "")
    for prefix in _LABEL_PREFIXES:
        if label.startswith(prefix) and label != prefix:
            label = label[len(prefix) :]
            break
    return RATING_LABELS.get(label)


def parse_rating(value: object) -> int | None:
    """1–5 from a number or a Thai label (`5`, `๕`, `มากที่สุด`, `5 - มากที่สุด`, `พึงพอใจมาก`); None if empty."""
    if value is None:
        return None
    if isinstance(value, bool | date):
        raise RatingError("unknown_label", f"{value!r} is not a rating")
    if isinstance(value, int | float):
        if value in (1, 2, 3, 4, 5):
            return int(value)
        raise RatingError("off_scale", f"{value:g} is off the 1–5 scale")
    text = _norm(str(value))
    if not text:
        return None
    if _NUMBER.match(text):
        number = float(text)
        if number in (1, 2, 3, 4, 5):
            return int(number)
        raise RatingError("off_scale", f"{text} is off the 1–5 scale")
    found = _label_value(text)
    if found is not None:
        return found
    match = _NUMBER_AND_LABEL.match(text)
    if match:
        given, label = (match[1], match[2]) if match[1] else (match[4], match[3])
        if _label_value(label) == int(given):
            return int(given)
        raise RatingError("unknown_label", f"{text!r}: the number and the label disagree")
    raise RatingError("unknown_label", f"{text!r} is not one of {', '.join(SATISFACTION_LEVELS)} or 1–5")


class ColumnPlan(BaseModel):
    """What each column of a survey file holds."""

    timestamp: str
    lao_name: str | None = None
    lao_type: str | None = None
    position: str | None = None
    ratings: list[str]
    comments: list[str] = []
    optional: list[str] = []
    ignored: list[str] = []


@dataclass
class Table:
    """A sheet as read from a file: headers and rows of cells (str, number, datetime or None)."""

    source: str
    headers: list[str]
    rows: list[list[Any]]
    first_row: int = 2  # the spreadsheet row number of rows[0] (the header is row 1)
    sha256: str = ""  # of the file's bytes as read (tasks/tables.read_table)

    def __post_init__(self) -> None:
        # A CSV row may stop short of the header (a trailing empty answer left out, a cell dropped by hand):
        # its missing cells are empty, so every reader may index a row by any header's position.
        width = len(self.headers)
        for row in self.rows:
            if len(row) < width:
                row.extend([None] * (width - len(row)))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row: the spreadsheet row number, the column and what is wrong."""

    row: int
    column: str
    kind: str  # off_scale, unknown_label, empty_required, duplicate, outside_round, bad_timestamp
    message: str

    def line(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"

    @property
    def kind_th(self) -> str:
        return PROBLEM_TH.get(self.kind, self.kind)


# What each kind of problem in a survey row is, as a clerk reads it.
PROBLEM_TH = {
    "off_scale": "คะแนนอยู่นอกช่วง ๑-๕",
    "unknown_label": "คำตอบไม่ตรงกับระดับความพึงพอใจที่กำหนด",
    "empty_required": "ไม่ได้ตอบข้อที่ต้องตอบ",
    "duplicate": "เป็นคำตอบซ้ำของแถวก่อนหน้า",
    "outside_round": "วันที่ตอบอยู่นอกช่วงรอบการประเมิน",
    "bad_timestamp": "อ่านวันเวลาที่ตอบไม่ได้",
}


class SurveyFileError(ValueError):
    """The file as a whole cannot be read as a survey (no timestamp column, no rating items, a named column missing)."""


def _key(header: str) -> str:
    return _norm(header).lower()


def match_headers(headers: Sequence[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """For each field, the first of its aliases that is a header of the file (case and spacing ignored)."""
    keys = {" ".join(h.split()).lower(): h for h in headers}
    found: dict[str, str] = {}
    for name, names in aliases.items():
        hit = next((keys[a.lower()] for a in names if a.lower() in keys), None)
        if hit is not None:
            found[name] = hit
    return found


def _find(headers: Sequence[str], keys: Iterable[str], *, exact: bool = False) -> str | None:
    for h in headers:
        k = _key(h)
        if any(k == key or (not exact and key in k) for key in keys):
            return h
    return None


def _named(headers: Sequence[str], name: str | None, what: str) -> str | None:
    if name is None:
        return None
    wanted = _key(name)
    for h in headers:
        if _key(h) == wanted:
            return h
    raise SurveyFileError(f"the configuration names {what} column {name!r}, which the file does not have")


def _rating(value: object, cache: dict[object, int | None | RatingError]) -> int | None | RatingError:
    """parse_rating, remembered per distinct cell value (an export repeats a handful of values)."""
    key = value if isinstance(value, str | int | float) or value is None else str(value)
    if key in cache:
        return cache[key]
    found: int | None | RatingError
    try:
        found = parse_rating(value)
    except RatingError as exc:
        found = exc
    cache[key] = found
    return found


def _is_rating_column(values: Iterable[object]) -> bool:
    """Most answers on the scale (the rest are then reported as errors); or, for a column of numbers, at least
    half of them on it (a typed 0 or 9 in a numeric item is an error, not a reason to drop the item)."""
    on = total = labels_off = 0
    cache: dict[object, int | None | RatingError] = {}
    for v in values:
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        total += 1
        found = _rating(v, cache)
        on += not isinstance(found, RatingError)
        labels_off += isinstance(found, RatingError) and found.kind != "off_scale"
        if total == 200 and on < 100:  # plainly not a rating item (an ID, a time, a name): stop reading it
            return False
    if total == 0:
        return False
    return on / total >= RATING_SHARE or (labels_off == 0 and on / total >= 0.5)


def plan_columns(table: Table, mapping: SurveyColumns | None = None) -> ColumnPlan:
    """Recognise the columns: named ones from the mapping, the rest by header and by content."""
    m = mapping or SurveyColumns()
    h = table.headers
    if len(set(map(_key, h))) != len(h):
        dup = next(x for x, c in Counter(map(_key, h)).items() if c > 1)
        raise SurveyFileError(f"two columns are both headed {dup!r}; give each question its own header")
    ts = _named(h, m.timestamp, "timestamp") or _find(h, TIMESTAMP_HEADERS, exact=True)
    if ts is None:
        raise SurveyFileError("no timestamp column (Timestamp or ประทับเวลา); name it in the survey columns")
    lao_name = _named(h, m.lao_name, "LAO name") or _find(h, LAO_NAME_KEYS)
    lao_type = _named(h, m.lao_type, "LAO type") or _find(h, LAO_TYPE_KEYS)
    if lao_type == lao_name:
        lao_name = _named(h, m.lao_name, "LAO name") or _find([x for x in h if x != lao_type], LAO_NAME_KEYS)
    position = _named(h, m.position, "position") or _find(h, POSITION_KEYS)
    taken = {ts, lao_name, lao_type, position} - {None}
    rest = [x for x in h if x not in taken]
    if m.ratings is not None:
        ratings = [_named(h, r, "rating") for r in m.ratings]
    else:
        index = {x: i for i, x in enumerate(h)}
        ratings = [
            x
            for x in rest
            if _find([x], COMMENT_KEYS) is None and _is_rating_column(row[index[x]] for row in table.rows)
        ]
    if not ratings:
        raise SurveyFileError(
            "no rating items found: no column has its answers on the 1–5 scale "
            f"(numbers 1–5 or {', '.join(SATISFACTION_LEVELS)}); if the items hold many "
            "wrong answers, name them in the round's survey columns (ratings: [...])"
        )
    if m.comments is not None:
        comments = [_named(h, c, "comment") for c in m.comments]
    else:
        comments = [x for x in rest if x not in ratings and _find([x], COMMENT_KEYS) is not None]
    optional = [_named(h, o, "optional rating") for o in m.optional]
    used = taken | set(ratings) | set(comments)
    return ColumnPlan(
        timestamp=ts,
        lao_name=lao_name,
        lao_type=lao_type,
        position=position,
        ratings=ratings,
        comments=comments,
        optional=optional,
        ignored=[x for x in h if x not in used],
    )


# --- timestamps -------------------------------------------------------------------------------------

_SLASHED = re.compile(
    r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?)?"
    r"(?:\s*(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?)?$"
)


def _year(y: int) -> int:
    if y < 100:  # two digits: 67 is BE 2567, 24 is CE 2024 (a survey of this decade)
        y = 2500 + y if y >= 60 else 2000 + y
    return y - 543 if y > 2400 else y


def _bangkok_time(moment: datetime) -> datetime | None:
    """A timestamp as Bangkok's wall clock shows it: one with a UTC offset converted, one without taken as is
    (None if the conversion leaves the calendar, as 9999-12-31T23:00-05:00 does)."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(BANGKOK).replace(tzinfo=None)
    except OverflowError:
        return None


@dataclass
class TimestampReader:
    """Reads a file's timestamps; day/month order is decided once per file (Thai d/m/y unless the file shows m/d/y).

    Each comes back as Bangkok time without a zone, the round's period being Bangkok dates: a timestamp with a
    UTC offset (`2024-04-01T01:00+14:00`, `... GMT-5`) is converted, one without is Bangkok time already."""

    month_first: bool = False

    @classmethod
    def for_values(cls, values: Iterable[object]) -> TimestampReader:
        for v in values:
            if isinstance(v, str):
                m = _SLASHED.match(_norm(v))
                if m and len(m[1]) <= 2:
                    if int(m[1]) > 12:
                        return cls(month_first=False)
                    if int(m[2]) > 12:
                        return cls(month_first=True)
        return cls()

    def read(self, value: object) -> datetime | None:
        if isinstance(value, datetime):
            return _bangkok_time(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        text = _norm(str(value or ""))
        if not text:
            return None
        try:
            return _bangkok_time(datetime.fromisoformat(text))
        except ValueError:
            pass
        m = _SLASHED.match(text)
        if not m:
            return None
        a, b, c = int(m[1]), int(m[2]), int(m[3])
        if len(m[1]) == 4:
            y, mo, d = a, b, c
        else:
            d, mo, y = (b, a, c) if self.month_first else (a, b, c)
        hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if m[7]:
            hour = hour % 12 + (12 if m[7].lower() == "pm" else 0)
        try:
            moment = datetime(_year(y), mo, d, hour, minute, second)
            if m[8]:
                offset = timedelta(hours=int(m[9]), minutes=int(m[10] or 0))
                moment = moment.replace(tzinfo=timezone(offset if m[8] == "+" else -offset))
        except ValueError:  # a day that does not exist, or an offset of a day or more
            return None
        return _bangkok_time(moment)


# --- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Response:
    """One valid submission."""

    row: int
    submitted: datetime
    lao_name: str
    lao_type: LaoType | None
    position: str
    ratings: tuple[int | None, ...]
    comments: tuple[str, ...]


# The same respondent (LAO and position) with the same answers this soon after is the form sent twice.
RESUBMIT_WINDOW = timedelta(minutes=10)


def cell_text(value: object) -> str:
    """A cell as text: whitespace collapsed, a whole float without its `.0` (how XLSX gives 5 or 4.1 codes)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


@dataclass
class Checked:
    """The outcome of checking every row: the valid responses and each row's problems."""

    plan: ColumnPlan
    responses: list[Response]
    problems: list[Problem]
    rejected_rows: dict[int, list[Problem]] = field(default_factory=dict)


def check_rows(table: Table, plan: ColumnPlan, *, period: tuple[date, date]) -> Checked:
    """Check every row; a row with any problem is rejected whole, with each of its problems listed."""
    index = {h: i for i, h in enumerate(table.headers)}
    ts_i = index[plan.timestamp]
    rating_i = [index[r] for r in plan.ratings]
    required = [r not in plan.optional for r in plan.ratings]
    reader = TimestampReader.for_values(row[ts_i] if ts_i < len(row) else None for row in table.rows)
    cache: dict[object, int | None | RatingError] = {}
    seen_rows: dict[tuple[object, ...], int] = {}
    seen_answers: dict[tuple[object, ...], tuple[int, datetime]] = {}
    responses: list[Response] = []
    problems: list[Problem] = []
    rejected: dict[int, list[Problem]] = {}

    def cell(row: list[Any], i: int) -> object:
        return row[i] if i < len(row) else None

    for offset, row in enumerate(table.rows):
        number = table.first_row + offset
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue  # a blank line at the end of an export
        found: list[Problem] = []
        raw_ts = cell(row, ts_i)
        submitted = reader.read(raw_ts)
        if submitted is None:
            found.append(
                Problem(
                    number,
                    plan.timestamp,
                    "empty_required" if not cell_text(raw_ts) else "bad_timestamp",
                    "the timestamp is empty"
                    if not cell_text(raw_ts)
                    else f"{cell_text(raw_ts)!r} is not a date and time",
                )
            )
        elif not period[0] <= submitted.date() <= period[1]:
            found.append(
                Problem(
                    number,
                    plan.timestamp,
                    "outside_round",
                    f"submitted {submitted:%Y-%m-%d}, outside the round ({period[0]} to {period[1]})",
                )
            )
        ratings: list[int | None] = []
        for name, i, needed in zip(plan.ratings, rating_i, required, strict=True):
            value = _rating(cell(row, i), cache)
            if isinstance(value, RatingError):
                found.append(Problem(number, name, value.kind, str(value)))
                value = None
            elif value is None and needed:
                found.append(Problem(number, name, "empty_required", "no answer to a required item"))
            ratings.append(value)
        lao_name = cell_text(cell(row, index[plan.lao_name])) if plan.lao_name else ""
        raw_type = cell_text(cell(row, index[plan.lao_type])) if plan.lao_type else ""
        lao_type = lao_type_of(raw_type) or lao_type_of(lao_name)
        position = cell_text(cell(row, index[plan.position])) if plan.position else ""
        comments = [cell_text(cell(row, index[c])) for c in plan.comments]
        # A duplicate: the same row again (pasted or exported twice), or the same LAO and position giving the
        # same answers within minutes (the form sent twice).
        whole = tuple(row)
        same = (lao_name, position, tuple(ratings), tuple(comments))
        earlier = seen_rows.get(whole)
        if earlier is None and lao_name and submitted is not None and same in seen_answers:
            first, first_at = seen_answers[same]
            earlier = first if abs(submitted - first_at) <= RESUBMIT_WINDOW else None
        if earlier is not None:
            found.append(Problem(number, "", "duplicate", f"a duplicate of row {earlier}"))
        else:
            seen_rows[whole] = number
            if lao_name and submitted is not None:
                seen_answers[same] = (number, submitted)
        if found:
            problems.extend(found)
            rejected[number] = found
        else:
            assert submitted is not None  # a row without a timestamp has a problem
            responses.append(
                Response(
                    number,
                    submitted,
                    lao_name,
                    lao_type,
                    position,
                    tuple(ratings),
                    tuple(c for c in comments if c),
                )
            )
    return Checked(plan=plan, responses=responses, problems=problems, rejected_rows=rejected)


# --- the result kept with step 4, and its summary ---------------------------------------------------


class SurveyResult(BaseModel):
    """What a survey import keeps: counts per level for each item, who answered, the comments."""

    model_config = ConfigDict(extra="forbid")

    source: str = ""
    sha256: str = ""
    respondents: int = Field(ge=0)
    items: list[SatisfactionItem]
    by_type: dict[str, int] = {}
    laos_answered: list[str] = []
    comments: list[str] = []
    rejected: int = 0
    ignored_columns: list[str] = []


def tally(checked: Checked, *, source: str = "", sha256: str = "") -> SurveyResult:
    """Counts per level for each item (most satisfied first), respondents by LAO type, distinct LAOs."""
    plan, rs = checked.plan, checked.responses
    items = []
    for k, question in enumerate(plan.ratings):
        c = Counter(r.ratings[k] for r in rs)
        items.append(SatisfactionItem(item=question, counts=[c[v] for v in (5, 4, 3, 2, 1)]))
    types = Counter(r.lao_type.value if r.lao_type else "ไม่ระบุ" for r in rs)
    names = sorted({r.lao_name for r in rs if r.lao_name})
    return SurveyResult(
        source=source,
        sha256=sha256,
        respondents=len(rs),
        items=items,
        by_type={t: types[t] for t in [*(x.value for x in LaoType), "ไม่ระบุ"] if types[t]},
        laos_answered=names,
        comments=[c for r in rs for c in r.comments],
        rejected=len(checked.rejected_rows),
        ignored_columns=plan.ignored,
    )


class Stats(BaseModel):
    n: int
    mean: float | None
    sd: float | None  # sample standard deviation (n − 1); None below two answers
    band_th: str
    percent_satisfied: float | None  # share of answers 4 or 5


class ItemStats(Stats):
    question: str


class SurveySummary(BaseModel):
    n: int
    overall: Stats
    items: list[ItemStats]
    by_type: dict[str, int]
    laos_answered: int | None
    laos_disseminated: int | None
    coverage_percent: float | None
    comments: list[str]
    bands: BandScheme


def stats(counts: Sequence[int], scheme: BandScheme) -> Stats:
    """Mean, sample SD and share satisfied from counts per level (most satisfied first), as STDEV.S does."""
    values = (5, 4, 3, 2, 1)
    n = sum(counts)
    if n == 0:
        return Stats(n=0, mean=None, sd=None, band_th="-", percent_satisfied=None)
    mean = sum(v * c for v, c in zip(values, counts, strict=True)) / n
    sd = math.sqrt(sum(c * (v - mean) ** 2 for v, c in zip(values, counts, strict=True)) / (n - 1)) if n > 1 else None
    return Stats(
        n=n, mean=mean, sd=sd, band_th=band_th(mean, scheme), percent_satisfied=100 * (counts[0] + counts[1]) / n
    )


def summarize(
    result: SurveyResult, *, scheme: BandScheme = BandScheme.width_0_8, laos_disseminated: int | None = None
) -> SurveySummary:
    """Per item and overall (every answer of every item pooled, like AVERAGE and STDEV.S over the whole range)."""
    pooled = [sum(i.counts[k] for i in result.items) for k in range(5)]
    answered = len(result.laos_answered) or None
    coverage = (100 * answered / laos_disseminated) if answered and laos_disseminated else None
    return SurveySummary(
        n=result.respondents,
        overall=stats(pooled, scheme),
        items=[ItemStats(question=i.item, **stats(i.counts, scheme).model_dump()) for i in result.items],
        by_type=result.by_type,
        laos_answered=answered,
        laos_disseminated=laos_disseminated,
        coverage_percent=coverage,
        comments=result.comments,
        bands=scheme,
    )
