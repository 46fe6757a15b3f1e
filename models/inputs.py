"""What an office enters for each step, validated before anything is written."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from kpi6.models.errors import FieldValueError, InputError, describe_validation_error
from kpi6.models.lpa import LaoType, lao_type_of, parse_aspect
from kpi6.models.survey import SATISFACTION_LEVELS, SatisfactionItem, SurveyColumns, SurveyResult
from kpi6.models.text import (
    CEDate,
    CEDateTime,
    EvidenceEntry,
    LongText,
    MaxItems,
    MediumLink,
    PathText,
    RequiredShortText,
    ShortText,
)
from kpi6.models.titles import FORM_TITLES

# How many entries a list of an input may hold: far more than an office writes, few enough for the forms.
MAX_ACTIVITIES = 50  # rows of the plan's table in Form 1
MAX_TOPICS = 10
MAX_INDICATORS = 50
MAX_KEY_POINTS = 20  # bullets under a medium's content
MAX_EVIDENCE = 100  # files or links per step or event
MAX_LAOS = 1000  # LAOs named at one event (the largest province, Nakhon Ratchasima, has 333)
MAX_SATISFACTION_ITEMS = 50
# The events themselves have no limit: those of an events file join the list unvalidated (tasks/steps.py) and step 5
# reads them back through this model, where a limit the file bypassed would refuse what step 4 recorded.

Evidence = Annotated[list[EvidenceEntry], MaxItems(MAX_EVIDENCE)]
KeyPoints = Annotated[list[ShortText], MaxItems(MAX_KEY_POINTS)]


class _Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        **FORM_TITLES,
    )


# A model with a field kpi6 fills in itself (a mailed report's Message-ID, the imported survey), left out of the
# form's schema (SkipJsonSchema): the schema must then let that key through, or Prefect's server would refuse an
# input that carries it (one kpi6 recorded, sent again); pydantic still refuses any key the model does not have.
KPI6_FILLS_IN = ConfigDict(json_schema_extra={"additionalProperties": True})


class PlanActivity(_Input):
    """One implementation step of the office's plan."""

    activity: RequiredShortText
    start: CEDate
    end: CEDate
    responsible: ShortText = ""

    @model_validator(mode="after")
    def _ordered(self) -> PlanActivity:
        if self.end < self.start:
            raise ValueError(f"activity {self.activity!r} ends ({self.end}) before it starts ({self.start})")
        return self


class PlanTopic(_Input):
    """A topic the plan chose, and why (from `kpi6 topics`): step 2's media take their background from it."""

    title: RequiredShortText
    aspect: ShortText = ""
    format: ShortText = "infographic"
    indicators: Annotated[list[ShortText], MaxItems(MAX_INDICATORS)] = []
    background: LongText = ""
    content: LongText = ""
    key_points: KeyPoints = []


class PlanInput(_Input):
    """Step 1: the plan and implementation steps (and, when proposed from the LPA results, its two topics)."""

    activities: Annotated[list[PlanActivity], MaxItems(MAX_ACTIVITIES)] = Field(min_length=1)
    topics: Annotated[list[PlanTopic], MaxItems(MAX_TOPICS)] = []
    evidence: Evidence = []
    done_at: CEDateTime | None = None


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

    title: ShortText = ""
    lpa_aspect: ShortText = ""
    background: LongText = ""
    content: LongText = ""
    agency: ShortText = ""
    format: MediaFormat = MediaFormat.infographic
    key_points: KeyPoints = []
    link: MediumLink | None = None
    file: PathText | None = None  # the office's own file of the medium (a PDF, an image, a video): stored as evidence

    @field_validator("lpa_aspect")
    @classmethod
    def _known_aspect(cls, value: str) -> str:
        return parse_aspect(value).value if value else value

    def missing_elements(self) -> list[str]:
        return [label for name, label in MEDIA_ELEMENTS.items() if not getattr(self, name).strip()]

    @property
    def generated(self) -> bool:
        """kpi6 makes the file itself: an infographic, or a handbook/e-book, when no link or file is given."""
        return not self.link and not self.file and self.format in GENERATED_FORMATS


