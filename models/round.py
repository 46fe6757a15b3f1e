"""A round's configuration: the deadline of each declared step (models/steps.py), scoring rules, calendar
additions, reminders.

Everything DLA or an office may change is data here, read from one YAML file per round
(`deployments/rounds/<id>.yaml`), never a constant in code.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kpi6.models import steps
from kpi6.models.calendar import WorkingDayCalendar
from kpi6.models.errors import FieldValueError, RoundConfigError, describe_validation_error
from kpi6.models.steps import StepSpec
from kpi6.models.survey import SurveyRules

ROUND_ID = re.compile(r"^(?P<year>25\d\d)-(?P<round>[12])$")


def _span() -> str:
    return f"{steps.numbers()[0]}-{steps.numbers()[-1]}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepConfig(_Strict):
    """A declared step (models/steps.py) in this round: its deadline (inclusive, Bangkok date).

    What the step is (names, input, the steps it needs, its form) is its declaration's, read through here."""

    number: Annotated[int, Field(ge=1)]
    deadline: date

    @model_validator(mode="before")
    @classmethod
    def _only_the_deadline(cls, data: object) -> object:
        if isinstance(data, dict):
            declared = sorted(set(data) & {"name_th", "name_en", "report", "form", "requires"})
            if declared:
                raise ValueError(
                    f"{', '.join(declared)}: what a step is comes from its declaration (models/steps.py); "
                    "a round gives each step its number and deadline only"
                )
        return data

    @property
    def spec(self) -> StepSpec:
        try:
            return steps.spec(self.number)
        except KeyError:
            raise RoundConfigError(f"no step {self.number} is declared; steps are {list(steps.numbers())}") from None

    @property
    def name_th(self) -> str:
        return self.spec.name_th

    @property
    def name_en(self) -> str:
        return self.spec.name_en

    @property
    def report(self) -> bool:
        return self.spec.report

    @property
    def form(self) -> int | None:
        return self.spec.sends_form

    @property
    def requires(self) -> tuple[int, ...]:
        return self.spec.requires


class ScoringRules(_Strict):
    """Points per completed step and the lateness penalty on each report (letter มท 0810.7/ว 5157)."""

    points: dict[int, Decimal]
    penalty_per_working_day: Decimal = Field(default=Decimal("0.2"), ge=0)
    floor: Decimal = Decimal("0")

    @field_validator("points")
    @classmethod
    def _each_declared_step(cls, v: dict[int, Decimal]) -> dict[int, Decimal]:
        if sorted(v) != list(steps.numbers()):
            raise ValueError(f"give points for each of steps {_span()}")
        if any(p < 0 for p in v.values()):
            raise ValueError("points cannot be negative")
        return v

    @property
    def max_points(self) -> Decimal:
        return sum(self.points.values(), Decimal("0"))


class DatedName(_Strict):
    date: date
    name: str = Field(min_length=1)


class CalendarOverrides(_Strict):
    """Days the cabinet declares after the `holidays` package was released."""

    extra_holidays: tuple[DatedName, ...] = ()
    extra_working_days: tuple[DatedName, ...] = ()

    @model_validator(mode="after")
    def _disjoint(self) -> CalendarOverrides:
        both = {d.date for d in self.extra_holidays} & {d.date for d in self.extra_working_days}
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"a day cannot be both an extra holiday and an extra working day: {days}")
        return self


class ReminderRules(_Strict):
    """When reminders go out; used by the reminder flow."""

    before_deadline_working_days: tuple[Annotated[int, Field(ge=1)], ...] = (5, 3, 1)
    on_deadline: bool = True
    overdue_daily: bool = True


class PlanningRules(_Strict):
    """How many working days each stage of the work takes before its deadline (round configuration)."""

    threshold_percent: float = Field(default=70.0, gt=0, le=100)
    review_working_days: int = Field(default=5, ge=1)
    publish_working_days: int = Field(default=2, ge=1)
    survey_working_days: int = Field(default=10, ge=1)
    responsible: str = "กลุ่มงานส่งเสริมและพัฒนาท้องถิ่น"


class RoundConfig(_Strict):
    """A fiscal year's evaluation round (1 = Oct-Mar, 2 = Apr-Sep) of indicator 6."""

    id: str
    title_th: str = "ตัวชี้วัดที่ 6 ความสำเร็จในการจัดทำสื่อส่งเสริม พัฒนา และเสริมสร้างความเข้มแข็ง อปท."
    sample_dates: bool = Field(default=False, description="True when the deadlines are examples, not DLA's")
    reference: str = ""
    steps: tuple[StepConfig, ...]
    scoring: ScoringRules
    calendar: CalendarOverrides = CalendarOverrides()
    reminders: ReminderRules = ReminderRules()
    survey: SurveyRules = SurveyRules()
    planning: PlanningRules = PlanningRules()

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not ROUND_ID.match(v):
            raise ValueError("a round id is <fiscal year BE>-<round 1 or 2>, e.g. 2567-1")
        return v

    @model_validator(mode="after")
    def _steps_consistent(self) -> RoundConfig:
        numbers = [s.number for s in self.steps]
        if numbers != list(steps.numbers()):
            raise FieldValueError(("steps",), f"steps must be exactly steps {_span()}, in order; got {numbers}")
        start, end = self.period
        for i, s in enumerate(self.steps):
            if not start <= s.deadline <= end:
                raise FieldValueError(
                    ("steps", i, "deadline"),
                    f"step {s.number} deadline {s.deadline} is outside round {self.id} ({start} to {end})",
                )
        return self

    @property
    def fiscal_year_be(self) -> int:
        return int(self.id.split("-")[0])

    @property
    def round_number(self) -> int:
        return int(self.id.split("-")[1])

    @property
    def period(self) -> tuple[date, date]:
        """First and last day of the round (fiscal year N BE runs 1 Oct N-544 to 30 Sep N-543 CE)."""
        ce = self.fiscal_year_be - 543
        if self.round_number == 1:
            return date(ce - 1, 10, 1), date(ce, 3, 31)
        return date(ce, 4, 1), date(ce, 9, 30)

    def step(self, number: int) -> StepConfig:
        for s in self.steps:
            if s.number == number:
                return s
        raise RoundConfigError(f"round {self.id} has no step {number}; steps are {_span()}")

    @property
    def report_steps(self) -> tuple[StepConfig, ...]:
        return tuple(s for s in self.steps if s.report)

    def working_calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(
            extra_holidays={d.date: d.name for d in self.calendar.extra_holidays},
            extra_working_days=[d.date for d in self.calendar.extra_working_days],
        )


def parse_round(data: object, *, source: str) -> RoundConfig:
    """Validate round data; a problem becomes one line naming the file and the field."""
    try:
        return RoundConfig.model_validate(data)
    except ValidationError as exc:
        raise RoundConfigError(describe_validation_error(exc, source=source)) from None
