"""The units of work of the five steps, and the database writes that record them (Prefect tasks).

Each step task checks what the office entered and prepares what is to be recorded; `record_step`
then writes it in one transaction. Later work (documents, Drive, e-mail) slots into the step tasks.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from kpi6.models.db import StepState
from kpi6.models.errors import InputError
from kpi6.models.inputs import (
    DisseminationInput,
    MediaSetInput,
    PlanInput,
    ProvinceInputs,
    ReportInput,
    media_problem,
)
from kpi6.models.provinces import Province, registry
from kpi6.models.round import RoundConfig
from kpi6.models.rules import StepAction, ValidatedStep, as_aware, check_report_time, validate_step
from kpi6.models.summary import ProvinceRunSummary, StepOutcome
from kpi6.models.survey import SurveyResult
from kpi6.settings import get_settings
from kpi6.tasks import production, topics
from kpi6.tasks.adapters import repository, survey_files
from kpi6.tasks.adapters.database import SETUP_LOCK, migrate, serialise, session_scope
from kpi6.tasks.adapters.evidence import check_evidence, folder_parts, store_evidence
from kpi6.tasks.adapters.rounds import load_round


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


def default_actor() -> str:
    return get_settings().actor or getpass.getuser()


def prepare_database(config: RoundConfig, *, actor: str) -> None:
    """Create or upgrade the schema and make sure it knows the provinces and this round."""
    migrate()
    with session_scope() as session:
        serialise(session.connection(), SETUP_LOCK)  # two runs at once would both insert the same rows
        repository.sync_provinces(session=session, provinces=registry())
        repository.sync_round(session=session, config=config, actor=actor, at=repository.utcnow())


@task(cache_policy=NO_CACHE)
def prepare_run(
    province: str,
    round_id: str,
    inputs: ProvinceInputs,
    now: datetime | None = None,
    actor: str | None = None,
    output_dir: str | None = None,
    lpa_results: str | None = None,
) -> tuple[RunContext, dict[int, str], ProvinceInputs]:
    """Resolve province and round, read the files the inputs name, check every input before anything is
    written; the steps' states and the inputs with their files read."""
    ctx = RunContext(
        province=registry().get(province),
        config=load_round(round_id),
        now=as_aware(now) if now else repository.utcnow(),
        actor=actor or default_actor(),
        output_dir=output_dir,
        clock_fixed=now is not None,
    )
    inputs = resolve_files(ctx, inputs, lpa_results)
    check_inputs(ctx, inputs)
    if any(inputs.for_step(n) is not None for n in range(1, 6)):
        production.check_output_dir(output_dir)
    prepare_database(ctx.config, actor=ctx.actor)
    return ctx, current_states(ctx), inputs


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
        return {n: rows[n].state if n in rows else StepState.pending.value for n in range(1, 6)}


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


def check_inputs(ctx: RunContext, inputs: ProvinceInputs) -> list[int]:
    """Validate every step's input before anything is written; returns the steps that have input."""
    inputs = resolve_files(ctx, inputs)
    given = [n for n in range(1, 6) if inputs.for_step(n) is not None]
    for n in given:
        validate_step(ctx.config, n, inputs.for_step(n), now=ctx.now)  # type: ignore[arg-type]
    moments = {n: as_aware(m) for n in given if (m := _moment(inputs.for_step(n))) is not None}
    for n in given:  # a report dated before the steps of the same input (those recorded before: at the report)
        if ctx.config.step(n).report and n in moments:
            check_report_time(ctx.config, n, moments[n], {k: m for k, m in moments.items() if k != n})
    problem = media_problem(inputs.media.media) if inputs.media is not None else None
    if problem:
        raise InputError(problem)
    for n, part in ((1, inputs.plan), (2, inputs.media), (4, inputs.dissemination)):
        if part is not None:
            check_evidence(
                part.evidence + _event_evidence(part),
                what=f"step {n} ({ctx.config.step(n).name_en})",
                max_mb=get_settings().evidence_max_mb,
            )
    return given


def _moment(part: object) -> datetime | None:
    """When the office says a step was done: its `done_at`, or a report's `submitted_at`."""
    return getattr(part, "done_at", None) or getattr(part, "submitted_at", None)


def _event_evidence(part: object) -> list[str]:
    return [x for e in part.events for x in e.evidence] if isinstance(part, DisseminationInput) else []


