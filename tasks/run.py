"""A province run's frame: its context, the checks of every input before anything is written, and the
database writes that record a step, a failure and the run's summary (Prefect tasks)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from kpi6.models.db import StepState
from kpi6.models.errors import InputError
from kpi6.models.inputs import (
    DisseminationInput,
    MediaSetInput,
    ProvinceInputs,
    media_problem,
)
from kpi6.models.provinces import Province, registry
from kpi6.models.round import RoundConfig
from kpi6.models.rules import StepAction, ValidatedStep, as_aware, check_report_time, validate_step
from kpi6.models.steps import StepSpec, numbers
from kpi6.models.summary import ProvinceRunSummary, step_outcomes
from kpi6.settings import get_settings
from kpi6.tasks import topics
from kpi6.tasks.adapters import repository, survey_files
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.evidence import check_evidence, folder_parts, store_evidence
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.outputs import check_output_dir, clear_round_outputs, evidence_store, output_root
from kpi6.tasks.setup import default_actor, prepare_database


class RunContext(BaseModel):
    """Who and what a province run is about; `now` is fixed once per run."""

    province: Province
    config: RoundConfig
    now: datetime
    actor: str
    output_dir: str | None = None  # forms and media go to <output_dir>/<round>/<code>/; default data_dir
    clock_fixed: bool = False  # `now` was given (a simulated run): it is also the moment every e-mail is sent

    def clock(self) -> datetime:
        """The time now: the real clock, or the run's fixed `now` when the run was given one."""
        return self.now if self.clock_fixed else repository.utcnow()


@task(cache_policy=NO_CACHE)
def prepare_run(
    province: str,
    round_id: str,
    inputs: ProvinceInputs,
    now: datetime | None = None,
    actor: str | None = None,
    output_dir: str | None = None,
    lpa_results: str | None = None,
) -> tuple[RunContext, dict[int, str], ProvinceInputs, dict[int, ValidatedStep]]:
    """Resolve province and round, read the files the inputs name, check every input before anything is
    written; the steps' states, the inputs with their files read, and each given step's checked input (the step
    tasks take it: nothing is checked twice)."""
    ctx = RunContext(
        province=registry().get(province),
        config=load_round(round_id),
        now=as_aware(now) if now else repository.utcnow(),
        actor=actor or default_actor(),
        output_dir=output_dir,
        clock_fixed=now is not None,
    )
    inputs = resolve_files(ctx, inputs, lpa_results)
    checked = check_inputs(ctx, inputs)
    if checked:
        check_output_dir(output_dir)
    prepare_database(ctx.config, actor=ctx.actor)
    return ctx, current_states(ctx), inputs, checked


def resolve_files(ctx: RunContext, inputs: ProvinceInputs, lpa_results: str | None = None) -> ProvinceInputs:
    """Read the files the inputs name into them: the LPA results (step 1's plan when none is given), the
    events and the survey export (step 4). A bad file is an error here, before anything is written."""
    if lpa_results and inputs.plan is None:
        analysis = topics.analyse(Path(lpa_results), province=ctx.province, config=ctx.config)
        plan = topics.proposed_plan(analysis, ctx.config, ctx.province)
        inputs = inputs.model_copy(update={"plan": plan.model_copy(update={"evidence": [lpa_results]})})
    d = inputs.dissemination
    if d is None or (d.events_file is None and (d.survey_file is None or d.survey is not None)):
        return inputs  # nothing to read, or read already (the CLI checks before the flow runs)
    update: dict[str, object] = {}
    if d.events_file:
        path = Path(d.events_file)
        events = [
            e.model_copy(update={"evidence": survey_files.resolve_paths(e.evidence, path.parent)})
            for e in survey_files.read_events(path)
        ]
        update.update(events=[*d.events, *events], events_file=None)
    if d.survey_file and d.survey is None:
        result, checked, table = survey_files.read_survey(
            Path(d.survey_file.file),
            period=ctx.config.period,
            columns=d.survey_file.columns or ctx.config.survey.columns,
            skip_invalid=d.survey_file.skip_invalid,
        )
        if checked.rejected_rows:
            survey_files.write_rejected(Path(d.survey_file.file), table, checked)
        update.update(survey=result, satisfaction=[], survey_respondents=result.respondents)
    return inputs.model_copy(update={"dissemination": d.model_copy(update=update)})


def current_states(ctx: RunContext) -> dict[int, str]:
    """The state of each of the province's steps in this round."""
    with session_scope() as session:
        rows = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        return {n: rows[n].state if n in rows else StepState.pending.value for n in numbers()}


