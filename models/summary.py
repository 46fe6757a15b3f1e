"""What a province run reports back: each step's deadline, state and lateness."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kpi6.models.rules import StepAction

# A step's state as a clerk reads it (CLI tables, the province report in the Prefect UI).
STATE_TH = {"done": "เสร็จ", "pending": "รอ", "running": "กำลังทำ", "failed": "ล้มเหลว"}


class StepOutcome(BaseModel):
    step: int
    name_th: str
    name_en: str
    deadline: date
    action: StepAction
    state: str
    completed_at: datetime | None = None
    working_days_late: int = 0


class ProvinceRunSummary(BaseModel):
    province_code: str
    province_name_th: str
    round_id: str
    steps: list[StepOutcome]
