"""DLA's national picture at the edge: the facts of every province read from the database (models/national makes
the report of them), the report written as PDF and .docx, and the map published in the Prefect UI."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ValidationError

from kpi6.models.calendar import BANGKOK
from kpi6.models.db import StepProgress, StepState
from kpi6.models.errors import OutputError
from kpi6.models.forms import survey_of
from kpi6.models.inputs import DisseminationInput, PlanInput, PlanTopic
from kpi6.models.national import (
    Measure,
    NationalReport,
    ProvinceFacts,
    ProvinceMap,
    national_report,
    province_map,
)
from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ProvinceScore, ScoreLine, score_lines
from kpi6.models.steps import declared
from kpi6.models.summary import RoundStatus
from kpi6.models.survey import summarize
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import read_scope
from kpi6.tasks.artifacts import artifact_key
from kpi6.tasks.outputs import output_root, write_files
from kpi6.tasks.scores import compute_round_scores
from kpi6.tasks.setup import open_round
from kpi6.tasks.status import status_of


def _step_of(model: type) -> int:
    return next(s.number for s in declared() if s.input_model is model)


def national_facts(
    config: RoundConfig,
    scores: Sequence[ProvinceScore] | None = None,
    *,
    progress: Sequence[StepProgress] | None = None,
) -> list[ProvinceFacts]:
    """Every province's score line, the days its steps were done, its survey's mean and respondents, and the
    topics its plan chose, from what the database records (in the registry's order). `scores`, when the caller has
    just computed them (the scoring flow), are used as they are, so the report shows what the scoreboard shows;
    `progress`, the round's progress rows when the caller has just read them (DLA's page)."""
    plan_step, survey_step = _step_of(PlanInput), _step_of(DisseminationInput)
    if progress is None:
        with read_scope() as session:
            progress = repository.all_progress(session=session, round_id=config.id)
    rows = progress
    lines = score_lines(list(compute_round_scores(config) if scores is None else scores))
    completed: dict[str, dict[int, date]] = {}
    topics: dict[str, list[PlanTopic]] = {}
    surveys: dict[str, tuple[float, int]] = {}
    for row in rows:
        if row.state != StepState.done.value or row.completed_at is None:
            continue
        completed.setdefault(row.province_code, {})[row.step] = row.completed_at.astimezone(BANGKOK).date()
        try:
            if row.step == plan_step and row.inputs:
                topics[row.province_code] = list(PlanInput.model_validate(row.inputs).topics)
            elif row.step == survey_step and row.inputs:
                result = survey_of(DisseminationInput.model_validate(row.inputs))
                if result is not None:
                    overall = summarize(result, scheme=config.survey.bands).overall
                    if overall.mean is not None:
                        surveys[row.province_code] = (overall.mean, result.respondents)
        except ValidationError:
            continue  # a record an older kpi6 wrote differently: the province counts without it, as in its status
    return [
        ProvinceFacts(
            line=line,
            completed=completed.get(line.code, {}),
            satisfaction_mean=surveys[line.code][0] if line.code in surveys else None,
            respondents=surveys[line.code][1] if line.code in surveys else 0,
            topics=topics.get(line.code, []),
        )
        for line in lines
    ]


class NationalView(BaseModel):
    """DLA's national table: every province's steps (as of a day) and score, and the map of one measure."""

    status: RoundStatus
    scores: dict[str, ScoreLine]
    map: ProvinceMap


def national_view(round_id: str, *, as_of: date, measure: Measure = Measure.total) -> NationalView:
    """The table and the map from one read of the round's progress and one computation of its scores."""
    config = open_round(round_id)
    with read_scope() as session:
        progress = repository.all_progress(session=session, round_id=config.id)
    facts = national_facts(config, compute_round_scores(config), progress=progress)
    return NationalView(
        status=status_of(config, as_of=as_of, progress=progress),
        scores={f.line.code: f.line for f in facts},
        map=province_map(measure, config, facts),
    )


def build_national_report(
    config: RoundConfig, scores: Sequence[ProvinceScore] | None = None, *, as_of: date | None = None
) -> NationalReport:
    return national_report(config, national_facts(config, scores), as_of or datetime.now(BANGKOK).date())


def national_paths(output_dir: str | None, round_id: str) -> dict[str, Path]:
    root = output_root(output_dir)
    return {ext: root / f"national-{round_id}.{ext}" for ext in ("pdf", "docx")}


def render_national(report: NationalReport, ext: str) -> bytes:
    from kpi6.tasks.render.national import render_national_docx, render_national_pdf

    return render_national_pdf(report) if ext == "pdf" else render_national_docx(report)


def write_report(report: NationalReport, path: Path, data: bytes | None = None) -> Path:
    """One file of the report, .pdf or .docx by its name (`data`: already drawn), written whole (a temporary
    name, then renamed: a link at the path is replaced, never followed)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        drawn = data if data is not None else render_national(report, path.suffix.lower().lstrip("."))
        write_files(folder, {path.name: drawn})
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


@task(cache_policy=NO_CACHE)
def make_national_report(
    config: RoundConfig, scores: list[ProvinceScore] | None = None, as_of: date | None = None
) -> NationalReport:
    """The round's national report from what the database records now and the scores just computed (made once
    for the files and the map)."""
    return build_national_report(config, scores, as_of=as_of)


@task(cache_policy=NO_CACHE)
def write_national_report(report: NationalReport, output_dir: str | None) -> list[str]:
    """national-<round>.pdf and .docx in the output folder (drawn at once when rendering in processes); the
    paths written."""
    from kpi6.tasks.render.national import render_national_docx, render_national_pdf
    from kpi6.tasks.render.processes import render_all

    paths = national_paths(output_dir, report.round_id)
    drawn = render_all([(render_national_pdf, (report,)), (render_national_docx, (report,))])
    return [str(write_report(report, path, data)) for path, data in zip(paths.values(), drawn, strict=True)]


def map_markdown(pm: ProvinceMap) -> str:
    """A map as markdown: its PNG inline, so the Prefect UI shows it without reaching kpi6."""
    from kpi6.tasks.render.maps import map_png

    png = base64.b64encode(map_png(pm, dpi=72)).decode()
    return f"# {pm.title_th}\n\n{pm.title_en} · {pm.subtitle}\n\n![{pm.title_th}](data:image/png;base64,{png})\n"


@task(cache_policy=NO_CACHE)
def publish_national_map(report: NationalReport) -> str:
    """The report's map of total scores as a markdown artifact, under a key of its own per round."""
    key = artifact_key("national-map", report.round_id)
    [total] = [m for m in report.maps if m.measure is Measure.total]
    create_markdown_artifact(key=key, markdown=map_markdown(total), description=f"แผนที่คะแนน · รอบ {report.round_id}")
    return key
