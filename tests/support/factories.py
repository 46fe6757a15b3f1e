"""Builders of valid inputs for tests."""

from __future__ import annotations

from datetime import date, datetime

from kpi6.models.calendar import BANGKOK
from kpi6.models.inputs import (
    DisseminationEvent,
    DisseminationInput,
    MediaInput,
    MediaSetInput,
    PlanActivity,
    PlanInput,
    ProvinceInputs,
    ReportInput,
)


def bkk(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BANGKOK)


def medium(title: str = "คู่มือทางหลวงท้องถิ่น", **kw) -> MediaInput:  # type: ignore[no-untyped-def]
    data = dict(
        title=title,
        lpa_aspect="ด้านการบริการสาธารณะ",
        background="อปท. ยังไม่ผ่านเกณฑ์",
        content="ขั้นตอนการขึ้นทะเบียน",
        agency="สถจ.เชียงใหม่",
        format="handbook",
    )
    data.update(kw)
    return MediaInput(**data)


def full_inputs(form1_at: datetime | None = None, form2_at: datetime | None = None) -> ProvinceInputs:
    """Inputs for all five steps of round 2567-1, on time unless told otherwise. The reports are ones the office
    sent itself at the given times (`channel: manual`); a test of kpi6's own e-mail sets `channel` to email and
    `submitted_at` to None, and gives the flow its clock."""
    return ProvinceInputs(
        plan=PlanInput(
            activities=[PlanActivity(activity="จัดทำสื่อ", start=date(2024, 1, 2), end=date(2024, 1, 31))],
            done_at=bkk(2024, 1, 10),
        ),
        media=MediaSetInput(
            media=[medium(), medium("อินโฟกราฟิกน้ำประปา", format="infographic")], done_at=bkk(2024, 1, 30)
        ),
        form1=ReportInput(submitted_at=form1_at or bkk(2024, 2, 9, 16, 30), channel="manual"),
        dissemination=DisseminationInput(
            events=[
                DisseminationEvent(date=date(2024, 2, 15), channel="การประชุมชี้แจง", laos_reached=40, participants=90)
            ],
            survey_respondents=80,
            done_at=bkk(2024, 3, 7),
        ),
        form2=ReportInput(submitted_at=form2_at or bkk(2024, 3, 22, 9), channel="manual"),
    )
