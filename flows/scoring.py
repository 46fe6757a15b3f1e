"""Penalty-adjusted scores of every province for a round."""

from __future__ import annotations

from kpi6.models.scoring import ProvinceScore
from kpi6.tasks.artifacts import publish_scoreboard
from kpi6.tasks.scores import compute_scores, store_scores
from kpi6.tasks.steps import prepare_round
from prefect import flow


@flow(name="score-round", flow_run_name="scores · {round_id}")
def score_round(round_id: str) -> list[ProvinceScore]:
    """Compute and store the scores of all 76 provinces for the round."""
    config = prepare_round(round_id)
    scores = compute_scores(config)
    store_scores(scores)
    publish_scoreboard(config, scores)
    return scores
