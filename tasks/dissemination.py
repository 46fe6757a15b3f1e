"""Step 4: the dissemination events and the satisfaction survey (เผยแพร่สื่อและประเมินความพึงพอใจ), and
`kpi6 survey import`, which checks a survey export and keeps its tally for step 4 and Form 2."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from kpi6.models.db import StepState
from kpi6.models.inputs import (
    DisseminationInput,
)
from kpi6.models.provinces import registry
from kpi6.models.rules import ValidatedStep, validate_step
from kpi6.models.steps import by_key
from kpi6.models.survey import SurveyResult, SurveySummary, summarize
from kpi6.settings import get_settings
from kpi6.tasks.adapters import repository, survey_files
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.evidence import check_evidence, folder_parts, store_evidence
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.outputs import check_output_dir, evidence_store
from kpi6.tasks.run import RunContext, event_evidence, record_step, store_step_evidence
from kpi6.tasks.setup import default_actor, prepare_database


@task(cache_policy=NO_CACHE)
def disseminate_and_survey(
    ctx: RunContext,
    dissemination: DisseminationInput,
    checked: ValidatedStep,
    force: bool = False,  # noqa: FBT001, FBT002
) -> bool:
    """Step 4: record the dissemination events and the survey (its export, or the last `kpi6 survey import`);
    the events' evidence goes to the dissemination folder, the survey export to the survey folder."""
    step = by_key()["dissemination"]
    given = dissemination
    dissemination = with_imported_survey(ctx, given)
    # with the imported survey added it is a new input, checked as such, once
    result = (
        checked.model_copy()
        if dissemination is given
        else validate_step(ctx.config, step.number, dissemination, now=ctx.now)
    )
    survey_export = [dissemination.survey_file.file] if dissemination.survey_file else []
    result.evidence = store_step_evidence(
        ctx, step, dissemination.evidence + event_evidence(dissemination), second=survey_export
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


class SurveyImported(BaseModel):
    """What `kpi6 survey import` did."""

    result: SurveyResult
    summary: SurveySummary  # with the round's band convention
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
    step = by_key()["dissemination"]
    file = Path(path)
    result, checked, table = survey_files.read_survey(
        file, period=ctx.config.period, columns=ctx.config.survey.columns, skip_invalid=skip_invalid
    )
    check_evidence([path], what="the survey file", max_mb=get_settings().evidence_max_mb)
    check_output_dir(output_dir)
    # The rejected rows are written first: if that file cannot be written, nothing is imported.
    rejected = survey_files.write_rejected(file, table, checked) if checked.rejected_rows else None
    prepare_database(ctx.config, actor=ctx.actor)
    stored = store_evidence(
        evidence_store(output_dir), folder_parts(ctx.config.id, ctx.province.code, "survey"), [path]
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
                step=step.number,
                detail={
                    "source": result.source,
                    "sha256": result.sha256,
                    "respondents": result.respondents,
                    "rejected": result.rejected,
                },
            )
        states = repository.step_states(session=session, province_code=ctx.province.code, round_id=ctx.config.id)
        step4_done = step.number in states and states[step.number].state == StepState.done.value
    return SurveyImported(
        result=result,
        summary=summarize(result, scheme=ctx.config.survey.bands),
        created=created,
        rejected_file=str(rejected) if rejected else None,
        evidence=stored,
        step4_done=step4_done,
    )
