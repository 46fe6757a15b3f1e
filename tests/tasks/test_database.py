"""The repository on both backends: migrations, one-transaction step writes, audit, scores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from kpi6.models.db import AuditLog, ReportSubmission, RoundRow, ScoreRow, StepProgress, StepState
from kpi6.models.errors import StepOrderError
from kpi6.models.provinces import registry
from kpi6.models.scoring import score_province
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import get_engine, migrate, session_scope
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.setup import prepare_database
from tests.support.factories import bkk

NOW = datetime(2024, 3, 30, 12, tzinfo=UTC)


@pytest.fixture
def round_2567(db_url):  # type: ignore[no-untyped-def]
    config = load_round("2567-1")
    prepare_database(config, actor="pytest")
    return config


def _done(config, code, step, at, **kw):  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return repository.complete_step(
            session=s,
            config=config,
            province_code=code,
            step=step,
            inputs={"n": step},
            completed_at=at,
            actor="pytest",
            at=NOW,
            **kw,
        )


def test_migrate_creates_every_table_and_is_repeatable(db_url):
    migrate()
    migrate()  # a second upgrade is a no-op
    tables = set(inspect(get_engine()).get_table_names())
    assert {
        "province",
        "round",
        "step_progress",
        "report_submission",
        "score",
        "audit_log",
        "alembic_version",
    } <= tables


def test_reference_data_is_loaded_once(round_2567):
    prepare_database(round_2567, actor="pytest")  # again: nothing duplicated, nothing re-audited
    with session_scope() as s:
        assert len(s.exec(select(repository.ProvinceRow)).all()) == 76
        assert s.get(RoundRow, "2567-1").config["id"] == "2567-1"
        loads = s.exec(select(AuditLog).where(AuditLog.action == "round_loaded")).all()
    assert len(loads) == 1


def test_complete_step_records_state_timestamps_and_audit(round_2567):
    assert _done(round_2567, "TH-50", 1, bkk(2024, 1, 10)) is True
    with session_scope() as s:
        row = s.exec(select(StepProgress).where(StepProgress.province_code == "TH-50")).one()
        audit = s.exec(select(AuditLog).where(AuditLog.province_code == "TH-50")).all()
    assert row.state == StepState.done.value
    assert row.completed_at == bkk(2024, 1, 10)
    assert row.completed_at.tzinfo is not None
    assert row.inputs == {"n": 1}
    assert [(a.action, a.from_state, a.to_state, a.actor) for a in audit] == [
        ("step_done", "pending", "done", "pytest")
    ]


def test_rerun_of_done_step_changes_nothing_unless_forced(round_2567):
    _done(round_2567, "TH-50", 1, bkk(2024, 1, 10))
    assert _done(round_2567, "TH-50", 1, bkk(2024, 1, 11)) is False
    with session_scope() as s:
        row = s.exec(select(StepProgress)).one()
        assert row.completed_at == bkk(2024, 1, 10) and row.runs == 1
    assert _done(round_2567, "TH-50", 1, bkk(2024, 1, 11), force=True) is True
    with session_scope() as s:
        row = s.exec(select(StepProgress)).one()
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.step == 1)).all()]
    assert row.completed_at == bkk(2024, 1, 11) and row.runs == 2
    assert actions == ["step_done", "step_forced_rerun"]


def test_step_out_of_order_writes_nothing(round_2567):
    with pytest.raises(StepOrderError, match="step 1"):
        _done(round_2567, "TH-50", 3, bkk(2024, 2, 9), channel="email")
    with session_scope() as s:
        assert s.exec(select(StepProgress)).all() == []
        assert s.exec(select(ReportSubmission)).all() == []
        assert s.exec(select(AuditLog).where(AuditLog.province_code == "TH-50")).all() == []


def test_report_step_records_submission_and_resubmission_versions(round_2567):
    _done(round_2567, "TH-50", 1, bkk(2024, 1, 10))
    _done(round_2567, "TH-50", 2, bkk(2024, 1, 30))
    _done(round_2567, "TH-50", 3, bkk(2024, 2, 9), channel="email", message_id="<a@x>")
    _done(round_2567, "TH-50", 3, bkk(2024, 2, 14), channel="email", force=True)
    with session_scope() as s:
        subs = s.exec(select(ReportSubmission).order_by(ReportSubmission.version)).all()
        facts = repository.round_facts(session=s, round_id="2567-1")
    assert [(x.form, x.version, x.resubmission) for x in subs] == [(1, 1, False), (1, 2, True)]
    # the latest submission counts: 9 Feb deadline, 14 Feb = 12, 13, 14 Feb (Mon-Wed) = 3 days late
    assert facts["TH-50"][3].submitted_at == bkk(2024, 2, 14)
    score = score_province(round_2567, "TH-50", facts["TH-50"])
    assert score.working_days_late == 3 and float(score.penalty) == pytest.approx(0.6)


def test_failed_step_is_recorded_and_never_undoes_done(round_2567):
    with session_scope() as s:
        repository.mark_step(
            session=s,
            province_code="TH-50",
            round_id="2567-1",
            step=1,
            state=StepState.failed,
            actor="pytest",
            at=NOW,
            error="SMTP down",
        )
    with session_scope() as s:
        assert s.exec(select(StepProgress)).one().state == "failed"
    _done(round_2567, "TH-50", 1, bkk(2024, 1, 10))
    with session_scope() as s:
        repository.mark_step(
            session=s,
            province_code="TH-50",
            round_id="2567-1",
            step=1,
            state=StepState.failed,
            actor="pytest",
            at=NOW,
            error="later failure",
        )
    with session_scope() as s:
        assert s.exec(select(StepProgress)).one().state == "done"


def test_transaction_rolls_back_whole(round_2567):
    with pytest.raises(RuntimeError), session_scope() as s:
        repository.complete_step(
            session=s,
            config=round_2567,
            province_code="TH-50",
            step=1,
            inputs={},
            completed_at=bkk(2024, 1, 10),
            actor="pytest",
            at=NOW,
        )
        raise RuntimeError("crash after the write, before commit")
    with session_scope() as s:
        assert s.exec(select(StepProgress)).all() == []
        assert s.exec(select(AuditLog).where(AuditLog.action == "step_done")).all() == []


def test_scores_are_upserted_per_province_and_round(round_2567):
    _done(round_2567, "TH-50", 1, bkk(2024, 1, 10))
    for _ in range(2):
        with session_scope() as s:
            facts = repository.round_facts(session=s, round_id="2567-1")
            scores = [score_province(round_2567, p.code, facts.get(p.code, {})) for p in registry()]
            repository.save_scores(session=s, scores=scores, at=NOW)
    with session_scope() as s:
        rows = s.exec(select(ScoreRow)).all()
        th50 = s.exec(select(ScoreRow).where(ScoreRow.province_code == "TH-50")).one()
    assert len(rows) == 76
    assert th50.points == 1.0 and th50.steps_done == 1 and th50.points_by_step["1"] == 1.0


def test_reset_round_keeps_the_audit_log(round_2567):
    _done(round_2567, "TH-50", 1, bkk(2024, 1, 10))
    with session_scope() as s:
        repository.reset_round(session=s, round_id="2567-1", actor="pytest", at=NOW)
    with session_scope() as s:
        assert s.exec(select(StepProgress)).all() == []
        actions = [a.action for a in s.exec(select(AuditLog)).all()]
    assert "step_done" in actions and actions[-1] == "round_reset"


def test_naive_datetimes_are_refused_by_the_database(round_2567):
    with pytest.raises(Exception, match="naive"), session_scope() as s:
        repository.complete_step(
            session=s,
            config=round_2567,
            province_code="TH-50",
            step=1,
            inputs={},
            completed_at=datetime(2024, 1, 10),
            actor="pytest",
            at=NOW,
        )


def test_migrations_build_exactly_the_models_tables(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    migrate()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []
    assert "reminder_log" in set(inspect(get_engine()).get_table_names())


def test_province_runs_in_parallel_threads_can_all_migrate(db_url):
    """The national demo runs provinces four at a time; each run makes sure the schema is current."""
    from concurrent.futures import ThreadPoolExecutor

    from kpi6.tasks.adapters.database import migrate as upgrade

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(upgrade) for _ in range(12)]:
            future.result()
    from alembic.script import ScriptDirectory

    from kpi6.tasks.adapters.database import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with get_engine().connect() as conn:
        assert conn.exec_driver_sql("select version_num from alembic_version").scalars().all() == [head]
    assert {"step_progress", "report_delivery", "score"} <= set(inspect(get_engine()).get_table_names())


def test_the_schema_check_knows_alembics_head_and_a_database_behind_it(db_url):
    """`schema_is_current` (what a read-only door asks instead of migrating) is False for an empty database and one
    an older kpi6 left, True at the head; SCHEMA_REVISION is Alembic's head, so a new migration must move it."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from kpi6.tasks.adapters.database import SCHEMA_REVISION, alembic_config, schema_is_current
    from kpi6.tasks.setup import open_round

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION
    assert not schema_is_current()
    command.upgrade(alembic_config(), "0004")
    assert not schema_is_current()
    config = open_round("2567-1")  # behind: migrated, and the round loaded
    assert schema_is_current()
    with session_scope() as s:
        assert s.get(RoundRow, config.id) is not None
        audited = len(s.exec(select(AuditLog)).all())
    open_round("2567-1")  # current: nothing written
    with session_scope() as s:
        assert len(s.exec(select(AuditLog)).all()) == audited
