"""Flows end to end on the Prefect test harness, against a real database."""

from __future__ import annotations

import asyncio
import csv
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import func, select

from kpi6.flows.demo import national_demo
from kpi6.flows.province import province_round
from kpi6.flows.scoring import score_round
from kpi6.models.db import AuditLog, ReportSubmission, StepProgress
from kpi6.models.errors import InputError, StepOrderError
from kpi6.models.inputs import PlanActivity, ProvinceInputs
from kpi6.tasks.adapters.database import migrate, session_scope
from tests.support.factories import bkk, full_inputs

NOW = bkk(2024, 3, 30, 12)


def _counts() -> tuple[int, int, int]:
    with session_scope() as s:
        return (
            s.exec(select(func.count()).select_from(StepProgress)).one(),
            s.exec(select(func.count()).select_from(ReportSubmission)).one(),
            s.exec(select(func.count()).select_from(AuditLog)).one(),
        )


def test_province_round_runs_five_steps_and_scores_penalty(db_url):
    late_form1 = bkk(2024, 2, 14, 11)  # deadline Fri 9 Feb: Mon 12, Tue 13, Wed 14 = 3 working days late
    summary = province_round("เชียงใหม่", "2567-1", inputs=full_inputs(form1_at=late_form1), now=NOW)
    assert summary.province_code == "TH-50"
    assert [s.state for s in summary.steps] == ["done"] * 5
    assert summary.steps[2].working_days_late == 3
    scores = {s.province_code: s for s in score_round("2567-1")}
    assert len(scores) == 76
    assert float(scores["TH-50"].total) == pytest.approx(5 - 0.6)
    assert float(scores["TH-11"].total) == 0


def test_rerun_changes_nothing_and_forced_rerun_is_audited(db_url):
    province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW)
    before = _counts()
    again = province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW)
    assert [s.action for s in again.steps] == ["unchanged"] * 5
    assert _counts() == before
    province_round("TH-50", "2567-1", step=3, inputs=full_inputs(form1_at=bkk(2024, 2, 12)), force=True, now=NOW)
    with session_scope() as s:
        forced = s.exec(select(AuditLog).where(AuditLog.action == "step_forced_rerun")).all()
        versions = s.exec(select(ReportSubmission.version).where(ReportSubmission.form == 1)).all()
    assert [a.step for a in forced] == [3]
    assert sorted(versions) == [1, 2]


def test_step_out_of_order_fails_and_writes_nothing(sqlite_url):
    province_round("TH-50", "2567-1", inputs=ProvinceInputs(), now=NOW)  # creates the schema only
    before = _counts()
    with pytest.raises(StepOrderError, match="first complete step 1"):
        province_round("TH-50", "2567-1", step=3, inputs=full_inputs(), now=NOW)
    assert _counts() == before


def test_bad_input_for_a_later_step_stops_the_run_before_any_write(sqlite_url):
    migrate()
    inputs = full_inputs()
    inputs.plan.activities.append(PlanActivity(activity="นอกรอบ", start=date(2024, 5, 1), end=date(2024, 5, 2)))
    with pytest.raises(InputError, match="outside round 2567-1"):
        province_round("TH-50", "2567-1", inputs=inputs, now=NOW)
    with session_scope() as s:
        assert s.exec(select(StepProgress)).all() == []


def test_submission_before_the_round_or_in_the_future_is_refused(sqlite_url):
    with pytest.raises(InputError, match="before round 2567-1 starts"):
        province_round("TH-50", "2567-1", inputs=full_inputs(form1_at=bkk(2023, 9, 29)), now=NOW)
    with pytest.raises(InputError, match="in the future"):
        province_round("TH-50", "2567-1", inputs=full_inputs(), now=bkk(2024, 2, 1))


def test_partial_inputs_leave_later_steps_waiting_or_blocked(sqlite_url):
    inputs = full_inputs()
    inputs.media = None
    summary = province_round("TH-50", "2567-1", inputs=inputs, now=NOW)
    actions = {s.step: s.action.value for s in summary.steps}
    assert actions == {1: "run", 2: "waiting", 3: "blocked", 4: "blocked", 5: "blocked"}
    assert [s.state for s in summary.steps] == ["done", "pending", "pending", "pending", "pending"]


def test_flow_run_is_named_and_tagged_for_the_ui(sqlite_url):
    from prefect import tags

    with tags("province:TH-50", "round:2567-1"):
        state = province_round("TH-50", "2567-1", inputs=ProvinceInputs(), now=NOW, return_state=True)

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    run = asyncio.run(read())
    assert run.name == "TH-50 เชียงใหม่ · 2567-1 · step 1–5"
    assert {"province:TH-50", "round:2567-1"} <= set(run.tags)


def test_the_runs_tags_stay_off_its_task_runs(sqlite_url):
    """A tag on a task run costs a concurrency-slot request to the API per task: the run is tagged, its tasks not."""
    from prefect import tags
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with tags("province:TH-50", "round:2567-1", "demo"):
        state = province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW, return_state=True)
    run_id = state.state_details.flow_run_id

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            return run, tasks

    run, task_runs = asyncio.run(read())
    assert {"province:TH-50", "round:2567-1", "demo"} <= set(run.tags)
    assert {t.name.rsplit("-", 1)[0] for t in task_runs} >= {"prepare_run", "make_plan", "report_form2"}
    assert [t.tags for t in task_runs if t.tags] == []


