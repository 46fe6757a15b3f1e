"""Database writes and reads (the repository). Keyword-only functions that take the session.

Each write that changes a step's state also appends to the audit log in the same transaction.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from kpi6.models.db import (
    AuditLog,
    DeliveryState,
    ProvinceRow,
    ReminderLog,
    ReportDelivery,
    ReportSubmission,
    RoundRow,
    ScoreRow,
    StepProgress,
    StepState,
)
from kpi6.models.errors import DeliveryBusyError, InputError, StepOrderError
from kpi6.models.provinces import Province
from kpi6.models.round import RoundConfig
from kpi6.models.rules import check_prerequisites, check_reported_work_time, done_steps
from kpi6.models.scoring import ProvinceScore, StepFacts
from kpi6.tasks.adapters.rounds import config_digest


def utcnow() -> datetime:
    return datetime.now(UTC)


def os_user() -> str:
    """The account kpi6 runs under on the server, recorded beside the actor a run claims (KPI6_ACTOR)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container)
        return "unknown"


def audit(
    *,
    session: Session,
    actor: str,
    action: str,
    at: datetime,
    province_code: str | None = None,
    round_id: str | None = None,
    step: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            at=at,
            actor=actor,
            action=action,
            province_code=province_code,
            round_id=round_id,
            step=step,
            from_state=from_state,
            to_state=to_state,
            detail=detail or {},
            os_user=os_user(),
        )
    )


def sync_provinces(*, session: Session, provinces: Iterable[Province]) -> int:
    """Insert missing provinces and refresh names; returns how many rows changed."""
    existing = {p.code: p for p in session.exec(select(ProvinceRow)).all()}
    changed = 0
    for p in provinces:
        row = existing.get(p.code)
        if row is None:
            session.add(ProvinceRow(code=p.code, name_th=p.name_th, name_en=p.name_en))
            changed += 1
        elif (row.name_th, row.name_en) != (p.name_th, p.name_en):
            row.name_th, row.name_en = p.name_th, p.name_en
            changed += 1
    session.flush()
    return changed


def sync_round(*, session: Session, config: RoundConfig, actor: str, at: datetime) -> bool:
    """Store the round's configuration snapshot; audit when it is new or has changed."""
    data, digest = config_digest(config)
    row = session.get(RoundRow, config.id)
    if row is not None and row.config_sha256 == digest:
        return False
    if row is None:
        action, detail = "round_loaded", {"sha256": digest}
        session.add(
            RoundRow(
                id=config.id,
                fiscal_year_be=config.fiscal_year_be,
                round_number=config.round_number,
                config=data,
                config_sha256=digest,
                loaded_at=at,
            )
        )
    else:
        action, detail = "round_changed", {"sha256": digest, "old_sha256": row.config_sha256}
        row.config, row.config_sha256, row.loaded_at = data, digest, at
    audit(session=session, actor=actor, action=action, at=at, round_id=config.id, detail=detail)
    session.flush()
    return True


def step_states(*, session: Session, province_code: str, round_id: str, lock: bool = False) -> dict[int, StepProgress]:
    """The province's progress rows for the round by step (locked for update when asked)."""
    query = select(StepProgress).where(StepProgress.province_code == province_code, StepProgress.round_id == round_id)
    if lock:
        query = query.with_for_update()
    return {row.step: row for row in session.exec(query).all()}


def _progress_row(
    *, session: Session, rows: dict[int, StepProgress], province_code: str, round_id: str, step: int
) -> StepProgress:
    row = rows.get(step)
    if row is None:
        row = StepProgress(province_code=province_code, round_id=round_id, step=step)
        session.add(row)
        rows[step] = row
    return row


def mark_step(
    *,
    session: Session,
    province_code: str,
    round_id: str,
    step: int,
    state: StepState,
    actor: str,
    at: datetime,
    error: str | None = None,
) -> None:
    """Record that a step started running or failed (never `done`: see complete_step)."""
    if state is StepState.done:
        raise ValueError("use complete_step to mark a step done")
    rows = step_states(session=session, province_code=province_code, round_id=round_id, lock=True)
    row = _progress_row(session=session, rows=rows, province_code=province_code, round_id=round_id, step=step)
    if row.state == StepState.done.value:
        return  # a finished step stays finished; a failed forced re-run does not undo it
    before = row.state
    row.state = state.value
    row.updated_at = at
    if state is StepState.running:
        row.started_at = at
        row.error = None
    else:
        row.error = error
    audit(
        session=session,
        actor=actor,
        action=f"step_{state.value}",
        at=at,
        province_code=province_code,
        round_id=round_id,
        step=step,
        from_state=before,
        to_state=state.value,
        detail={"error": error} if error else {},
    )
    session.flush()


