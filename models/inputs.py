"""What an office enters for each step, validated before anything is written."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from kpi6.models.errors import InputError, describe_validation_error
from kpi6.models.lpa import parse_aspect
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

NonEmpty = Annotated[str, Field(min_length=1)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanActivity(_Input):
    """One implementation step of the office's plan."""

    activity: NonEmpty
    start: date
    end: date
    responsible: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> PlanActivity:
        if self.end < self.start:
            raise ValueError(f"activity {self.activity!r} ends ({self.end}) before it starts ({self.start})")
        return self


class PlanInput(_Input):
    """Step 1: the plan and implementation steps."""

    activities: list[PlanActivity] = Field(min_length=1)
    evidence: list[str] = []
    done_at: datetime | None = None


class MediaFormat(StrEnum):
    infographic = "infographic"
    ebook = "ebook"
    handbook = "handbook"
    video = "video"
    website = "website"
    other = "other"


# The five elements every medium must contain (the letter, item 1), with the Thai a clerk reads.
MEDIA_ELEMENTS: dict[str, str] = {
    "title": "ชื่อเรื่อง (title)",
    "lpa_aspect": "ด้านของ LPA ที่ช่วยยกระดับ (LPA aspect)",
    "background": "ความเป็นมา/สาเหตุ (background)",
    "content": "เนื้อหา ความรู้ แนวทาง วิธีการ (content)",
    "agency": "หน่วยงานที่จัดทำ (producing agency)",
}


class MediaInput(_Input):
    """One medium; all five required elements must be present and non-empty."""

    title: str = ""
    lpa_aspect: str = ""
    background: str = ""
    content: str = ""
    agency: str = ""
    format: MediaFormat = MediaFormat.infographic
    key_points: list[str] = []
    link: str | None = None

    @field_validator("lpa_aspect")
    @classmethod
    def _known_aspect(cls, value: str) -> str:
        return parse_aspect(value).value if value else value

    def missing_elements(self) -> list[str]:
        return [label for name, label in MEDIA_ELEMENTS.items() if not getattr(self, name).strip()]

    @property
    def generated(self) -> bool:
        """kpi6 makes the file itself: an infographic, or a handbook/e-book, when no link is given."""
        return not self.link and self.format in GENERATED_FORMATS


GENERATED_FORMATS = (MediaFormat.infographic, MediaFormat.handbook, MediaFormat.ebook)


class MediaSetInput(_Input):
    """Step 2: the two media."""

    media: list[MediaInput]
    evidence: list[str] = []
    done_at: datetime | None = None

    @field_validator("media")
    @classmethod
    def _two_complete_media(cls, media: list[MediaInput]) -> list[MediaInput]:
        problem = media_problem(media)
        if problem:
            raise ValueError(problem)
        return media


def media_problem(media: list[MediaInput]) -> str | None:
    """What keeps a media set from being reported: not two, an element missing, a link missing."""
    if len(media) != 2:
        return f"the letter asks for media on exactly 2 topics; got {len(media)}"
    for i, m in enumerate(media, start=1):
        missing = m.missing_elements()
        if missing:
            return f"medium {i} ({m.title or 'untitled'}) lacks: {', '.join(missing)}"
        if not m.link and m.format not in GENERATED_FORMATS:
            return (
                f"medium {i} ({m.title}) is a {m.format.value}: give its link "
                "(สื่อประเภทนี้ต้องระบุลิงก์); kpi6 generates infographics, handbooks and e-books itself"
            )
    return None


class ReportInput(_Input):
    """Steps 3 and 5: the report's signer and options, and when and how it was submitted to DLA."""

    submitted_at: datetime | None = None
    channel: str = "manual"
    message_id: str | None = None
    signer_name: str = ""
    signer_position: str = ""
    summary: str = ""
    arabic_digits: bool = False


# The five levels of a satisfaction survey, most satisfied first.
SATISFACTION_LEVELS: tuple[str, ...] = ("มากที่สุด", "มาก", "ปานกลาง", "น้อย", "น้อยที่สุด")


class SatisfactionItem(_Input):
    """One survey question and how many respondents chose each level (most satisfied first)."""

    item: NonEmpty
    counts: list[int] = Field(min_length=5, max_length=5)

    @field_validator("counts")
    @classmethod
    def _not_negative(cls, counts: list[int]) -> list[int]:
        if any(c < 0 for c in counts):
            raise ValueError("counts cannot be negative")
        return counts


class DisseminationEvent(_Input):
    date: date
    channel: NonEmpty
    laos_reached: int = Field(ge=1)
    participants: int = Field(default=0, ge=0)
    description: str = ""


class DisseminationInput(_Input):
    """Step 4: where the media went and how the LAOs rated them."""

    events: list[DisseminationEvent] = Field(min_length=1)
    strategy: str = ""
    survey_respondents: int = Field(default=0, ge=0)
    satisfaction: list[SatisfactionItem] = []
    evidence: list[str] = []
    done_at: datetime | None = None


class ProvinceInputs(_Input):
    """Everything an office may enter for one round; a step runs when its part is given."""

    plan: PlanInput | None = None
    media: MediaSetInput | None = None
    form1: ReportInput | None = None
    dissemination: DisseminationInput | None = None
    form2: ReportInput | None = None

    def for_step(self, step: int) -> _Input | None:
        return {1: self.plan, 2: self.media, 3: self.form1, 4: self.dissemination, 5: self.form2}[step]


STEP_INPUT_KEYS: dict[int, str] = {1: "plan", 2: "media", 3: "form1", 4: "dissemination", 5: "form2"}


def parse_inputs(data: object, *, source: str) -> ProvinceInputs:
    """Validate an input file's data; a problem becomes one line naming the file and the field."""
    try:
        return ProvinceInputs.model_validate(data or {})
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, source=source)) from None
