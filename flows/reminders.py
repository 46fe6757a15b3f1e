"""The daily reminder run: every working-day morning, each province's steps that are near or past due."""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow
from pydantic import BaseModel

from kpi6.models.calendar import BANGKOK
from kpi6.tasks.adapters.rounds import load_round, round_for_date
from kpi6.tasks.reminders import ProvinceReminders, plan_reminders, send_reminders
from kpi6.tasks.run import prepare_round


class ReminderRun(BaseModel):
    day: date
    round_id: str | None
    working_day: bool
    provinces: list[ProvinceReminders] = []


@flow(name="daily-reminders", flow_run_name="reminders · {today}")
def daily_reminders(
    today: date | None = None,
    round_id: str | None = None,
    provinces: list[str] | None = None,
    dry_run: bool = False,  # noqa: FBT001, FBT002
) -> ReminderRun:
    """Send the reminders due `today` (default: today in Bangkok), once each; nothing on a non-working day."""
    today = today or datetime.now(BANGKOK).date()
    config = load_round(round_id) if round_id else round_for_date(today)
    if config is None:
        return ReminderRun(day=today, round_id=None, working_day=False)
    prepare_round(config.id)
    working = config.working_calendar().is_working_day(today)
    due = plan_reminders(config, today, provinces)
    single = provinces is not None and len(provinces) == 1
    results = send_reminders(config, due, dry_run=dry_run, single_province=single)
    return ReminderRun(day=today, round_id=config.id, working_day=working, provinces=results)