def complete_step(
    *,
    session: Session,
    config: RoundConfig,
    province_code: str,
    step: int,
    inputs: dict[str, Any],
    completed_at: datetime,
    actor: str,
    at: datetime,
    evidence: list[str] | None = None,
    file_hashes: dict[str, str] | None = None,
    channel: str | None = None,
    message_id: str | None = None,
    version: int | None = None,
    force: bool = False,
) -> bool:
    """Mark a step done in one transaction; False (and nothing written) if it was done already.

    A report step also records its submission; a forced re-run of a report records a new version (`version`,
    when given, is the one its e-mail was sent as: another version recorded meanwhile is an error). A report
    kpi6 e-mailed keeps its known send time: a later manual submission may not be dated before it. Every
    new submission is audited with the time and channel it replaces.
    """
    rows = step_states(session=session, province_code=province_code, round_id=config.id, lock=True)
    check_prerequisites(config, step, done_steps({n: r.state for n, r in rows.items()}))
    check_reported_work_time(
        config,
        step,
        completed_at,
        {n: r.completed_at for n, r in rows.items() if r.state == StepState.done.value and r.completed_at},
    )
    row = _progress_row(session=session, rows=rows, province_code=province_code, round_id=config.id, step=step)
    before = row.state
    if before == StepState.done.value and not force:
        return False
    row.state = StepState.done.value
    row.completed_at = completed_at
    row.started_at = row.started_at or at
    row.updated_at = at
    row.inputs = inputs
    row.evidence = list(evidence or [])
    row.file_hashes = dict(file_hashes or {})
    row.error = None
    row.runs += 1
    detail: dict[str, Any] = {"completed_at": completed_at.isoformat(), "forced": force}
    sc = config.step(step)
    if sc.report:
        if channel is None:
            raise StepOrderError(f"step {step} is a report: its submission channel is needed")
        form = sc.form or 0
        previous = latest_submission(session=session, province_code=province_code, round_id=config.id, form=form)
        expected = (previous.version if previous else 0) + 1
        if version is not None and version != expected:
            raise DeliveryBusyError(
                f"Form {form} of {province_code} was recorded as version {expected - 1} by "
                f"another run meanwhile; version {version} was sent but is not recorded"
            )
        version = expected
        if (
            previous is not None
            and previous.channel == "email"
            and channel != "email"
            and completed_at < previous.submitted_at
        ):
            raise InputError(
                f"Form {form} of {province_code} was e-mailed by kpi6 at {previous.submitted_at.isoformat()}; a "
                f"manual submission cannot be dated earlier ({completed_at.isoformat()}): only DLA may correct "
                "a submission time"
            )
        if previous is not None:
            detail.update(
                previous_submitted_at=previous.submitted_at.isoformat(),
                previous_channel=previous.channel,
                previous_version=previous.version,
            )
        detail.update(submitted_at=completed_at.isoformat(), channel=channel)
        session.add(
            ReportSubmission(
                province_code=province_code,
                round_id=config.id,
                step=step,
                form=sc.form or 0,
                version=version,
                submitted_at=completed_at,
                channel=channel,
                message_id=message_id,
                resubmission=version > 1,
                recorded_at=at,
            )
        )
        detail.update(form=sc.form, version=version)
    action = "step_forced_rerun" if before == StepState.done.value else "step_done"
    audit(
        session=session,
        actor=actor,
        action=action,
        at=at,
        province_code=province_code,
        round_id=config.id,
        step=step,
        from_state=before,
        to_state=StepState.done.value,
        detail=detail,
    )
    session.flush()
    return True


def latest_submission(*, session: Session, province_code: str, round_id: str, form: int) -> ReportSubmission | None:
    """The form's latest recorded submission (the one lateness is counted from), if any."""
    return session.exec(
        select(ReportSubmission)
        .where(
            ReportSubmission.province_code == province_code,
            ReportSubmission.round_id == round_id,
            ReportSubmission.form == form,
        )
        .order_by(col(ReportSubmission.version).desc())
    ).first()


def recorded_version(*, session: Session, province_code: str, round_id: str, form: int) -> int:
    """The version of the form's latest recorded submission (0 for none)."""
    latest = session.exec(
        select(func.max(ReportSubmission.version)).where(
            ReportSubmission.province_code == province_code,
            ReportSubmission.round_id == round_id,
            ReportSubmission.form == form,
        )
    ).one()
    return latest or 0


# --- deliveries: a report version's e-mail is claimed before it is sent ----------------------------------


