"""Penalty-adjusted scores of every province for a round."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from kpi6.models.calendar import BANGKOK
from kpi6.models.scoring import ProvinceScore
from kpi6.tasks.adapters.rounds import round_for_date
from kpi6.tasks.artifacts import publish_scoreboard
from kpi6.tasks.national import make_national_report, publish_national_map, write_national_report
from kpi6.tasks.run import prepare_round
from kpi6.tasks.scoring import compute_scores, store_scores


@flow(name="score-round", flow_run_name="scores · {round_id}")
def score_round(
    round_id: str | None = None,
    report: bool = False,  # noqa: FBT001, FBT002  (a flow's parameters are named in its deployment)
    output_dir: str | None = None,
) -> list[ProvinceScore]:
    """Compute and store the scores of all 76 provinces for the round (default: the round of today) and publish the
    scoreboard; with `report`, also write the national report (national-<round>.pdf and .docx in `output_dir`) and
    publish the map."""
    if round_id is None:
        current = round_for_date(datetime.now(BANGKOK).date())
        if current is None:
            return []
        round_id = current.id
    config = prepare_round(round_id)
    scores = compute_scores(config)
    store_scores(scores)
    publish_scoreboard(config, scores)
    if report:
        national = make_national_report(config, scores)
        write_national_report(national, output_dir)
        publish_national_map(national)
    return scores
