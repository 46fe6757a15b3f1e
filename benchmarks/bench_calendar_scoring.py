"""Benchmark: working-day counting and scoring for a whole round (76 provinces).

Run: .venv/bin/python benchmarks/bench_calendar_scoring.py
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from kpi6.models.calendar import BANGKOK
from kpi6.models.scoring import StepFacts, score_province
from kpi6.tasks.adapters.rounds import load_round


def main() -> None:
    config = load_round("2567-1")
    cal = config.working_calendar()
    cal.is_working_day(date(2024, 1, 1))  # load the holiday tables once
    started = time.perf_counter()
    n = 0
    for offset in range(366):
        cal.working_days_late(date(2023, 10, 1), date(2023, 10, 1) + timedelta(days=offset))
        n += 1
    per_count = (time.perf_counter() - started) / n
    sent = datetime(2024, 2, 14, 10, tzinfo=BANGKOK)
    facts = {s: StepFacts(done=True, completed_at=sent, submitted_at=sent) for s in range(1, 6)}
    started = time.perf_counter()
    for _ in range(100):
        for code in range(76):
            score_province(config, f"TH-{code}", facts, cal)
    per_round = (time.perf_counter() - started) / 100
    print(f"working_days_late over up to a year: {per_count * 1e3:.3f} ms per call")
    print(f"scoring 76 provinces: {per_round * 1e3:.1f} ms per round")


if __name__ == "__main__":
    main()
