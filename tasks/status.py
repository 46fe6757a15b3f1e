"""Where a round stands: provinces × steps as of a day, read from the database (`kpi6 status`, the portal)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, PrivateAttr

from kpi6.models.db import StepProgress
from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ScoreLine, score_lines, score_province
from kpi6.models.steps import forms
from kpi6.models.summary import ProvinceStatus, RoundStatus, StepView, step_outcomes, step_views
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import read_scope
from kpi6.tasks.outputs import province_files
from kpi6.tasks.setup import open_round


def round_status(round_id: str, *, as_of: date, province: str | None = None) -> RoundStatus:
    """Every province (or only `province`) and every declared step: state, deadline and working days late, or
    overdue so far as of `as_of`."""
    return status_of(open_round(round_id), as_of=as_of, province=province)


def status_of(
    config: RoundConfig, *, as_of: date, province: str | None = None, progress: Sequence[StepProgress] | None = None
) -> RoundStatus:
    """`round_status` of a round already open; `progress`: its rows when the caller has just read them."""
    only = registry().get(province).code if province else None
    if progress is None:
        with read_scope() as session:
            progress = repository.all_progress(session=session, round_id=config.id)
    rows: dict[str, dict[int, StepProgress]] = defaultdict(dict)
    for r in progress:
        rows[r.province_code][r.step] = r
    cal = config.working_calendar()
    return RoundStatus(
        round_id=config.id,
        as_of=as_of,
        deadlines=[(sc.number, sc.deadline) for sc in config.steps],
        provinces=[
            ProvinceStatus(
                code=p.code, name_th=p.name_th, steps=step_outcomes(config, rows[p.code], as_of=as_of, calendar=cal)
            )
            for p in registry()
            if only is None or p.code == only
        ],
    )


class SubmissionLine(BaseModel):
    """A report's counting submission: when DLA's server accepted it (or the office says it sent it), how."""

    version: int
    submitted_at: datetime
    channel: str
    message_id: str | None


class ProvinceView(BaseModel):
    """What an office's home page (and its JSON twin) shows: the steps as a timeline, the score, the files the
    runs wrote and the evidence links."""

    code: str
    name_th: str
    name_en: str
    round_id: str
    as_of: date
    sample_dates: bool
    steps: list[StepView]
    score: ScoreLine
    files: list[str]
    evidence: dict[int, list[str]]
    submissions: dict[int, SubmissionLine]  # by form
    # What each step recorded as its input, read in the same snapshot as the rest (a step's page starts its form
    # from it); not part of the page's JSON twin.
    _inputs: dict[int, dict[str, Any]] = PrivateAttr(default_factory=dict)

    def recorded_input(self, step: int) -> BaseModel | None:
        """What the province recorded for a step (its input, as its declaration's model), or None."""
        from kpi6.models.steps import spec

        data = self._inputs.get(step)
        return spec(step).input_model.model_validate(data) if data else None


def province_view(code: str, round_id: str, *, as_of: date, output_dir: str | None = None) -> ProvinceView:
    """One province's round as of a day, from what the database records."""
    province = registry().get(code)
    config = open_round(round_id)
    with read_scope() as session:
        rows = repository.step_states(session=session, province_code=province.code, round_id=config.id)
        facts = repository.round_facts(session=session, round_id=config.id, province_code=province.code)
        latest = {
            form: repository.latest_submission(
                session=session, province_code=province.code, round_id=config.id, form=form
            )
            for form in forms()
        }
    cal = config.working_calendar()
    outcomes = step_outcomes(config, rows, as_of=as_of, calendar=cal)
    [score] = score_lines([score_province(config, province.code, facts.get(province.code, {}), cal)])
    view = ProvinceView(
        code=province.code,
        name_th=province.name_th,
        name_en=province.name_en,
        round_id=config.id,
        as_of=as_of,
        sample_dates=config.sample_dates,
        steps=step_views(config, outcomes, as_of=as_of, calendar=cal),
        score=score,
        files=[p.name for p in province_files(output_dir, config.id, province.code)],
        evidence={n: list(r.evidence) for n, r in rows.items() if r.evidence},
        submissions={
            form: SubmissionLine(
                version=s.version, submitted_at=s.submitted_at, channel=s.channel, message_id=s.message_id
            )
            for form, s in latest.items()
            if s is not None
        },
    )
    view._inputs = {n: dict(r.inputs) for n, r in rows.items() if r.inputs}
    return view
