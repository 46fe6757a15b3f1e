"""A survey export checked and summarised, nothing recorded (`kpi6 survey summary`, the portal's preview). No
Prefect: a command that only reads is not slowed by it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel

from kpi6.models.errors import InputError
from kpi6.models.survey import BandScheme, SurveyResult, SurveySummary, summarize
from kpi6.tasks.adapters import survey_files
from kpi6.tasks.adapters.rounds import load_round


class ProblemLine(BaseModel):
    """One problem of a survey row: its spreadsheet row and column, its kind (and in Thai), the detail."""

    row: int
    column: str
    kind: str
    kind_th: str
    message: str


class SurveyChecked(BaseModel):
    """A survey export checked and summarised, nothing recorded (`kpi6 survey summary`, the portal's preview)."""

    result: SurveyResult
    summary: SurveySummary
    rejected_file: str | None = None
    rejected_rows: int = 0
    problems: list[ProblemLine] = []


def check_survey(
    path: str,
    *,
    round_id: str | None = None,
    bands: str | None = None,
    laos_disseminated: int | None = None,
    skip_invalid: bool = False,
    write_rejected: bool = True,
) -> SurveyChecked:
    """Read, check and summarise a survey export against the round (its period, columns and bands; without a
    round, any date and the 0.8 bands). A file with errors is refused whole unless `skip_invalid`; then the
    rejected rows go to FILE.rejected.csv with their reasons (unless not `write_rejected`: the portal shows them)."""
    config = load_round(round_id) if round_id else None
    try:
        scheme = BandScheme(bands) if bands else (config.survey.bands if config else BandScheme.width_0_8)
    except ValueError:
        raise InputError(f"--bands {bands!r}: use 0.8 or 0.5") from None
    file = Path(path)
    result, checked, table = survey_files.read_survey(
        file,
        period=config.period if config else (date.min, date.max),
        columns=config.survey.columns if config else None,
        skip_invalid=skip_invalid,
    )
    rejected = survey_files.write_rejected(file, table, checked) if checked.rejected_rows and write_rejected else None
    return SurveyChecked(
        result=result,
        summary=summarize(result, scheme=scheme, laos_disseminated=laos_disseminated),
        rejected_file=str(rejected) if rejected else None,
        rejected_rows=len(checked.rejected_rows),
        problems=[
            ProblemLine(row=p.row, column=p.column, kind=p.kind, kind_th=p.kind_th, message=p.message)
            for p in checked.problems
        ],
    )