def delivery_row(
    *, session: Session, province_code: str, round_id: str, form: int, version: int, lock: bool = False
) -> ReportDelivery | None:
    query = select(ReportDelivery).where(
        ReportDelivery.province_code == province_code,
        ReportDelivery.round_id == round_id,
        ReportDelivery.form == form,
        ReportDelivery.version == version,
    )
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def claim_delivery(
    *,
    session: Session,
    province_code: str,
    round_id: str,
    form: int,
    after_version: int,
    message_id: str,
    transport: str,
    message_date: datetime,
    now: datetime,
    lease_seconds: float,
    claimed_by: str,
    delivered: Callable[[str], bool | None],
    host: str,
    pid: int,
    alive: Callable[[str, int], bool],
) -> ReportDelivery:
    """Claim the e-mail of version `after_version + 1` of a form, the version a run saw recorded last.

    Returns the delivery row: `sending` (the caller sends now), `sent` (an earlier run's send was accepted but
    not recorded: record it, send nothing) or `unknown` (an earlier send may have arrived: an operator must
    check). Refuses while another run is sending it, or when another run recorded a version meanwhile."""
    recorded = recorded_version(session=session, province_code=province_code, round_id=round_id, form=form)
    if recorded != after_version:
        raise DeliveryBusyError(
            f"Form {form} of {province_code} was recorded (version {recorded}) by another run "
            "meanwhile; nothing was sent"
        )
    version = after_version + 1
    row = delivery_row(
        session=session, province_code=province_code, round_id=round_id, form=form, version=version, lock=True
    )
    if row is None:
        row = ReportDelivery(
            province_code=province_code,
            round_id=round_id,
            form=form,
            version=version,
            message_id=message_id,
            state=DeliveryState.sending.value,
            transport=transport,
            message_date=message_date,
            claimed_at=now,
            lease_until=now + timedelta(seconds=lease_seconds),
            claimed_by=claimed_by,
            claim_host=host,
            claim_pid=pid,
            tries=1,
        )
        try:
            with session.begin_nested():  # a second run inserting the same version at once fails here
                session.add(row)
        except IntegrityError:
            raise _busy(form, version, province_code, None) from None
        return row
    if row.state == DeliveryState.sending.value:
        if row.lease_until > now and alive(row.claim_host, row.claim_pid):
            raise _busy(form, version, province_code, row.claimed_at)
        found = delivered(row.message_id)  # the run that claimed it died mid-send
        if found is None:
            row.state, row.error = DeliveryState.unknown.value, "the run sending it stopped before the server answered"
        elif found:
            row.state, row.sent_at = DeliveryState.sent.value, row.message_date
        else:
            row.state = DeliveryState.failed.value
    if row.state == DeliveryState.failed.value:  # nothing was delivered: send the same message again
        row.state, row.claimed_at, row.claimed_by = DeliveryState.sending.value, now, claimed_by
        row.claim_host, row.claim_pid = host, pid
        row.lease_until, row.tries, row.error = now + timedelta(seconds=lease_seconds), row.tries + 1, None
    session.flush()
    return row


def _busy(form: int, version: int, code: str, since: datetime | None) -> DeliveryBusyError:
    when = f" since {since.isoformat(timespec='seconds')}" if since else ""
    return DeliveryBusyError(
        f"another run is sending Form {form} (version {version}) of {code}{when}; nothing was "
        "sent twice: wait for it to finish, then see `kpi6 status`"
    )


def finish_delivery(
    *,
    session: Session,
    delivery_id: int,
    state: DeliveryState,
    at: datetime,
    sent_at: datetime | None = None,
    error: str | None = None,
) -> None:
    """Record how a claimed send ended: sent (with the server's acceptance time), failed or unknown."""
    row = session.get(ReportDelivery, delivery_id)
    if row is None:  # the round was reset meanwhile
        return
    row.state, row.sent_at, row.error = state.value, sent_at, error
    row.lease_until = at
    session.flush()


def resolve_delivery(
    *,
    session: Session,
    province_code: str,
    round_id: str,
    form: int,
    arrived: bool,
    actor: str,
    at: datetime,
    sent_at: datetime | None = None,
) -> ReportDelivery:
    """An operator checked DLA's mailbox for a send whose outcome was unknown: it arrived (recorded as sent, at
    `sent_at` or when it went out) or it did not (the next run sends the same message, same Message-ID)."""
    row = session.exec(
        select(ReportDelivery)
        .where(
            ReportDelivery.province_code == province_code,
            ReportDelivery.round_id == round_id,
            ReportDelivery.form == form,
        )
        .order_by(col(ReportDelivery.version).desc())
        .with_for_update()
    ).first()
    stale = row is not None and row.state == DeliveryState.sending.value and row.lease_until <= at
    if row is None or not (row.state == DeliveryState.unknown.value or stale):
        state = f"its last e-mail is {row.state} (version {row.version})" if row else "it has no e-mail"
        raise InputError(f"Form {form} of {province_code} in {round_id} has no e-mail of unknown outcome: {state}")
    before = row.state
    if arrived:
        row.state, row.sent_at = DeliveryState.sent.value, sent_at or row.message_date
    else:
        row.state = DeliveryState.failed.value
    row.error = None
    audit(
        session=session,
        actor=actor,
        action="delivery_confirmed" if arrived else "delivery_not_arrived",
        at=at,
        province_code=province_code,
        round_id=round_id,
        from_state=before,
        to_state=row.state,
        detail={
            "form": form,
            "version": row.version,
            "message_id": row.message_id,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        },
    )
    session.flush()
    return row