def record_step(ctx: RunContext, result: ValidatedStep, *, force: bool) -> bool:
    """Write the step as done, with its submission and audit row, in one transaction; False if unchanged."""
    for attempt in (1, 2):
        try:
            with session_scope() as session:
                return repository.complete_step(
                    session=session,
                    config=ctx.config,
                    province_code=ctx.province.code,
                    step=result.step,
                    inputs=result.inputs,
                    completed_at=result.completed_at,
                    actor=ctx.actor,
                    at=repository.utcnow(),
                    evidence=result.evidence,
                    file_hashes=result.file_hashes,
                    channel=result.channel,
                    message_id=result.message_id,
                    version=result.version,
                    force=force,
                )
        except IntegrityError:  # another run inserted the step's first row at the same instant: read it again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def check_inputs(ctx: RunContext, inputs: ProvinceInputs) -> dict[int, ValidatedStep]:
    """Validate every step's input before anything is written; each given step's checked input."""
    inputs = resolve_files(ctx, inputs)
    given = [n for n in numbers() if inputs.for_step(n) is not None]
    checked: dict[int, ValidatedStep] = {}
    for n in given:
        if (step_input := inputs.for_step(n)) is not None:
            checked[n] = validate_step(ctx.config, n, step_input, now=ctx.now)
    moments = {n: as_aware(m) for n in given if (m := _moment(inputs.for_step(n))) is not None}
    for n in given:  # a report dated before the steps of the same input (those recorded before: at the report)
        if ctx.config.step(n).report and n in moments:
            check_report_time(ctx.config, n, moments[n], {k: m for k, m in moments.items() if k != n})
    problem = media_problem(inputs.media.media) if inputs.media is not None else None
    if problem:
        raise InputError(problem)
    for n in given:  # the office's evidence files (a report's files are kpi6's own)
        part = inputs.for_step(n)
        if not ctx.config.step(n).report and part is not None:
            check_evidence(
                list(getattr(part, "evidence", [])) + event_evidence(part) + media_files(part),
                what=f"step {n} ({ctx.config.step(n).name_en})",
                max_mb=get_settings().evidence_max_mb,
            )
    return checked


def _moment(part: object) -> datetime | None:
    """When the office says a step was done: its `done_at`, or a report's `submitted_at`."""
    return getattr(part, "done_at", None) or getattr(part, "submitted_at", None)


def event_evidence(part: object) -> list[str]:
    return [x for e in part.events for x in e.evidence] if isinstance(part, DisseminationInput) else []


def media_files(part: object) -> list[str]:
    """The office's own files of its media (those it did not link and kpi6 does not generate)."""
    return [m.file for m in part.media if m.file and not m.link] if isinstance(part, MediaSetInput) else []


def store_step_evidence(
    ctx: RunContext, step: StepSpec, entries: list[str], *, second: list[str] | None = None
) -> list[str]:
    """The links of the step's evidence folders (its declaration's), then the office's evidence: `entries`
    put in the first folder, `second` (step 4's survey export) in the second."""
    store = evidence_store(ctx.output_dir)
    parts = [folder_parts(ctx.config.id, ctx.province.code, f) for f in step.evidence_fields]
    stored = store_evidence(store, parts[0], entries)
    if second:
        stored += store_evidence(store, parts[1], second)
    return [store.folder_link(p) for p in parts] + stored


@task(cache_policy=NO_CACHE)
def record_failure(ctx: RunContext, step: int, error: str) -> None:
    """Record that a step failed for a reason outside the office's input (audited)."""
    with session_scope() as session:
        repository.mark_step(
            session=session,
            province_code=ctx.province.code,
            round_id=ctx.config.id,
            step=step,
            state=StepState.failed,
            actor=ctx.actor,
            at=repository.utcnow(),
            error=error,
        )


def run_log(message: str) -> None:
    """A line in the run's log (what the Prefect UI shows under the run); outside a run, kpi6's own log."""
    import logging

    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger("kpi6")
    logger.info(message)


@task(cache_policy=NO_CACHE)
def summarize_run(ctx: RunContext, actions: dict[int, StepAction]) -> ProvinceRunSummary:
    """Each step's deadline, state, completion time and working days late, as the database has them."""
    with session_scope() as session:
        rows = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
    return ProvinceRunSummary(
        province_code=ctx.province.code,
        province_name_th=ctx.province.name_th,
        round_id=ctx.config.id,
        steps=step_outcomes(ctx.config, rows, actions=actions),
    )


@task(cache_policy=NO_CACHE)
def prepare_round(round_id: str, actor: str | None = None) -> RoundConfig:
    """Load the round's configuration and make sure the database knows it."""
    config = load_round(round_id)
    prepare_database(config, actor=actor or default_actor())
    return config


@task(cache_policy=NO_CACHE)
def reset_round_data(round_id: str, actor: str | None = None, output_dir: str | None = None) -> None:
    """Forget all provinces' progress, reports, e-mail claims and scores for the round (audited); with
    `output_dir`, also the files the round's runs wrote there."""
    with session_scope() as session:
        repository.reset_round(
            session=session, round_id=round_id, actor=actor or default_actor(), at=repository.utcnow()
        )
    if output_dir:
        clear_round_outputs(output_dir, round_id)


def failed_steps_alert(parameters: dict[str, Any], message: str) -> list[str]:
    """Alert DLA about a failed province run: which steps the database marks failed, and why. Never raises
    (a hook must not hide the run's own error); returns the channels used."""

    from kpi6.tasks.adapters.notify import alert_failure

    try:
        province = registry().get(str(parameters.get("province", "")))
        round_id = str(parameters.get("round_id", ""))
        with session_scope() as session:
            rows = repository.step_states(session=session, province_code=province.code, round_id=round_id)
            failed = sorted(n for n, r in rows.items() if r.state == StepState.failed.value)
            errors = [e for n in failed if (e := rows[n].error)]
        return alert_failure(
            province=province.label,
            round_id=round_id,
            steps=failed,
            error="; ".join(errors) or message,
            settings=get_settings(),
            outbox=output_root(parameters.get("output_dir")) / "outbox",
        )
    except Exception as exc:
        logging.getLogger("kpi6").warning("could not alert DLA about a failed run: %s", exc)
        return []
