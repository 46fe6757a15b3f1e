"""Scores at the edge, without Prefect: read the facts, compute (pure, in models.scoring), store, export. The
Prefect tasks of the scoring flow (tasks/scoring.py) call these; so do the read-only doors (`kpi6 score`, the
portal's pages)."""

from __future__ import annotations

import csv
from pathlib import Path

from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ProvinceScore, score_province
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import read_scope, session_scope
from kpi6.tasks.adapters.spreadsheets import csv_safe

SCORES_CSV_COLUMNS = (
    "code",
    "name_th",
    "name_en",
    "steps_done",
    "points",
    "late_reports",
    "working_days_late",
    "penalty",
    "total",
)


def compute_round_scores(config: RoundConfig) -> list[ProvinceScore]:
    """Scores of all 76 provinces from what the database records (no progress scores 0)."""
    with read_scope() as session:
        facts = repository.round_facts(session=session, round_id=config.id)
    cal = config.working_calendar()
    return [score_province(config, p.code, facts.get(p.code, {}), cal) for p in registry()]


def save_round_scores(scores: list[ProvinceScore]) -> int:
    with session_scope() as session:
        return repository.save_scores(session=session, scores=scores, at=repository.utcnow())


def write_scores_csv(scores: list[ProvinceScore], path: Path) -> Path:
    """The national score table as UTF-8 CSV with a BOM, so Excel shows the Thai names; a text cell a spreadsheet
    would run as a formula is written as text (tables.csv_safe)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SCORES_CSV_COLUMNS)
        for s in scores:
            p = registry().get(s.province_code)
            w.writerow(
                [
                    *map(csv_safe, (p.code, p.name_th, p.name_en)),
                    s.steps_done,
                    f"{s.points:.2f}",
                    s.late_reports,
                    s.working_days_late,
                    f"{s.penalty:.2f}",
                    f"{s.total:.2f}",
                ]
            )
    return path
