"""What a province's steps look like to a reader: each step's deadline, state and lateness — computed here once
for every door (a run's summary, `kpi6 status`, the province artifact, the portal)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from kpi6.models.calendar import WorkingDayCalendar
from kpi6.models.db import StepProgress, StepState
from kpi6.models.round import RoundConfig
from kpi6.models.rules import StepAction

# A step's state as a clerk reads it (CLI tables, the province report in the Prefect UI).


class StepOutcome(BaseModel):
    step: int
    name_th: str
    name_en: str
    deadline: date
    action: StepAction = StepAction.unchanged
    state: str
    completed_at: datetime | None = None
    # done: working days late when it was completed; not done: working days past the deadline as of the day
    # asked (0 when no day was asked, as in a run's summary)
    working_days_late: int = 0


class ProvinceRunSummary(BaseModel):
    province_code: str
    province_name_th: str
    round_id: str
    steps: list[StepOutcome]


# What a run did with a step, as its log says it (English first: DLA's staff and Prefect's UI; Thai beside).
ACTION_LOG = {
    StepAction.run: "recorded (บันทึกแล้ว)",
    StepAction.unchanged: "unchanged: done already (เสร็จแล้ว ไม่เปลี่ยนแปลง)",
    StepAction.waiting: "waiting: no input given for it (ยังไม่มีข้อมูล)",
    StepAction.blocked: "blocked: a step it needs is not done (รอขั้นตอนก่อนหน้า)",
}


def step_log_lines(summary: ProvinceRunSummary) -> list[str]:
    """One line per step of a run: what the run did with it, and how late it was done."""
    lines = []
    for s in summary.steps:
        line = f"step {s.step} {s.name_en}: {ACTION_LOG[s.action]}"
        if s.state == StepState.done.value:
            late = s.working_days_late
            line += f"; {late} working days late (ล่าช้า {late} วันทำการ)" if late else "; on time (ทันกำหนด)"
        lines.append(line)
    return lines


class ProvinceStatus(BaseModel):
    code: str
    name_th: str
    steps: list[StepOutcome]


class RoundStatus(BaseModel):
    """Provinces × steps of a round as of a day: what `kpi6 status` and DLA's national table show."""

    round_id: str
    as_of: date
    deadlines: list[tuple[int, date]]
    provinces: list[ProvinceStatus]


def step_outcomes(
    config: RoundConfig,
    rows: Mapping[int, StepProgress],
    *,
    as_of: date | None = None,
    actions: Mapping[int, StepAction] | None = None,
    calendar: WorkingDayCalendar | None = None,
) -> list[StepOutcome]:
    """Each declared step of one province from its progress rows: a done step's lateness at completion, and
    (with `as_of`) an open step's working days past its deadline so far."""
    cal = calendar or config.working_calendar()
    outcomes = []
    for sc in config.steps:
        row = rows.get(sc.number)
        state = row.state if row else StepState.pending.value
        done_at = row.completed_at if row and state == StepState.done.value else None
        until = done_at or as_of
        outcomes.append(
            StepOutcome(
                step=sc.number,
                name_th=sc.name_th,
                name_en=sc.name_en,
                deadline=sc.deadline,
                action=(actions or {}).get(sc.number, StepAction.unchanged),
                state=state,
                completed_at=done_at,
                working_days_late=cal.working_days_late(sc.deadline, until) if until else 0,
            )
        )
    return outcomes


class StepView(BaseModel):
    """One step as an office's home page shows it: its outcome, the working days left before its deadline (an
    open step not yet due), the penalty it costs so far (a report: late, or overdue as of today) and the steps
    it still waits for."""

    number: int
    name_th: str
    name_en: str
    deadline: date
    state: str
    completed_at: datetime | None
    working_days_late: int
    report_form: int | None
    working_days_left: int | None
    penalty_so_far: Decimal
    waiting_for: list[int]


SHOWN_AS_IS = {"name_th", "name_en", "deadline", "state", "completed_at", "working_days_late"}


def step_views(
    config: RoundConfig,
    outcomes: list[StepOutcome],
    *,
    as_of: date,
    calendar: WorkingDayCalendar | None = None,
) -> list[StepView]:
    cal = calendar or config.working_calendar()
    done = {o.step for o in outcomes if o.state == StepState.done.value}
    views = []
    for o in outcomes:
        sc = config.step(o.step)
        is_open = o.step not in done
        views.append(
            StepView(
                number=o.step,
                **o.model_dump(
                    include={"name_th", "name_en", "deadline", "state", "completed_at", "working_days_late"}
                ),
                report_form=sc.form,
                working_days_left=cal.working_days_after(as_of, o.deadline)
                if is_open and as_of <= o.deadline
                else None,
                # no more than a province can lose: its score stops at the floor
                penalty_so_far=min(
                    config.scoring.penalty_per_working_day * o.working_days_late,
                    config.scoring.max_points - config.scoring.floor,
                )
                if sc.report
                else Decimal(0),
                waiting_for=[n for n in sc.requires if n not in done] if is_open else [],
            )
        )
    return views