GENERATED_FORMATS = (MediaFormat.infographic, MediaFormat.handbook, MediaFormat.ebook)


class MediaSetInput(_Input):
    """Step 2: the two media."""

    media: list[MediaInput]
    evidence: Evidence = []
    done_at: CEDateTime | None = None

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
        if not m.link and not m.file and m.format not in GENERATED_FORMATS:
            return (
                f"medium {i} ({m.title}) is a {m.format.value}: give its link or its file "
                "(สื่อประเภทนี้ต้องระบุลิงก์หรือแนบไฟล์); kpi6 generates infographics, handbooks and e-books itself"
            )
    return None


class ReportChannel(StrEnum):  # a StrEnum: equal to its value, so `report.channel == "email"` keeps working
    """How the report reaches DLA: email (kpi6 e-mails the form) or manual (the office sent it itself)."""

    email = "email"  # kpi6 e-mails the form to DLA's mailbox
    manual = "manual"  # the office sent it itself; give submitted_at


def parse_report_channel(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return ReportChannel(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown report channel {value!r}; use email (kpi6 e-mails the form to DLA) or manual (the office "
            "sent it itself: give submitted_at)"
        ) from None


class ReportInput(_Input):
    """Steps 3 and 5: the report's signer and options, and when and how it was submitted to DLA."""

    model_config = KPI6_FILLS_IN

    submitted_at: CEDateTime | None = None
    channel: ReportChannel = ReportChannel.manual
    message_id: SkipJsonSchema[ShortText | None] = None  # set by kpi6 when it mails the report: not in the form
    signer_name: ShortText = ""
    signer_position: ShortText = ""
    summary: LongText = ""
    arabic_digits: bool = False

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> object:
        return parse_report_channel(value)


class Channel(StrEnum):
    """How the media reached the LAOs."""

    meeting = "meeting"
    training = "training"
    online_meeting = "online_meeting"
    official_letter = "official_letter"
    line_group = "line_group"
    website = "website"
    other = "other"


CHANNEL_NAMES: dict[Channel, str] = {
    Channel.meeting: "การประชุมชี้แจง",
    Channel.training: "การฝึกอบรม",
    Channel.online_meeting: "การประชุมออนไลน์",
    Channel.official_letter: "หนังสือราชการ",
    Channel.line_group: "กลุ่มไลน์",
    Channel.website: "เว็บไซต์",
    Channel.other: "อื่น ๆ",
}
_CHANNEL_WORDS: dict[str, Channel] = {
    **{c.value: c for c in Channel},
    **{name: c for c, name in CHANNEL_NAMES.items()},
    "online meeting": Channel.online_meeting,
    "official letter": Channel.official_letter,
    "line group": Channel.line_group,
    "line": Channel.line_group,
    "ประชุม": Channel.meeting,
    "ประชุมชี้แจง": Channel.meeting,
    "อบรม": Channel.training,
    "ฝึกอบรม": Channel.training,
    "ประชุมออนไลน์": Channel.online_meeting,
    "zoom": Channel.online_meeting,
    "หนังสือ": Channel.official_letter,
    "ไลน์": Channel.line_group,
    "กลุ่ม line": Channel.line_group,
    "อื่นๆ": Channel.other,
}


def parse_channel(text: str) -> Channel:
    found = _CHANNEL_WORDS.get(" ".join(str(text).split()).lower())
    if found is None:
        choices = ", ".join(f"{c.value} ({CHANNEL_NAMES[c]})" for c in Channel)
        raise ValueError(f"unknown channel {text!r}; use one of {choices}")
    return found


class DisseminationEvent(_Input):
    """One time the media were taken to LAOs: the LAOs by name, or counted by type (or in all)."""

    date: CEDate
    channel: Channel
    channel_detail: ShortText = ""
    laos: Annotated[list[ShortText], MaxItems(MAX_LAOS)] = []
    laos_by_type: dict[LaoType, Annotated[int, Field(ge=0, le=MAX_LAOS)]] = {}
    laos_reached: int | None = Field(default=None, ge=1, le=MAX_LAOS)
    participants: int = Field(default=0, ge=0)
    description: LongText = ""
    evidence: Evidence = []

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> object:
        return parse_channel(value) if isinstance(value, str) else value

    @field_validator("laos_by_type", mode="before")
    @classmethod
    def _types(cls, value: object) -> object:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                kind = lao_type_of(str(k)) if not isinstance(k, LaoType) else k
                if kind is None:
                    raise ValueError(f"unknown LAO type {k!r}; use อบจ., เทศบาล or อบต.")
                out[kind] = v
            return out
        return value

    @model_validator(mode="after")
    def _reached(self) -> DisseminationEvent:
        self.laos = list(dict.fromkeys(n for n in (" ".join(x.split()) for x in self.laos) if n))
        if self.laos_reached is None:
            self.laos_reached = len(self.laos) or sum(self.laos_by_type.values()) or None
        if not self.laos_reached:
            raise ValueError("name the LAOs reached (laos), or count them (laos_by_type or laos_reached)")
        return self

    @property
    def channel_th(self) -> str:
        name = CHANNEL_NAMES[self.channel]
        return f"{name} ({self.channel_detail})" if self.channel_detail else name


def laos_disseminated(events: list[DisseminationEvent]) -> int:
    """LAOs the media reached, each counted once: named LAOs once; counted ones by the largest count of each type
    (an office meets the same LAOs at several events), and untyped counts by the largest event."""
    names = {n for e in events for n in e.laos}
    counted = [e for e in events if not e.laos]
    by_type = {t: max((e.laos_by_type.get(t, 0) for e in counted), default=0) for t in LaoType}
    untyped = max((e.laos_reached or 0 for e in counted if not e.laos_by_type), default=0)
    return len(names) + max(sum(by_type.values()), untyped)


class SurveySource(_Input):
    """A survey export (CSV or XLSX from Google Forms or Microsoft Forms) that step 4 imports."""

    file: PathText
    columns: SurveyColumns | None = None
    skip_invalid: bool = False


class DisseminationInput(_Input):
    """Step 4: where the media went and how the LAOs rated them.

    Events are given here or in `events_file` (YAML, CSV or XLSX); the survey as counts per level
    (`satisfaction`), or as the form's export (`survey_file`), or imported before with `kpi6 survey import`."""

    model_config = KPI6_FILLS_IN

    events: list[DisseminationEvent] = []
    events_file: PathText | None = None
    strategy: LongText = ""
    laos_total: int | None = Field(
        default=None, ge=1, le=MAX_LAOS, description="LAOs disseminated to, when counting differs"
    )
    survey_respondents: int = Field(default=0, ge=0)
    satisfaction: Annotated[list[SatisfactionItem], MaxItems(MAX_SATISFACTION_ITEMS)] = []
    survey_file: SurveySource | None = None
    survey: SkipJsonSchema[SurveyResult | None] = None  # the imported survey, filled in by kpi6: not in the form
    evidence: Evidence = []
    done_at: CEDateTime | None = None

    @field_validator("survey_file", mode="before")
    @classmethod
    def _file_shorthand(cls, value: object) -> object:
        return {"file": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _has_events(self) -> DisseminationInput:
        if not self.events and not self.events_file:
            raise ValueError("give the dissemination events (events, or events_file: a YAML, CSV or XLSX file)")
        return self

    @property
    def laos_reached(self) -> int:
        return self.laos_total or laos_disseminated(self.events)


class ProvinceInputs(_Input):
    """Everything an office may enter for one round, by each declared step's key (models/steps.py); a step
    runs when its part is given. A step declared beyond the five takes its input under its own key."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    plan: PlanInput | None = None
    media: MediaSetInput | None = None
    form1: ReportInput | None = None
    dissemination: DisseminationInput | None = None
    form2: ReportInput | None = None

    @model_validator(mode="before")
    @classmethod
    def _topic_backgrounds(cls, data: object) -> object:
        """A medium written without a background takes its topic's from the plan in the same input (the
        numbers `kpi6 topics` quoted): same title, else the same place in the plan."""
        if not isinstance(data, dict) or not isinstance(data.get("media"), dict):
            return data
        plan = data.get("plan")
        given = plan.get("topics") if isinstance(plan, dict) else plan.topics if isinstance(plan, PlanInput) else None
        media = data["media"].get("media")
        if not given or not isinstance(media, list):
            return data
        topics: list[dict[str, Any]] = [t if isinstance(t, dict) else t.model_dump() for t in given]
        by_title = {t.get("title"): t for t in topics}
        filled = []
        for i, m in enumerate(media):
            if isinstance(m, dict) and not str(m.get("background") or "").strip():
                topic = by_title.get(m.get("title")) or (topics[i] if i < len(topics) else {})
                m = {**m, "background": topic.get("background", "")}
            filled.append(m)
        return {**data, "media": {**data["media"], "media": filled}}

    @model_validator(mode="after")
    def _declared_keys_only(self) -> ProvinceInputs:
        """A key that is no declared step's is refused (a typo must not pass for "no input"); a further
        declared step's input is checked against its model."""
        from kpi6.models.steps import by_key

        declared = by_key()
        extra = self.model_extra or {}
        for key, value in list(extra.items()):
            spec = declared.get(key)
            if spec is None:
                raise FieldValueError((key,), "Extra inputs are not permitted")
            if value is not None and not isinstance(value, spec.input_model):  # `key: null` is no input
                try:
                    extra[key] = spec.input_model.model_validate(value)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    message = str(first["msg"]).removeprefix("Value error, ")
                    raise FieldValueError((key, *first["loc"]), message) from None
        return self

    def for_step(self, step: int) -> BaseModel | None:
        """The input of declared step `step`, or None when it is not given."""
        from kpi6.models.steps import spec

        return getattr(self, spec(step).key, None)


def parse_inputs(data: object, *, source: str) -> ProvinceInputs:
    """Validate an input file's data; a problem becomes one line naming the file and the field."""
    try:
        return ProvinceInputs.model_validate(data or {})
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, source=source)) from None


