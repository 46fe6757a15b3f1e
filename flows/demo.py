"""The national demo: all 76 provinces run a round on generated inputs, then the score table."""

from __future__ import annotations

from kpi6.flows.province import province_round
from kpi6.flows.scoring import score_round
from kpi6.models.scoring import ProvinceScore
from kpi6.tasks.production import output_root
from kpi6.tasks.samples import generate_demo_inputs
from kpi6.tasks.scores import export_scores_csv
from kpi6.tasks.steps import prepare_round, reset_round_data
from prefect import flow, tags


@flow(name="national-demo", flow_run_name="national demo · {round_id}")
def national_demo(
    round_id: str = "2567-1", seed: int = 6, out_dir: str | None = None, provinces: list[str] | None = None
) -> list[ProvinceScore]:
    """Start the round afresh, run every province (or only `provinces`) on sample inputs, score them all.

    With `out_dir`, each province's forms and media land in `<out_dir>/<round>/<code>/` and the scores in
    `<out_dir>/scores.csv`."""
    config = prepare_round(round_id)
    reset_round_data(round_id)
    inputs = generate_demo_inputs(config, seed, str(output_root(out_dir) / "inputs" / round_id))
    for code, province_inputs in inputs.items():
        if provinces and code not in provinces:
            continue
        with tags(f"province:{code}", f"round:{round_id}", "demo"):
            province_round(province=code, round_id=round_id, inputs=province_inputs, output_dir=out_dir)
    scores = score_round(round_id)
    if out_dir:
        export_scores_csv(scores, f"{out_dir}/scores.csv")
    return scores
