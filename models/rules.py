"""Pure rules on step order and on the times an office may record. No I/O; `now` is injected."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from kpi6.models.calendar import BANGKOK, bangkok_date
from kpi6.models.errors import InputError, StepOrderError
from kpi6.models.inputs import DisseminationInput, MediaSetInput, PlanInput, ReportInput
from kpi6.models.round import RoundConfig

# A clock on a clerk's PC may run a little fast; more than this is a typing error.
CLOCK_SKEW = timedelta(minutes=10)


def as_aware(moment: datetime) -> datetime:
    """A timestamp without zone is Bangkok time (the letter's offices all keep it)."""
    return moment.replace(tzinfo=BANGKOK) if moment.tzinfo is None else moment


def missing_prerequisites(config: RoundConfig, step: int, done_steps: set[int]) -> list[int]:
    return [r for r in config.step(step).requires if r not in done_steps]


def check_prerequisites(config: RoundConfig, step: int, done_steps: set[int]) -> None:
    """A step cannot complete before the steps it needs (no Form 1 without the plan and two media)."""
    missing = missing_prerequisites(config, step, done_steps)
    if missing:
        names = "; ".join(f"step {m} {config.step(m).name_en} ({config.step(m).name_th})" for m in missing)
        raise StepOrderError(f"step {step} ({config.step(step).name_en}) cannot be done yet: first complete {names}")


def check_moment(config: RoundConfig, moment: datetime, *, now: datetime, what: str) -> datetime:
    """A recorded time must fall on or after the round's first day and not in the future (and a Buddhist-Era
    year, 2567 for 2024, is named as one, not as a time in the future)."""
    from kpi6.models.text import buddhist_era_hint

    moment = as_aware(moment)
    be_year = buddhist_era_hint(moment.year, moment.isoformat())
    if be_year:
        raise InputError(f"{what} {moment.isoformat()} is in the future and {be_year}")
    start, _end = config.period
    if bangkok_date(moment) < start:
        raise InputError(
            f"{what} {moment.isoformat()} is before round {config.id} starts ({start.isoformat()}); "
            "check the date (CE, not BE)"
        )
    if moment > as_aware(now) + CLOCK_SKEW:
        raise InputError(f"{what} {moment.isoformat()} is in the future; record it once it has happened")
    return moment


def check_report_time(config: RoundConfig, step: int, reported_at: datetime, done_at: Mapping[int, datetime]) -> None:
    """A report cannot be dated before the steps it reports on were done (no Form 1 before its plan and media)."""
    sc = config.step(step)
    for n in sc.requires:
        if n in done_at and as_aware(reported_at) < done_at[n]:
            raise InputError(
                f"Form {sc.form}'s submission time {as_aware(reported_at).isoformat()} is before step {n} "
                f"({config.step(n).name_en}) was done ({done_at[n].isoformat()}): a report cannot precede the "
                "work it reports"
            )


def check_reported_work_time(
    config: RoundConfig, step: int, completed_at: datetime, done_at: Mapping[int, datetime]
) -> None:
    """Work that a recorded report covers cannot be re-dated after that report (a forced re-run of the media
    dated after Form 1 went out would leave Form 1 before its media)."""
    covered_by = config.step(step).spec.reported_on
    for m, reported in sorted(done_at.items()):
        sc = config.step(m)
        if m != step and sc.form is not None and sc.form == covered_by and as_aware(completed_at) > reported:
            raise InputError(
                f"step {step} ({config.step(step).name_en}) dated {as_aware(completed_at).isoformat()} is after "
                f"Form {sc.form} reported it ({reported.isoformat()}): a report cannot precede the work it reports; "
                f"date it before then, or send Form {sc.form} again first (--step {m} --resubmit)"
            )


def done_steps(states: Mapping[int, str]) -> set[int]:
    return {n for n, s in states.items() if s == "done"}


class ValidatedStep(BaseModel):
    """A step's input after every check, ready to be recorded."""

    step: int
    inputs: dict[str, Any] = Field(default_factory=dict)
    completed_at: datetime
    evidence: list[str] = Field(default_factory=list)
    file_hashes: dict[str, str] = Field(default_factory=dict)
    channel: str | None = None
    message_id: str | None = None
    version: int | None = None  # the report version its e-mail was sent as


def _inside_round(config: RoundConfig, day: date, what: str) -> None:
    start, end = config.period
    if not start <= day <= end:
        raise InputError(f"{what} {day} is outside round {config.id} ({start} to {end})")


def _plan(config: RoundConfig, step: int, data: PlanInput, dumped: dict[str, Any], now: datetime) -> ValidatedStep:
    for a in data.activities:
        _inside_round(config, a.start, f"plan activity {a.activity!r} starts")
        _inside_round(config, a.end, f"plan activity {a.activity!r} ends")
    done = check_moment(config, data.done_at or now, now=now, what="the plan's completion time")
    return ValidatedStep(step=step, inputs=dumped, evidence=data.evidence, completed_at=done)


def _media(config: RoundConfig, step: int, data: MediaSetInput, dumped: dict[str, Any], now: datetime) -> ValidatedStep:
    done = check_moment(config, data.done_at or now, now=now, what="the media's completion time")
    links = [m.link for m in data.media if m.link]
    return ValidatedStep(step=step, inputs=dumped, evidence=data.evidence + links, completed_at=done)


def _report(config: RoundConfig, step: int, data: ReportInput, dumped: dict[str, Any], now: datetime) -> ValidatedStep:
    if data.channel == "email" and data.submitted_at is not None:
        raise InputError(
            f"step {step}: submitted_at is the moment kpi6 sends the e-mail, recorded when DLA's server accepts "
            "it; leave it out, or use `channel: manual` for a report the office sent itself"
        )
    what = f"Form {config.step(step).form}'s submission time"
    done = check_moment(config, data.submitted_at or now, now=now, what=what)
    return ValidatedStep(step=step, inputs=dumped, completed_at=done, channel=data.channel, message_id=data.message_id)


def _dissemination(
    config: RoundConfig,
    step: int,
    data: DisseminationInput,
    dumped: dict[str, Any],
    now: datetime,
) -> ValidatedStep:
    for e in data.events:
        _inside_round(config, e.date, f"dissemination event {e.channel.value!r} on")
        if e.date > bangkok_date(as_aware(now)):
            raise InputError(f"dissemination event {e.channel.value!r} on {e.date} is in the future")
    done = check_moment(config, data.done_at or now, now=now, what="the dissemination's completion time")
    return ValidatedStep(step=step, inputs=dumped, evidence=data.evidence, completed_at=done)


def _any(config: RoundConfig, step: int, data: BaseModel, dumped: dict[str, Any], now: datetime) -> ValidatedStep:
    """A further declared step's input: its `done_at` (if any) checked like the others', its `evidence` kept."""
    what = f"step {step}'s completion time"
    done = check_moment(config, getattr(data, "done_at", None) or now, now=now, what=what)
    return ValidatedStep(step=step, inputs=dumped, evidence=list(getattr(data, "evidence", [])), completed_at=done)


# A step's check: (config, step, its input as its own model, that input dumped as JSON, now).
_Check = Callable[[RoundConfig, int, Any, dict[str, Any], datetime], ValidatedStep]
_CHECKS: dict[type[BaseModel], _Check] = {
    PlanInput: _plan,
    MediaSetInput: _media,
    ReportInput: _report,
    DisseminationInput: _dissemination,
}


def validate_step(config: RoundConfig, step: int, data: BaseModel, *, now: datetime) -> ValidatedStep:
    """Check one step's input against the round (dates inside it, nothing in the future), by the kind of
    input its declaration takes."""
    model = config.step(step).spec.input_model
    if not isinstance(data, model):
        raise InputError(f"step {step} got input of the wrong kind ({type(data).__name__}, not {model.__name__})")
    check: _Check = _CHECKS.get(model, _any)
    return check(config, step, data, data.model_dump(mode="json"), now)


class StepAction(StrEnum):
    run = "run"
    unchanged = "unchanged"  # done already and not forced
    waiting = "waiting"  # no input given for it
    blocked = "blocked"  # a step it needs is not done


def decide_step(
    config: RoundConfig,
    step: int,
    states: Mapping[int, str],
    *,
    has_input: bool,
    force: bool,
    explicit: bool,
) -> StepAction:
    """What a run does with a step; a step asked for by number must run or explain why not."""
    if states.get(step) == "done" and not force:
        return StepAction.unchanged
    if not has_input:
        if explicit:
            raise InputError(
                f"step {step} ({config.step(step).name_en}) needs its input: give `{config.step(step).spec.key}:` "
                "in --input FILE (see deployments/examples/province-input.yaml)"
            )
        return StepAction.waiting
    if missing_prerequisites(config, step, done_steps(states)):
        if explicit:
            check_prerequisites(config, step, done_steps(states))
        return StepAction.blocked
    return StepAction.run
