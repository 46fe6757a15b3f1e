"""Through the real flow and CLI: text that would crash Form 1 at step 3 is refused when the inputs are parsed,
before steps 1 and 2 are recorded."""

from __future__ import annotations

import copy

import pytest
import yaml
from prefect.exceptions import ParameterTypeError
from sqlmodel import select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.models.db import StepProgress
from kpi6.models.errors import InputError
from kpi6.models.inputs import parse_inputs
from kpi6.tasks.adapters.database import migrate, session_scope
from tests.support.factories import bkk, full_inputs

NOW = bkk(2024, 3, 30, 12)

BAD = [
    pytest.param("title", "คู่มือทางหลวงท้องถิ่น 😀", "emoji", id="emoji-in-title"),
    pytest.param("title", "คู่มือทางหลวง\x00ท้องถิ่น", "control character", id="nul-in-title"),
    pytest.param("link", "https://evidence.example/" + "a" * 7975, "QR", id="8000-character-link"),
]


def bad_inputs(field: str, value: str) -> dict:
    data = copy.deepcopy(full_inputs().model_dump(mode="json"))
    for form in ("form1", "form2"):  # reports the office sent itself: nothing to e-mail in a test
        data[form]["channel"] = "manual"
    data["media"]["media"][0][field] = value
    return data


def done_steps() -> list[int]:
    with session_scope() as s:
        return [row.step for row in s.exec(select(StepProgress)).all() if row.state == "done"]


@pytest.mark.parametrize(("field", "value", "problem"), BAD)
def test_the_flow_refuses_the_input_before_any_step_is_recorded(sqlite_url, tmp_path, field, value, problem):
    """As the Prefect UI or `prefect deployment run` passes them: the flow's parameter validation refuses them."""
    migrate()
    with pytest.raises(ParameterTypeError) as info:
        province_round("TH-50", "2567-1", inputs=bad_inputs(field, value), now=NOW, output_dir=str(tmp_path))
    assert done_steps() == []
    assert f"inputs.media.media.0.{field}: " in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize(("field", "value", "problem"), BAD)
def test_parse_inputs_names_the_field(field, value, problem):
    with pytest.raises(InputError) as info:
        parse_inputs(bad_inputs(field, value), source="input.yaml")
    assert str(info.value).startswith(f"input.yaml: field media.media.0.{field}: ")
    assert problem in str(info.value)


@pytest.mark.parametrize(("field", "value", "problem"), BAD)
def test_kpi6_run_exits_2_with_one_line_and_records_nothing(sqlite_url, tmp_path, field, value, problem):
    migrate()
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump(bad_inputs(field, value), allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", "--province", "TH-50", "--round", "2567-1", "--input", str(path), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert f"field media.media.0.{field}:" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.output
    assert done_steps() == []
