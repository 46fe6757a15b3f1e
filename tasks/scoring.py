"""The scoring flow's Prefect tasks: compute, store and export the round's scores (tasks/scores.py does the work)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ProvinceScore
from kpi6.tasks.scores import compute_round_scores, save_round_scores, write_scores_csv


@task(cache_policy=NO_CACHE)
def compute_scores(config: RoundConfig) -> list[ProvinceScore]:
    """Compute every province's penalty-adjusted score for the round."""
    return compute_round_scores(config)


@task(cache_policy=NO_CACHE)
def store_scores(scores: list[ProvinceScore]) -> int:
    """Store the scores (one row per province and round)."""
    return save_round_scores(scores)


@task(cache_policy=NO_CACHE)
def export_scores_csv(scores: list[ProvinceScore], path: str) -> str:
    """Write scores.csv for DLA's spreadsheet."""
    return str(write_scores_csv(scores, Path(path)))
