"""Step 1: the plan and its implementation steps (จัดทำแผนและขั้นตอนการดำเนินงาน)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.inputs import (
    PlanInput,
)
from kpi6.models.rules import ValidatedStep
from kpi6.models.steps import by_key
from kpi6.tasks.run import RunContext, record_step, store_step_evidence


@task(cache_policy=NO_CACHE)
def make_plan(ctx: RunContext, plan: PlanInput, checked: ValidatedStep, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 1: record the plan and its implementation steps; its evidence goes to its folder."""
    step = by_key()["plan"]
    result = checked.model_copy()
    result.evidence = store_step_evidence(ctx, step, plan.evidence)
    return record_step(ctx, result, force=force)
