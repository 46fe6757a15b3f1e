"""The steps of indicator 6, each declared once: what it is, what it takes, what it needs, where its evidence
goes, which form reports it and which task performs it. Every consumer (the inputs, the rules, the round
file, the province flow, the forms, the status, the reminders) reads these declarations.

A round file gives each declared step only its deadline (and the scoring its points): when a step is due is
DLA's to change per round; what a step is, is declared here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kpi6.models.inputs import DisseminationInput, MediaSetInput, PlanInput, ReportInput


class StepSpec(BaseModel):
    """One step of the indicator."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    number: Annotated[int, Field(ge=1)]
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="its input's key in an office's input file")
    name_th: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    input_model: type[BaseModel]
    requires: tuple[int, ...] = ()
    evidence_fields: tuple[str, ...] = Field(description="the evidence folders it fills, the first for its files")
    reported_on: int | None = Field(description="the form (1 or 2) whose report covers this step, if one does")
    sends_form: int | None = Field(default=None, description="the form this step sends to DLA, for a report step")
    task: str = Field(pattern=r"^[\w.]+:\w+$", description="module:name of the Prefect task that performs it")

    @model_validator(mode="after")
    def _consistent(self) -> StepSpec:
        if self.number in self.requires or any(r > self.number for r in self.requires):
            raise ValueError(f"step {self.number} can only require earlier steps, not {list(self.requires)}")
        if self.sends_form is not None and self.sends_form != self.reported_on:
            raise ValueError(f"step {self.number} sends Form {self.sends_form} but is reported on {self.reported_on}")
        if not self.evidence_fields:
            raise ValueError(f"step {self.number} needs at least one evidence folder")
        return self

    @property
    def report(self) -> bool:
        """Whether this step sends a report (a form) to DLA."""
        return self.sends_form is not None

    @property
    def form(self) -> int | None:
        return self.sends_form


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        number=1,
        key="plan",
        name_th="จัดทำแผนและขั้นตอนการดำเนินงาน",
        name_en="Plan and implementation steps",
        input_model=PlanInput,
        evidence_fields=("plan",),
        reported_on=1,
        task="kpi6.tasks.plan:make_plan",
    ),
    StepSpec(
        number=2,
        key="media",
        name_th="จัดทำสื่อ 2 เรื่อง",
        name_en="Produce media on two topics",
        input_model=MediaSetInput,
        requires=(1,),
        evidence_fields=("media",),
        reported_on=1,
        task="kpi6.tasks.media:produce_media",
    ),
    StepSpec(
        number=3,
        key="form1",
        name_th="รายงานผลตามแบบฟอร์ม 1 (ขั้นตอนที่ 1-3)",
        name_en="Report on Form 1 (steps 1-3)",
        input_model=ReportInput,
        requires=(1, 2),
        evidence_fields=("form1",),
        reported_on=1,
        sends_form=1,
        task="kpi6.tasks.reports:report_form1",
    ),
    StepSpec(
        number=4,
        key="dissemination",
        name_th="นำสื่อไปเผยแพร่ให้ อปท. และประเมินความพึงพอใจ",
        name_en="Disseminate the media to LAOs and survey their satisfaction",
        input_model=DisseminationInput,
        requires=(2,),
        evidence_fields=("dissemination", "survey"),
        reported_on=2,
        task="kpi6.tasks.dissemination:disseminate_and_survey",
    ),
    StepSpec(
        number=5,
        key="form2",
        name_th="รายงานผลตามแบบฟอร์ม 2 (ขั้นตอนที่ 4-5)",
        name_en="Report on Form 2 (steps 4-5)",
        input_model=ReportInput,
        requires=(3, 4),
        evidence_fields=("form2",),
        reported_on=2,
        sends_form=2,
        task="kpi6.tasks.reports:report_form2",
    ),
)

_declared: list[StepSpec] = list(STEPS)


def declared() -> tuple[StepSpec, ...]:
    """The declared steps, in order."""
    return tuple(_declared)


def numbers() -> tuple[int, ...]:
    return tuple(s.number for s in _declared)


def spec(number: int) -> StepSpec:
    for s in _declared:
        if s.number == number:
            return s
    raise KeyError(number)


def by_key() -> dict[str, StepSpec]:
    return {s.key: s for s in _declared}


def reported_on(form: int) -> tuple[StepSpec, ...]:
    """The steps a form's report covers (Form 1: steps 1-3), the report step among them."""
    return tuple(s for s in _declared if s.reported_on == form)


def report_step(form: int) -> StepSpec:
    """The step that sends `form`."""
    return next(s for s in _declared if s.sends_form == form)


def forms() -> tuple[int, ...]:
    """The forms the steps send, in order (1, 2)."""
    return tuple(s.sends_form for s in _declared if s.sends_form is not None)


def evidence_folder(field: str) -> tuple[str, ...]:
    """The folder of an evidence field below `<round>/<province code>/`: `step-N` for a step's first field,
    `step-N/<field>` for a further one (step 4's survey export: `step-4/survey`)."""
    for s in _declared:
        if field in s.evidence_fields:
            first = f"step-{s.number}"
            return (first,) if s.evidence_fields[0] == field else (first, field)
    raise KeyError(f"no step declares the evidence field {field!r}")


@contextmanager
def declare(extra: StepSpec) -> Iterator[StepSpec]:
    """Declare one more step for the duration (a test of a round with a sixth step); it must come last."""
    if extra.number != max(numbers()) + 1:
        raise ValueError(f"a further step is number {max(numbers()) + 1}, not {extra.number}")
    if extra.key in by_key():
        raise ValueError(f"a step already takes the input key {extra.key!r}")
    _declared.append(extra)
    try:
        yield extra
    finally:
        _declared.remove(extra)
