"""Penalty-adjusted scores: points per completed step, minus the penalty per working day late on reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from kpi6.models.calendar import WorkingDayCalendar
from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig


@dataclass(frozen=True)
class StepFacts:
    """What the database knows of one step of one province."""

    done: bool
    completed_at: datetime | None = None
    submitted_at: datetime | None = None  # the counting submission of a report step


class StepScore(BaseModel):
    step: int
    done: bool
    points: Decimal
    working_days_late: int
    penalty: Decimal


class ProvinceScore(BaseModel):
    province_code: str
    round_id: str
    steps: list[StepScore]
    points: Decimal
    working_days_late: int
    penalty: Decimal
    total: Decimal
    steps_done: int
    late_reports: int


def score_province(
    config: RoundConfig,
    province_code: str,
    facts: Mapping[int, StepFacts],
    calendar: WorkingDayCalendar | None = None,
) -> ProvinceScore:
    """Score one province: a late report loses the round's penalty per working day (floor applies to total).

    Pass the round's `calendar` when scoring many provinces, so its holiday tables are built once.
    """
    cal = calendar or config.working_calendar()
    rules = config.scoring
    steps: list[StepScore] = []
    for sc in config.steps:
        f = facts.get(sc.number, StepFacts(done=False))
        late = 0
        if f.done and sc.report and f.submitted_at is not None:
            late = cal.working_days_late(sc.deadline, f.submitted_at)
        steps.append(
            StepScore(
                step=sc.number,
                done=f.done,
                points=rules.points[sc.number] if f.done else Decimal("0"),
                working_days_late=late,
                penalty=rules.penalty_per_working_day * late,
            )
        )
    points = sum((s.points for s in steps), Decimal("0"))
    penalty = sum((s.penalty for s in steps), Decimal("0"))
    return ProvinceScore(
        province_code=province_code,
        round_id=config.id,
        steps=steps,
        points=points,
        working_days_late=sum(s.working_days_late for s in steps),
        penalty=penalty,
        total=max(rules.floor, points - penalty),
        steps_done=sum(s.done for s in steps),
        late_reports=sum(1 for s in steps if s.working_days_late > 0),
    )


class ScoreLine(BaseModel):
    """One province's score as the national table shows it (CLI, scores.csv, the portal): names, and numbers
    rounded to the table's two decimals."""

    code: str
    name_th: str
    name_en: str
    steps_done: int
    points: float
    late_reports: int
    working_days_late: int
    penalty: float
    total: float


def score_lines(scores: list[ProvinceScore]) -> list[ScoreLine]:
    lines = []
    for s in scores:
        p = registry().get(s.province_code)
        lines.append(
            ScoreLine(
                code=p.code,
                name_th=p.name_th,
                name_en=p.name_en,
                steps_done=s.steps_done,
                points=round(float(s.points), 2),
                late_reports=s.late_reports,
                working_days_late=s.working_days_late,
                penalty=round(float(s.penalty), 2),
                total=round(float(s.total), 2),
            )
        )
    return lines