def _store(
    ctx: RunContext, fields: list[str], entries: list[str], *, survey_files: list[str] | None = None
) -> list[str]:
    """The evidence fields' folder links, then the office's evidence (files put in the first folder;
    a survey export in the survey folder)."""
    store = production.evidence_store(ctx.output_dir)
    parts = [folder_parts(ctx.config.id, ctx.province.code, f) for f in fields]
    stored = store_evidence(store, parts[0], entries)
    if survey_files:
        stored += store_evidence(store, folder_parts(ctx.config.id, ctx.province.code, "survey"), survey_files)
    return [store.folder_link(p) for p in parts] + stored


def _report(ctx: RunContext, step: int, report: ReportInput, *, force: bool) -> bool:
    """Steps 3 and 5: render the form, write and store it, send it once (for e-mail) and record it; the
    server's acceptance time becomes the submission time."""
    form = ctx.config.step(step).form or 0
    result = validate_step(ctx.config, step, report, now=ctx.now)
    with session_scope() as session:  # the version this run saw last: a version recorded meanwhile stops it
        seen = repository.recorded_version(
            session=session, province_code=ctx.province.code, round_id=ctx.config.id, form=form
        )
    after = seen if force else 0  # a run that is not a resubmission sends version 1 or nothing
    report_at = production.report_moment(ctx, form, report, result.completed_at)
    produce = production.produce_form1 if form == 1 else production.produce_form2
    files, links = produce(ctx, report, report_at)
    result.file_hashes, sent = production.deliver_report(ctx, form, files, links, report, after_version=after)
    if sent is not None:
        result.completed_at, result.message_id, result.version = sent.sent_at, sent.message_id, after + 1
    return record_step(ctx, result, force=force)


