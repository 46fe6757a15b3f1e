"""Benchmark: importing and summarising 100,000 survey responses (target: under 5 s).

Run: .venv/bin/python benchmarks/bench_survey.py [--responses 100000]
Times reading, checking every row, tallying and summarising, for a Google Forms CSV (Thai labels) and a
Microsoft Forms XLSX (numbers), each with four rating items, respondent columns and a comment column.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from kpi6.models.lpa import LaoType
from kpi6.models.survey import summarize
from kpi6.tasks.adapters.survey_files import read_survey
from kpi6.tasks.demo import lao_pool, survey_answers, write_google_csv, write_msforms_xlsx

ROUND = (date(2023, 10, 1), date(2024, 3, 31))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    n = parser.parse_args().responses
    rng = random.Random(6)
    laos = lao_pool(rng, "นครราชสีมา", {LaoType.pao: 1, LaoType.municipality: 90, LaoType.sao: 240})
    rows = survey_answers(rng, respondents=n, laos=laos, start=date(2024, 1, 8), end=date(2024, 3, 8))
    with tempfile.TemporaryDirectory() as tmp:
        files = [write_google_csv(Path(tmp) / "google.csv", rows), write_msforms_xlsx(Path(tmp) / "ms.xlsx", rows)]
        for path in files:
            started = time.perf_counter()
            result, checked, _ = read_survey(path, period=ROUND, skip_invalid=True)
            summary = summarize(result)
            seconds = time.perf_counter() - started
            print(
                f"{path.name:11s} {path.stat().st_size / 1e6:5.1f} MB  {summary.n:,} responses "
                f"({result.rejected} rejected) imported and summarised in {seconds:.2f} s "
                f"(overall mean {summary.overall.mean:.2f}, SD {summary.overall.sd:.2f})"
            )


if __name__ == "__main__":
    main()