def test_a_run_started_without_tags_tags_itself_with_province_round_and_step(sqlite_url):
    """As a run triggered from the UI or `prefect deployment run`, which carries only the deployment's tags."""
    state = province_round("เชียงใหม่", "2567-1", step=1, inputs=full_inputs(), now=NOW, return_state=True)

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    run = asyncio.run(read())
    assert run.name == "TH-50 เชียงใหม่ · 2567-1 · step 1"
    assert sorted(run.tags) == ["province:TH-50", "round:2567-1", "step:1"]


def test_a_run_failing_in_its_preparation_is_tagged_by_province_and_round(sqlite_url):
    """Filtering the UI by `province:TH-50` must find exactly the runs that failed (an unknown round here)."""
    state = province_round("th50", "2599-9", step=3, inputs=ProvinceInputs(), now=NOW, return_state=True)
    assert state.is_failed()
    hostile = province_round("Atlantis", "../x y", inputs=ProvinceInputs(), now=NOW, return_state=True)
    assert hostile.is_failed()

    async def read(state):  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    assert sorted(asyncio.run(read(state)).tags) == ["province:TH-50", "round:2599-9", "step:3"]
    assert asyncio.run(read(hostile)).tags == []  # nothing to tag it by: no invented tags


def test_propose_topics_runs_are_tagged(sqlite_url):
    from pathlib import Path

    from kpi6.flows.topics import propose_topics

    lpa = Path(__file__).resolve().parents[2] / "deployments" / "examples" / "lpa-results-TH-50.csv"
    state = propose_topics("เชียงใหม่", "2567-1", str(lpa), return_state=True)
    assert state.is_completed()

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    assert sorted(asyncio.run(read()).tags) == ["province:TH-50", "round:2567-1"]


def test_a_runs_log_says_what_each_step_did(sqlite_url):
    """Not "This run didn't generate logs": each step's action and lateness, and where each report went."""
    import time

    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    inputs = full_inputs()
    inputs.form2 = inputs.form2.model_copy(update={"channel": "email", "submitted_at": None})  # type: ignore[union-attr]
    state = province_round("TH-50", "2567-1", inputs=inputs, now=NOW, return_state=True)
    run_id = state.state_details.flow_run_id

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))

    deadline = time.monotonic() + 30
    while True:  # the logs reach the API in batches
        messages = [log.message for log in asyncio.run(read())]
        if sum(m.startswith("step ") for m in messages) >= 5 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    shown = [m for m in messages if "Finished in state" not in m]
    assert any(m.startswith("step 1 Plan and implementation steps: recorded (บันทึกแล้ว)") for m in shown), shown
    assert any(m.startswith("step 5 ") and "recorded" in m for m in shown), shown
    assert any(m.startswith("Form 1 written (form1.docx, form1.pdf); the office sends it itself") for m in shown), shown
    assert any(m.startswith("Form 2 version 1 sent to ") and "Message-ID <" in m for m in shown), shown


def test_demo_subset_twice_starts_afresh_and_writes_scores_csv(db_url, tmp_path):
    subset = ["TH-11", "TH-50", "TH-96"]
    for _ in range(2):
        scores = national_demo(round_id="2567-1", seed=6, out_dir=str(tmp_path), provinces=subset)
    assert len(scores) == 76
    with session_scope() as s:
        provinces = set(s.exec(select(StepProgress.province_code)).all())
        subs = s.exec(select(ReportSubmission)).all()
    assert provinces == set(subset)
    assert all(x.version == 1 for x in subs)  # the second demo did not pile up resubmissions
    with (tmp_path / "scores.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 76 and rows[0]["code"] == "TH-11"
    ran = {r["code"]: float(r["points"]) for r in rows if r["code"] in subset}
    assert all(p >= 2 for p in ran.values())  # every demo office has at least its plan and media


def test_a_run_checks_each_input_once(sqlite_url, tmp_path, monkeypatch):
    """prepare_run checks every step's input before anything is written, and the step tasks record what it
    checked: no input is validated twice in one run (a medium kpi6 generates is a new input: its link)."""
    import kpi6.models.rules as rules
    from kpi6.tasks import dissemination, media, run

    calls: list[tuple[int, str]] = []
    real = rules.validate_step

    def counting(config, step, data, *, now):  # type: ignore[no-untyped-def]
        calls.append((step, data.model_dump_json()))
        return real(config, step, data, now=now)

    for module in (run, media, dissemination):
        monkeypatch.setattr(module, "validate_step", counting)
    summary = province_round("TH-50", "2567-1", inputs=full_inputs(), now=bkk(2024, 3, 25), output_dir=str(tmp_path))
    assert [s.state for s in summary.steps] == ["done"] * 5
    assert sorted({step for step, _ in calls}) == [1, 2, 3, 4, 5]
    assert len(calls) == len(set(calls)), [step for step, _ in calls]  # no (step, input) checked twice
    assert [step for step, _ in calls].count(2) == 2  # the media as given, then with their generated links
