"""The step declarations (models/steps.py) are what every consumer reads: a sixth step declared by a test
runs in the province flow and shows in the status, the Prefect artifact, the scores and the reminders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from prefect.client.orchestration import get_client
from pydantic import ValidationError
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round, step_task
from kpi6.models import steps
from kpi6.models.errors import InputError, RoundConfigError
from kpi6.models.inputs import PlanInput, ProvinceInputs, parse_inputs
from kpi6.models.reminders import reminders_due
from kpi6.models.steps import StepSpec
from kpi6.settings import get_settings
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.artifacts import province_key
from kpi6.tasks.plan import make_plan
from kpi6.tasks.reports import report_form1
from tests.support.factories import bkk, full_inputs
from tests.support.sixth_step import SIXTH, FollowUpInput

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "rounds"


def test_the_five_steps_are_declared_once_with_what_each_consumer_needs():
    declared = steps.declared()
    assert [s.number for s in declared] == [1, 2, 3, 4, 5]
    assert [s.key for s in declared] == ["plan", "media", "form1", "dissemination", "form2"]
    assert [s.sends_form for s in declared] == [None, None, 1, None, 2]
    assert [[s.number for s in steps.reported_on(f)] for f in (1, 2)] == [[1, 2, 3], [4, 5]]
    assert steps.spec(4).evidence_fields == ("dissemination", "survey")
    assert step_task(1) is make_plan and step_task(3) is report_form1
    config = load_round("2567-1")  # the round file gives deadlines; the names are the declaration's
    assert config.step(3).name_th == steps.spec(3).name_th and config.step(5).requires == (3, 4)
    assert ProvinceInputs.model_validate({"plan": full_inputs().plan.model_dump()}).for_step(1) == full_inputs().plan


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"requires": (2,)}, "can only require earlier steps"),
        ({"requires": (3,)}, "can only require earlier steps"),
        ({"sends_form": 2}, "sends Form 2 but is reported on 1"),
        ({"evidence_fields": ()}, "at least one evidence folder"),
        ({"task": "make_plan"}, "task"),
    ],
)
def test_a_declaration_that_contradicts_itself_is_refused(change, expected):
    data = {**steps.spec(2).model_dump(), **change}
    with pytest.raises(ValidationError, match=expected):
        StepSpec(**data)


def test_an_input_key_that_is_no_declared_step_is_refused():
    with pytest.raises(InputError, match="field follow_up: Extra inputs are not permitted"):
        from kpi6.models.inputs import parse_inputs

        parse_inputs({"follow_up": {"visited": "อบต.หนองบัว"}}, source="in.yaml")


def test_a_further_steps_input_is_checked_by_its_own_model_and_null_is_no_input():
    with steps.declare(SIXTH):
        given = ProvinceInputs.model_validate({"follow_up": {"visited": "อบต.หนองบัว"}})
        assert isinstance(given.for_step(6), FollowUpInput) and given.for_step(6).visited == "อบต.หนองบัว"
        assert ProvinceInputs.model_validate({"follow_up": None}).for_step(6) is None
        with pytest.raises(InputError, match="in.yaml: field follow_up.visited: String should have at least 1"):
            parse_inputs({"follow_up": {"visited": ""}}, source="in.yaml")


def _round_with_six_steps(folder: Path) -> Path:
    data = yaml.safe_load((SHIPPED / "2567-1.yaml").read_text(encoding="utf-8"))
    data["steps"].append({"number": 6, "deadline": date(2024, 3, 29)})
    data["scoring"]["points"][6] = 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2567-1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture
def six_steps(sqlite_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KPI6_ROUNDS_DIR", str(_round_with_six_steps(tmp_path / "rounds")))
    get_settings.cache_clear()
    with steps.declare(SIXTH):
        yield load_round("2567-1")
    get_settings.cache_clear()


def test_without_its_declaration_a_round_with_a_sixth_step_is_refused(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI6_ROUNDS_DIR", str(_round_with_six_steps(tmp_path / "rounds")))
    get_settings.cache_clear()
    with pytest.raises(RoundConfigError, match=r"field scoring\.points: give points for each of steps 1-5"):
        load_round("2567-1")


def test_a_sixth_step_runs_in_the_flow_and_shows_in_status_artifact_scores_and_reminders(six_steps, tmp_path):
    config = six_steps
    assert [s.number for s in config.steps] == [1, 2, 3, 4, 5, 6]
    # Reminders: before any run, step 6 is due like the others.
    due = reminders_due(config, config.working_calendar(), date(2024, 3, 26), [], {})
    assert due == []  # no province asked for: none
    from kpi6.models.provinces import registry

    due = reminders_due(config, config.working_calendar(), date(2024, 3, 26), [registry().get("TH-50")], {})
    assert [(r.step, r.kind.value, r.working_days) for r in due if r.step == 6] == [(6, "before", 3)]

    inputs = full_inputs().model_copy(
        update={"follow_up": FollowUpInput(visited="อบต.หนองบัว", done_at=bkk(2024, 3, 27, 10))}
    )
    # Before step 4 is done, step 6 waits for it (its declaration's `requires`).
    early = province_round(
        "TH-50",
        "2567-1",
        inputs=inputs.model_copy(update={"dissemination": None, "form2": None}),
        now=bkk(2024, 3, 28),
        output_dir=str(tmp_path),
    )
    assert [(s.step, s.action.value) for s in early.steps if s.step >= 4] == [
        (4, "waiting"),
        (5, "waiting"),
        (6, "blocked"),
    ]
    summary = province_round("TH-50", "2567-1", inputs=inputs, now=bkk(2024, 3, 28), output_dir=str(tmp_path))
    six = summary.steps[-1]
    assert (six.step, six.name_th, six.action.value, six.state) == (6, SIXTH.name_th, "run", "done")
    assert (tmp_path / "evidence" / "2567-1" / "TH-50").is_dir()

    status = CliRunner().invoke(app, ["status", "--round", "2567-1", "--province", "TH-50", "--json"])
    assert status.exit_code == 0, status.output
    import json

    [row] = json.loads(status.stdout)
    assert [s["step"] for s in row["steps"]] == [1, 2, 3, 4, 5, 6] and row["steps"][5]["state"] == "done"

    async def artifact() -> str:
        async with get_client() as client:
            found = await client.read_latest_artifacts()
            return next(a.data for a in found if a.key == province_key("TH-50", "2567-1"))

    import asyncio

    markdown = asyncio.run(artifact())
    assert SIXTH.name_th in markdown and "6" in markdown

    from kpi6.flows.scoring import score_round

    [score] = [s for s in score_round("2567-1") if s.province_code == "TH-50"]
    assert score.steps_done == 6

    # A step asked for by number that its declaration blocks explains which step it needs.
    with pytest.raises(InputError, match="give `follow_up:`"):
        province_round(
            "TH-50",
            "2567-1",
            step=6,
            force=True,  # done already: asked again, it needs its input
            inputs=ProvinceInputs(plan=PlanInput.model_validate(inputs.plan.model_dump())),
            now=bkk(2024, 3, 28),
            output_dir=str(tmp_path),
        )
