"""Step 1: the plan and its implementation steps (จัดทำแผนและขั้นตอนการดำเนินงาน), and the plan proposed from the
province's LPA results (the `propose-topics` flow; tasks/topics.py does the analysis)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.inputs import PlanInput
from kpi6.models.provinces import registry
from kpi6.models.rules import ValidatedStep
from kpi6.models.steps import by_key
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.run import RunContext, record_step, store_step_evidence
from kpi6.tasks.topics import Analysis, analyse, proposed_plan


@task(cache_policy=NO_CACHE)
def make_plan(ctx: RunContext, plan: PlanInput, checked: ValidatedStep, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 1: record the plan and its implementation steps; its evidence goes to its folder."""
    step = by_key()["plan"]
    result = checked.model_copy()
    result.evidence = store_step_evidence(ctx, step, plan.evidence)
    return record_step(ctx, result, force=force)


@task(cache_policy=NO_CACHE)
def propose_topics_task(province: str, round_id: str, lpa_results: str) -> tuple[Analysis, PlanInput]:
    """Read the LPA results; the ranking, the proposal and the plan for step 1 (the results file as its evidence)."""
    prov, config = registry().get(province), load_round(round_id)
    analysis = analyse(Path(lpa_results), province=prov, config=config)
    plan = proposed_plan(analysis, config, prov)
    return analysis, plan.model_copy(update={"evidence": [lpa_results]})
