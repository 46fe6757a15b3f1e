"""The one way a door (the CLI, the portal) runs a province's steps: the `province-round` flow, tagged for the
UI, with inputs too large for Prefect's parameters sent as a stored file. Every check of the inputs happens
once, inside the flow (`prepare_run`), before anything is written; a door adds none of its own."""

from __future__ import annotations

from datetime import datetime

from prefect import tags

from kpi6.flows.province import province_round
from kpi6.models.errors import InputError
from kpi6.models.inputs import ProvinceInputs
from kpi6.models.provinces import registry
from kpi6.models.steps import numbers, spec
from kpi6.models.summary import ProvinceRunSummary
from kpi6.tasks.adapters.parameters import inputs_parameters
from kpi6.tasks.artifacts import run_tags


def run_province(
    province: str,
    round_id: str,
    *,
    step: int | None = None,
    inputs: ProvinceInputs | None = None,
    force: bool = False,
    resubmit: bool = False,
    output_dir: str | None = None,
    lpa_results: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> ProvinceRunSummary:
    """Run one province's steps for a round (or only `step`). `force` re-runs a completed step (audited);
    `resubmit` sends a report step's form again as a new version, and is a forced re-run of that step. `now`
    simulates the run's time (the demo, tests): it is also the moment its e-mails are sent."""
    if resubmit and (step is None or spec(step).sends_form is None):
        reports = " or ".join(f"--step {n} (Form {spec(n).sends_form})" for n in numbers() if spec(n).sends_form)
        raise InputError(f"--resubmit sends a report again: give {reports}")
    code = registry().get(province).code
    with tags(*run_tags(code, round_id, step)):
        return province_round(
            province=code,
            round_id=round_id,
            step=step,
            force=force or resubmit,
            lpa_results=lpa_results,
            output_dir=output_dir,
            actor=actor,
            now=now,
            **inputs_parameters(inputs or ProvinceInputs()),
        )