def deliveries(*, session: Session, round_id: str, province_code: str | None = None) -> list[ReportDelivery]:
    query = select(ReportDelivery).where(ReportDelivery.round_id == round_id)
    if province_code:
        query = query.where(ReportDelivery.province_code == province_code)
    return list(
        session.exec(
            query.order_by(ReportDelivery.province_code, col(ReportDelivery.form), col(ReportDelivery.version))
        ).all()
    )


def reset_round(*, session: Session, round_id: str, actor: str, at: datetime) -> None:
    """Forget every province's progress, submissions, deliveries and scores for a round (the audit log stays)."""
    for table in (ScoreRow, ReportSubmission, ReportDelivery, StepProgress, ReminderLog):
        session.exec(delete(table).where(col(table.round_id) == round_id))
    audit(session=session, actor=actor, action="round_reset", at=at, round_id=round_id)
    session.flush()


def round_facts(
    *, session: Session, round_id: str, province_code: str | None = None
) -> dict[str, dict[int, StepFacts]]:
    """Per province (or only `province_code`) and step: done or not, when, and each report's latest submission."""
    latest: dict[tuple[str, int], datetime] = {}
    subs_query = select(ReportSubmission).where(ReportSubmission.round_id == round_id)
    rows_query = select(StepProgress).where(StepProgress.round_id == round_id)
    if province_code is not None:
        subs_query = subs_query.where(ReportSubmission.province_code == province_code)
        rows_query = rows_query.where(StepProgress.province_code == province_code)
    for s in session.exec(subs_query.order_by(col(ReportSubmission.version))).all():
        latest[(s.province_code, s.step)] = s.submitted_at
    facts: dict[str, dict[int, StepFacts]] = {}
    for row in session.exec(rows_query).all():
        facts.setdefault(row.province_code, {})[row.step] = StepFacts(
            done=row.state == StepState.done.value,
            completed_at=row.completed_at,
            submitted_at=latest.get((row.province_code, row.step)),
        )
    return facts


def save_scores(*, session: Session, scores: Iterable[ProvinceScore], at: datetime) -> int:
    """Upsert each province's score for the round; returns how many were stored."""
    count = 0
    for s in scores:
        row = session.exec(
            select(ScoreRow).where(ScoreRow.province_code == s.province_code, ScoreRow.round_id == s.round_id)
        ).first()
        if row is None:
            row = ScoreRow(
                province_code=s.province_code,
                round_id=s.round_id,
                points=0,
                working_days_late=0,
                penalty=0,
                total=0,
                steps_done=0,
                late_reports=0,
                computed_at=at,
            )
            session.add(row)
        row.points_by_step = {str(st.step): float(st.points) for st in s.steps}
        row.points, row.penalty, row.total = float(s.points), float(s.penalty), float(s.total)
        row.working_days_late, row.steps_done, row.late_reports = s.working_days_late, s.steps_done, s.late_reports
        row.computed_at = at
        count += 1
    session.flush()
    return count


def read_scores(*, session: Session, round_id: str) -> list[ScoreRow]:
    return list(
        session.exec(select(ScoreRow).where(ScoreRow.round_id == round_id).order_by(ScoreRow.province_code)).all()
    )


def all_progress(*, session: Session, round_id: str) -> list[StepProgress]:
    return list(session.exec(select(StepProgress).where(StepProgress.round_id == round_id)).all())


def sent_reminders(*, session: Session, round_id: str, day: date) -> set[tuple[str, str, int, str, date]]:
    """Keys (province, round, step, kind, day) of the reminders already sent for the round on `day`."""
    rows = session.exec(select(ReminderLog).where(ReminderLog.round_id == round_id, ReminderLog.day == day)).all()
    return {(r.province_code, r.round_id, r.step, r.kind, r.day) for r in rows}


def record_reminders(
    *, session: Session, keys: Iterable[tuple[str, str, int, str, date]], channels: list[str], at: datetime
) -> None:
    """Remember reminders as sent (right after they went out, so a re-run sends only the rest)."""
    for code, round_id, step, kind, day in keys:
        session.add(
            ReminderLog(
                province_code=code, round_id=round_id, step=step, kind=kind, day=day, channels=channels, sent_at=at
            )
        )
    session.flush()