@task(cache_policy=NO_CACHE)
def make_plan(ctx: RunContext, plan: PlanInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 1: check the plan and its implementation steps; its evidence goes to the step-1 folder."""
    result = validate_step(ctx.config, 1, plan, now=ctx.now)
    result.evidence = _store(ctx, ["plan"], plan.evidence)
    return record_step(ctx, result, force=force)


@task(cache_policy=NO_CACHE)
def produce_media(ctx: RunContext, media: MediaSetInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 2: check the two media carry the five required elements; generate those the office did not link."""
    validate_step(ctx.config, 2, media, now=ctx.now)
    media, hashes = production.produce_media(ctx, media)
    result = validate_step(ctx.config, 2, media, now=ctx.now)
    result.evidence = [m.link for m in media.media if m.link] + _store(ctx, ["media"], media.evidence)[1:]
    result.file_hashes = hashes
    return record_step(ctx, result, force=force)


@task(cache_policy=NO_CACHE)
def report_form1(ctx: RunContext, report: ReportInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 3: produce Form 1 (.docx and .pdf) and record the report's submission to DLA."""
    return _report(ctx, 3, report, force=force)


@task(cache_policy=NO_CACHE)
def disseminate_and_survey(ctx: RunContext, dissemination: DisseminationInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 4: record the dissemination events and the survey (its export, or the last `kpi6 survey import`);
    the events' evidence goes to the dissemination folder, the survey export to the survey folder."""
    dissemination = with_imported_survey(ctx, dissemination)
    result = validate_step(ctx.config, 4, dissemination, now=ctx.now)
    survey_files = [dissemination.survey_file.file] if dissemination.survey_file else []
    result.evidence = _store(
        ctx,
        ["dissemination", "survey"],
        dissemination.evidence + _event_evidence(dissemination),
        survey_files=survey_files,
    )
    return record_step(ctx, result, force=force)


def with_imported_survey(ctx: RunContext, dissemination: DisseminationInput) -> DisseminationInput:
    """Without a survey in the input, the province's last imported survey for the round (if any)."""
    if dissemination.survey is not None or dissemination.satisfaction:
        return dissemination
    with session_scope() as session:
        row = survey_files.latest_import(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        if row is None:
            return dissemination
        result = SurveyResult.model_validate(row.result)
    return dissemination.model_copy(update={"survey": result, "survey_respondents": result.respondents})


@task(cache_policy=NO_CACHE)
def report_form2(ctx: RunContext, report: ReportInput, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 5: produce Form 2 (.docx and .pdf) and record the report's submission to DLA."""
    return _report(ctx, 5, report, force=force)


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


@task(cache_policy=NO_CACHE)
def summarize_run(ctx: RunContext, actions: dict[int, StepAction]) -> ProvinceRunSummary:
    """Each step's deadline, state, completion time and working days late, as the database has them."""
    cal = ctx.config.working_calendar()
    with session_scope() as session:
        rows = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
    outcomes = []
    for sc in ctx.config.steps:
        row = rows.get(sc.number)
        done_at = row.completed_at if row and row.state == StepState.done.value else None
        outcomes.append(
            StepOutcome(
                step=sc.number,
                name_th=sc.name_th,
                name_en=sc.name_en,
                deadline=sc.deadline,
                action=actions.get(sc.number, StepAction.unchanged),
                state=row.state if row else "pending",
                completed_at=done_at,
                working_days_late=cal.working_days_late(sc.deadline, done_at) if done_at else 0,
            )
        )
    return ProvinceRunSummary(
        province_code=ctx.province.code, province_name_th=ctx.province.name_th, round_id=ctx.config.id, steps=outcomes
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
        production.clear_round_outputs(output_dir, round_id)


def failed_steps_alert(parameters: dict, message: str) -> list[str]:  # type: ignore[type-arg]
    """Alert DLA about a failed province run: which steps the database marks failed, and why. Never raises
    (a hook must not hide the run's own error); returns the channels used."""
    import logging

    from kpi6.tasks.adapters.notify import alert_failure

    try:
        province = registry().get(str(parameters.get("province", "")))
        round_id = str(parameters.get("round_id", ""))
        with session_scope() as session:
            rows = repository.step_states(session=session, province_code=province.code, round_id=round_id)
            failed = sorted(n for n, r in rows.items() if r.state == StepState.failed.value)
            errors = [rows[n].error for n in failed if rows[n].error]
        return alert_failure(
            province=province.label,
            round_id=round_id,
            steps=failed,
            error="; ".join(errors) or message,
            settings=get_settings(),
            outbox=production.output_root(parameters.get("output_dir")) / "outbox",
        )
    except Exception as exc:
        logging.getLogger("kpi6").warning("could not alert DLA about a failed run: %s", exc)
        return []


class SurveyImported(BaseModel):
    """What `kpi6 survey import` did."""

    result: SurveyResult
    created: bool
    rejected_file: str | None = None
    evidence: list[str] = []
    step4_done: bool = False


def import_survey(
    *,
    province: str,
    round_id: str,
    path: str,
    skip_invalid: bool = False,
    actor: str | None = None,
    output_dir: str | None = None,
) -> SurveyImported:
    """Check a survey export, store it as step 4's survey evidence and keep its tally for step 4 and Form 2.

    A file with errors is refused whole (nothing stored, nothing recorded) unless `skip_invalid`."""
    ctx = RunContext(
        province=registry().get(province),
        config=load_round(round_id),
        now=repository.utcnow(),
        actor=actor or default_actor(),
        output_dir=output_dir,
    )
    file = Path(path)
    result, checked, table = survey_files.read_survey(
        file, period=ctx.config.period, columns=ctx.config.survey.columns, skip_invalid=skip_invalid
    )
    check_evidence([path], what="the survey file", max_mb=get_settings().evidence_max_mb)
    production.check_output_dir(output_dir)
    # The rejected rows are written first: if that file cannot be written, nothing is imported.
    rejected = survey_files.write_rejected(file, table, checked) if checked.rejected_rows else None
    prepare_database(ctx.config, actor=ctx.actor)
    stored = store_evidence(
        production.evidence_store(output_dir), folder_parts(ctx.config.id, ctx.province.code, "survey"), [path]
    )
    with session_scope() as session:
        at = repository.utcnow()
        row, created = survey_files.record_import(
            session=session,
            province_code=ctx.province.code,
            round_id=ctx.config.id,
            result=result,
            actor=ctx.actor,
            at=at,
        )
        if created:
            repository.audit(
                session=session,
                actor=ctx.actor,
                action="survey_imported",
                at=at,
                province_code=ctx.province.code,
                round_id=ctx.config.id,
                step=4,
                detail={
                    "source": result.source,
                    "sha256": result.sha256,
                    "respondents": result.respondents,
                    "rejected": result.rejected,
                },
            )
        states = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        step4_done = 4 in states and states[4].state == StepState.done.value
    return SurveyImported(
        result=result,
        created=created,
        rejected_file=str(rejected) if rejected else None,
        evidence=stored,
        step4_done=step4_done,
    )


@task(cache_policy=NO_CACHE)
def propose_topics_task(province: str, round_id: str, lpa_results: str) -> tuple[topics.Analysis, PlanInput]:
    """Read the LPA results; the ranking, the proposal and the plan for step 1 (the results file as its evidence)."""
    prov, config = registry().get(province), load_round(round_id)
    analysis = topics.analyse(Path(lpa_results), province=prov, config=config)
    plan = topics.proposed_plan(analysis, config, prov)
    return analysis, plan.model_copy(update={"evidence": [lpa_results]})
