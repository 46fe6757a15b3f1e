"""Database tables (SQLModel). Timestamps are timezone-aware and stored in UTC on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; attach a time zone first")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _json(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class StepState(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class ProvinceRow(SQLModel, table=True):
    __tablename__ = "province"

    code: str = Field(primary_key=True, max_length=8)
    name_th: str
    name_en: str


class RoundRow(SQLModel, table=True):
    """A round as loaded from its configuration file; the snapshot lets scores be explained later."""

    __tablename__ = "round"

    id: str = Field(primary_key=True, max_length=16)
    fiscal_year_be: int
    round_number: int
    config: dict[str, Any] = _json(dict)
    config_sha256: str = Field(max_length=64)
    loaded_at: datetime = _ts(nullable=False)


class StepProgress(SQLModel, table=True):
    """One province's progress on one step of one round."""

    __tablename__ = "step_progress"
    __table_args__ = (UniqueConstraint("province_code", "round_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    step: int
    state: str = Field(default=StepState.pending.value, max_length=16)
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    inputs: dict[str, Any] = _json(dict)
    evidence: list[str] = _json(list)
    file_hashes: dict[str, str] = _json(dict)
    error: str | None = None
    runs: int = 0


class ReportSubmission(SQLModel, table=True):
    """A report (Form 1 or 2) sent to DLA; the latest version's submitted_at counts for lateness."""

    __tablename__ = "report_submission"
    __table_args__ = (UniqueConstraint("province_code", "round_id", "form", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    step: int
    form: int
    version: int = 1
    submitted_at: datetime = _ts(nullable=False)
    channel: str = Field(max_length=32)
    message_id: str | None = None
    resubmission: bool = False
    recorded_at: datetime = _ts(nullable=False)


class ScoreRow(SQLModel, table=True):
    """A province's penalty-adjusted score for a round, as last computed."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("province_code", "round_id"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    points_by_step: dict[str, float] = _json(dict)
    points: float
    working_days_late: int
    penalty: float
    total: float
    steps_done: int
    late_reports: int
    computed_at: datetime = _ts(nullable=False)


class AuditLog(SQLModel, table=True):
    """Append-only: one row for every state change, with who did it and when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    actor: str
    action: str = Field(max_length=32)
    province_code: str | None = Field(default=None, index=True)
    round_id: str | None = Field(default=None, index=True)
    step: int | None = None
    from_state: str | None = None
    to_state: str | None = None
    detail: dict[str, Any] = _json(dict)
    os_user: str | None = None  # who ran kpi6 on the server, beside the actor it claims (KPI6_ACTOR)


class DeliveryState(StrEnum):
    sending = "sending"  # claimed: a run is handing the message to the mail server now
    sent = "sent"  # the server accepted it (or an operator confirmed it arrived)
    unknown = "unknown"  # the message went out but no answer came back, or the sender died mid-send
    failed = "failed"  # the server refused it or could not be reached: nothing was delivered


class ReportDelivery(SQLModel, table=True):
    """One e-mail of a report version to DLA's mailbox: claimed before it is sent, so that two runs never
    send the same version and a send whose outcome is unknown is never repeated without an operator."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("province_code", "round_id", "form", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    form: int
    version: int
    message_id: str
    state: str = Field(max_length=16)
    transport: str = Field(max_length=16)
    message_date: datetime = _ts(nullable=False)  # the message's Date: the same on every try of this version
    claimed_at: datetime = _ts(nullable=False)
    lease_until: datetime = _ts(nullable=False)  # a `sending` claim older than this belongs to a dead run
    claimed_by: str
    claim_host: str = ""  # the machine and process of the claim: a dead process's claim needs no lease to end
    claim_pid: int = 0
    sent_at: datetime | None = _ts()  # when the server accepted it
    error: str | None = None
    tries: int = 0


class ReminderLog(SQLModel, table=True):
    """A reminder that went out: once per (province, round, step, kind, day)."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("province_code", "round_id", "step", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    step: int
    kind: str = Field(max_length=16)
    day: date
    channels: list[str] = _json(list)
    sent_at: datetime = _ts(nullable=False)


class SurveyImport(SQLModel, table=True):
    """A satisfaction survey imported for a province and round (`kpi6 survey import`); the latest is used."""

    __tablename__ = "survey_import"

    id: int | None = Field(default=None, primary_key=True)
    province_code: str = Field(foreign_key="province.code", index=True)
    round_id: str = Field(foreign_key="round.id", index=True)
    imported_at: datetime = _ts(nullable=False)
    actor: str
    source: str
    sha256: str = Field(max_length=64)
    respondents: int
    rejected: int = 0
    result: dict[str, Any] = _json(dict)


class PortalUser(SQLModel, table=True):
    """A person who signs in to the offices' portal. The password is an Argon2id hash, never the password."""

    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    role: str = Field(max_length=16)
    province_code: str | None = Field(default=None, foreign_key="province.code", index=True)
    password_hash: str | None = None
    disabled: bool = False
    demo: bool = False  # made by `kpi6 demo`, with a password it printed
    created_at: datetime = _ts(nullable=False)
    password_set_at: datetime | None = _ts()


class PortalSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the database its SHA-256 (a stolen copy of the
    database signs nobody in)."""

    __tablename__ = "portal_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="portal_user.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    last_seen: datetime = _ts(nullable=False)


class SignInLink(SQLModel, table=True):
    """A one-time link where a new (or reset) user sets a password; stored as the SHA-256 of its token."""

    __tablename__ = "sign_in_link"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="portal_user.id", index=True)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts()


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, counted per account and per address (in the database: it survives a restart and is
    shared by every portal process)."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
