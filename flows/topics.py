"""Step 1 in the Prefect UI: read a province's LPA results, publish the ranking, the two proposed topics and
the plan as an artifact; the clerk accepts it as is (`accept`) or edits the plan into `province-round`'s form."""

from __future__ import annotations

from prefect import flow

from kpi6.flows.province import ProvinceParam, province_round, run_name
from kpi6.models.inputs import ProvinceInputs
from kpi6.tasks.artifacts import publish_topics_report, tag_run_early
from kpi6.tasks.plan import propose_topics_task


def topics_run_name() -> str:
    """`TH-50 เชียงใหม่ · 2567-1 · topics`."""
    return run_name().rsplit(" · ", 1)[0] + " · topics"


@flow(name="propose-topics", flow_run_name=topics_run_name, validate_parameters=True)
def propose_topics(
    province: ProvinceParam,
    round_id: str,
    lpa_results: str,
    accept: bool = False,  # noqa: FBT001, FBT002
    output_dir: str | None = None,
) -> str:
    """Rank the province's LPA weaknesses, propose the two topics and the plan (artifact `topics-<code>-<round>`);
    with `accept`, record step 1 with that plan. Returns the artifact's key."""
    tag_run_early(province, round_id, None)
    analysis, plan = propose_topics_task(province, round_id, lpa_results)
    key = publish_topics_report(province, round_id, analysis, plan)
    if accept:
        province_round(
            province=province, round_id=round_id, step=1, inputs=ProvinceInputs(plan=plan), output_dir=output_dir
        )
    return key
