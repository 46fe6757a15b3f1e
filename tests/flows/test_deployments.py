"""prefect.yaml and deployments/serve.py describe the same three deployments, with working-day schedules."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def prefect_harness():
    yield


def _flow(entrypoint: str):  # type: ignore[no-untyped-def]
    path, name = entrypoint.split(":")
    module = importlib.import_module("kpi6." + path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def test_prefect_yaml_deployments_point_at_flows_with_bangkok_schedules():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert {"province-round", "propose-topics", "daily-reminders", "national-scoreboard"} <= set(by_name)
    for d in by_name.values():
        assert _flow(d["entrypoint"]).name in (
            "province-round",
            "propose-topics",
            "daily-reminders",
            "score-round",
            "national-demo",
        )
        assert d["work_pool"]["name"] == "kpi6"
    [morning] = by_name["daily-reminders"]["schedules"]
    assert morning == {"cron": "30 8 * * 1-5", "timezone": "Asia/Bangkok"}
    assert by_name["national-scoreboard"]["schedules"][0]["timezone"] == "Asia/Bangkok"
    assert "schedules" not in by_name["province-round"]  # triggered by hand


def test_serve_builds_the_same_deployments():
    from kpi6.deployments.serve import deployments

    built = {d.name: d for d in deployments()}
    assert set(built) == {"province-round", "propose-topics", "daily-reminders", "national-scoreboard"}
    [schedule] = built["daily-reminders"].schedules
    assert schedule.schedule.cron == "30 8 * * 1-5" and schedule.schedule.timezone == "Asia/Bangkok"
    assert not built["province-round"].schedules


def test_province_parameter_is_a_choice_of_the_76_provinces_in_the_ui_form():
    from kpi6.flows.province import province_round
    from kpi6.models.provinces import registry

    schema = province_round.parameters.model_dump()
    choices = schema["properties"]["province"]["enum"]
    assert choices[:76] == [p.label for p in registry()] and choices[76:] == [p.code for p in registry()]
    assert choices[37] == "TH-50 เชียงใหม่" and not any(c.startswith("TH-10") for c in choices)
    assert set(schema["required"]) == {"province", "round_id"}


def test_the_ui_form_titles_and_describes_every_parameter_in_thai_first():
    """What DLA's staff read in the Prefect UI's run form: a Thai title (English beside) and a description on
    every field; kpi6's internal ones (clock, output folder, inputs file, actor, the imported survey, the mail's
    Message-ID) are not in the form, yet the flow still takes them; a label from the choice list runs the province."""
    from kpi6.flows.province import province_round
    from kpi6.models.provinces import registry

    properties = province_round.parameters.model_dump()["properties"]
    for name, field in properties.items():
        assert field["title"] != name and re.search("[ก-๙]", field["title"]), name
        assert field.get("description") and re.search("[ก-๙]", field["description"]), name
    assert set(properties) == {"province", "round_id", "step", "inputs", "force", "lpa_results"}
    assert {"now", "output_dir", "inputs_file", "actor"} <= set(inspect.signature(province_round.fn).parameters)
    definitions = province_round.parameters.model_dump()["definitions"]
    assert "survey" not in definitions["DisseminationInput"]["properties"] and "SurveyResult" not in definitions
    assert "message_id" not in definitions["ReportInput"]["properties"]
    assert registry().get("TH-50 เชียงใหม่").code == "TH-50"


def test_the_servers_schema_takes_inputs_kpi6_recorded_and_the_internal_parameters():
    """Prefect's server checks a run's parameters against the deployment's schema (jsonschema): an input carrying
    what kpi6 fills in (a Message-ID, an imported survey) and kpi6's own parameters (scale-out sends `now` and
    `output_dir`) pass, though the form shows none of them; a misspelt key of a section is still refused."""
    import jsonschema

    from kpi6.flows.province import province_round
    from kpi6.models.survey import SatisfactionItem, SurveyResult
    from tests.support.factories import full_inputs

    schema = province_round.parameters.model_dump()
    recorded = full_inputs().model_dump(mode="json")
    recorded["form1"]["message_id"] = "<form1.th-50.2567-1@kpi6>"
    survey = SurveyResult(respondents=3, items=[SatisfactionItem(item="สื่อ", counts=[3, 0, 0, 0, 0])])
    recorded["dissemination"]["survey"] = survey.model_dump(mode="json")
    params = {"province": "TH-50", "round_id": "2567-1", "inputs": recorded, "now": "2024-03-30T12:00:00+07:00"}
    jsonschema.validate({**params, "output_dir": "/srv/kpi6/out"}, schema)
    recorded["plan"]["activitys"] = []
    with pytest.raises(jsonschema.ValidationError, match="activitys"):
        jsonschema.validate(params, schema)


def test_the_forms_sections_and_fields_of_an_offices_input_have_thai_titles():
    """The nested sections of `inputs` (plan, media, reports, dissemination) are titled in Thai, English beside:
    no Python class name ("MediaSetInput") or field name ("Lpa Aspect") is what DLA's staff read."""
    from kpi6.flows.province import province_round
    from kpi6.models.titles import MODEL_TITLES

    definitions = province_round.parameters.model_dump()["definitions"]
    for name in MODEL_TITLES:
        section = definitions[name]
        assert re.search("[ก-๙]", section["title"]), name
        for field, schema in section["properties"].items():
            assert re.search("[ก-๙]", schema["title"]) and " · " in schema["title"], (name, field)


def test_scale_out_refuses_bad_batches_and_an_unknown_province_in_one_line(sqlite_url):
    """`submit --batches 0` would submit nothing and say nothing: refused with exit 2; a `demo-batch` run naming
    a province that does not exist fails with kpi6's one-line error before any province runs."""
    import subprocess
    import sys

    from kpi6.flows.demo import demo_batch
    from kpi6.models.errors import UnknownProvinceError

    done = subprocess.run(
        [sys.executable, "-m", "kpi6.deployments.scale_out", "submit", "--batches", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "--batches: give 1 or more" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(UnknownProvinceError, match="Narnia"):
        demo_batch("2567-1", 6, ["TH-50", "Narnia"])
