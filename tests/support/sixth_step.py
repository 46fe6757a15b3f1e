"""A sixth step, declared by a test: a follow-up visit after Form 2, with its own input and task, on no form."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field

from kpi6.models.rules import ValidatedStep
from kpi6.models.steps import StepSpec, by_key
from kpi6.tasks.run import RunContext, record_step, store_step_evidence


class FollowUpInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited: str = Field(min_length=1, max_length=200)
    done_at: datetime | None = None
    evidence: list[str] = []


@task(cache_policy=NO_CACHE)
def follow_up(ctx: RunContext, data: FollowUpInput, checked: ValidatedStep, force: bool = False) -> bool:
    step = by_key()["follow_up"]
    result = checked.model_copy()
    result.evidence = store_step_evidence(ctx, step, data.evidence)
    return record_step(ctx, result, force=force)


SIXTH = StepSpec(
    number=6,
    key="follow_up",
    name_th="ติดตามผลการนำสื่อไปใช้",
    name_en="Follow up how the LAOs use the media",
    input_model=FollowUpInput,
    requires=(4,),
    evidence_fields=("follow_up",),
    reported_on=None,  # after Form 2: no report covers it
    task="tests.support.sixth_step:follow_up",
)