__all__ = ["SATISFACTION_LEVELS", "SatisfactionItem", "LaoType"]


def _anchored(path: str, base: PurePath) -> str:
    if "://" in path or PurePath(path).is_absolute() or path.startswith("~"):
        return path
    return str(base / path)


def anchor_paths(inputs: ProvinceInputs, base: PurePath) -> ProvinceInputs:
    """Relative file paths in an input file (evidence, events file, survey export) are relative to that file."""

    def fix(paths: list[str]) -> list[str]:
        return [_anchored(p, base) for p in paths]

    update: dict[str, object] = {}
    for key in ("plan", "media"):
        part = getattr(inputs, key)
        if part is not None:
            update[key] = part.model_copy(update={"evidence": fix(part.evidence)})
    if inputs.media is not None:  # a medium's own file too
        update["media"] = update["media"].model_copy(  # type: ignore[attr-defined]
            update={
                "media": [
                    m.model_copy(update={"file": _anchored(m.file, base)}) if m.file else m for m in inputs.media.media
                ]
            }
        )
    d = inputs.dissemination
    if d is not None:
        update["dissemination"] = d.model_copy(
            update={
                "evidence": fix(d.evidence),
                "events": [e.model_copy(update={"evidence": fix(e.evidence)}) for e in d.events],
                "events_file": _anchored(d.events_file, base) if d.events_file else None,
                "survey_file": d.survey_file.model_copy(update={"file": _anchored(d.survey_file.file, base)})
                if d.survey_file
                else None,
            }
        )
    return inputs.model_copy(update=update)
