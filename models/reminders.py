"""Which reminders are due on a day: pure rules over the round's calendar and the steps' states.

For each province and each step not yet done: N working days before the deadline (the round's
offsets, default 5, 3 and 1), on the deadline day, and each working day it is overdue, with the penalty
so far. Nothing on a day that is not a working day (a cron that fires on a holiday is harmless).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from pydantic import BaseModel

from kpi6.models.calendar import WorkingDayCalendar
from kpi6.models.provinces import Province
from kpi6.models.round import RoundConfig
from kpi6.models.thai import thai_date, thai_digits, thai_number


class ReminderKind(StrEnum):
    before = "before"
    due = "due"
    overdue = "overdue"


class Reminder(BaseModel):
    province_code: str
    round_id: str
    step: int
    kind: ReminderKind
    day: date
    deadline: date
    working_days: int  # before: working days left; overdue: working days late; due: 0
    penalty: float = 0.0

    @property
    def key(self) -> tuple[str, str, int, str, date]:
        """Sent once per (province, round, step, kind, day)."""
        return (self.province_code, self.round_id, self.step, self.kind.value, self.day)


def reminders_due(
    config: RoundConfig,
    calendar: WorkingDayCalendar,
    today: date,
    provinces: list[Province],
    states: Mapping[str, Mapping[int, str]],
) -> list[Reminder]:
    """The reminders due `today` for the provinces' steps that are not done."""
    if not calendar.is_working_day(today):
        return []
    rules = config.reminders
    found: list[Reminder] = []
    for province in provinces:
        done = {n for n, s in states.get(province.code, {}).items() if s == "done"}
        for sc in config.steps:
            if sc.number in done:
                continue
            base = dict(
                province_code=province.code, round_id=config.id, step=sc.number, day=today, deadline=sc.deadline
            )
            if today < sc.deadline:
                left = calendar.working_days_after(today, sc.deadline)
                if left in rules.before_deadline_working_days:
                    found.append(Reminder(kind=ReminderKind.before, working_days=left, **base))
            elif today == sc.deadline:
                if rules.on_deadline:
                    found.append(Reminder(kind=ReminderKind.due, working_days=0, **base))
            elif rules.overdue_daily:
                late = calendar.working_days_after(sc.deadline, today)
                penalty = float(round(late * config.scoring.penalty_per_working_day, 2)) if sc.report else 0.0
                found.append(Reminder(kind=ReminderKind.overdue, working_days=late, penalty=penalty, **base))
    return found


def reminder_line(config: RoundConfig, r: Reminder) -> str:
    """One line in Thai: the step, its deadline, and how near or late it is."""
    sc = config.step(r.step)
    head = thai_digits(f"ขั้นตอนที่ {r.step} {sc.name_th} (กำหนด {thai_date(r.deadline)})")
    if r.kind is ReminderKind.before:
        return f"{head}: อีก {thai_digits(r.working_days)} วันทำการจะครบกำหนด"
    if r.kind is ReminderKind.due:
        return f"{head}: ครบกำหนดวันนี้"
    penalty = f" ถูกปรับลดแล้ว {thai_number(r.penalty, decimals=1)} คะแนน" if r.penalty else ""
    return f"{head}: เลยกำหนดมาแล้ว {thai_digits(r.working_days)} วันทำการ{penalty}"


def reminder_message(config: RoundConfig, province: Province, reminders: list[Reminder]) -> tuple[str, str]:
    """Subject and body of one province's reminders of the day."""
    day = thai_date(reminders[0].day)
    subject = f"แจ้งเตือนตัวชี้วัดที่ ๖ {province.name_th} ประจำวันที่ {day}"
    lines = [
        f"เรียน สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{province.name_th}",
        "",
        thai_digits(f"ตัวชี้วัดที่ 6 รอบ {config.id} มีขั้นตอนที่ยังไม่ได้บันทึกว่าเสร็จ ดังนี้"),
        *[f"- {reminder_line(config, r)}" for r in reminders],
        "",
        f"โปรดดำเนินการและบันทึกผลในระบบ kpi6 (kpi6 run --province {province.code} --round {config.id} "
        "--step N --input ไฟล์ข้อมูล) รายงานที่ส่งช้าถูกปรับลดวันทำการละ "
        f"{thai_number(config.scoring.penalty_per_working_day, decimals=1)} คะแนน",
    ]
    return subject, "\n".join(lines)
