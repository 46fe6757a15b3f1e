"""The `kpi6` command as a clerk uses it: output, JSON, and exit code 2 with the database unchanged."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlmodel import func, select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.models.db import AuditLog, StepProgress
from kpi6.tasks.adapters.database import migrate, session_scope
from tests.support.docs import pdf_pages, squash

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "deployments" / "examples" / "province-input.yaml"


def kpi6(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def _db_rows() -> tuple[int, int]:
    with session_scope() as s:
        return (
            s.exec(select(func.count()).select_from(StepProgress)).one(),
            s.exec(select(func.count()).select_from(AuditLog)).one(),
        )


def test_penalty_json_for_the_constitution_day_substitution():
    result = kpi6("penalty", "--deadline", "2023-12-08", "--submitted", "2023-12-12", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["working_days_late"] == 1 and data["penalty"] == pytest.approx(0.2)


def test_penalty_takes_a_utc_timestamp_as_its_bangkok_date():
    result = kpi6("penalty", "--deadline", "2023-12-08", "--submitted", "2023-12-11T17:30:00+00:00", "--json")
    assert json.loads(result.stdout)["working_days_late"] == 1  # 00:30 on 12 Dec in Bangkok


@pytest.mark.parametrize(
    "args, message",
    [
        (["--deadline", "2023-13-08", "--submitted", "2023-12-12"], "is not a date"),
        (["--deadline", "2566-12-08", "--submitted", "2023-12-12"], "Buddhist-Era"),
        (["--deadline", "2023-12-08", "--submitted", "yesterday"], "is not a date or date-time"),
        (["--deadline", "2023-12-08", "--submitted", "2023-12-12", "--round", "2599-3"], "round id"),
        (["--deadline", "2023-12-08", "--submitted", "2023-12-12", "--round", "2590-1"], "unknown round"),
    ],
)
def test_penalty_bad_input_is_one_line_and_exit_2(args, message):
    result = kpi6("penalty", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_provinces_json_lists_76_offices():
    data = json.loads(kpi6("provinces", "--json").stdout)
    assert len(data) == 76
    assert set(data[0]) == {"code", "name_th", "name_en"}
    assert {"code": "TH-50", "name_th": "เชียงใหม่", "name_en": "Chiang Mai"} in data


def test_round_show_names_steps_and_sample_dates():
    result = kpi6("round", "show", "2567-1")
    assert result.exit_code == 0
    assert "sample dates" in result.stdout and "2024-02-09" in result.stdout and "Form 2" in result.stdout


def test_init_then_run_example_then_status_and_score(sqlite_url, tmp_path):
    assert kpi6("init").exit_code == 0
    result = kpi6("run", "--province", "เชียงใหม่", "--round", "2567-1", "--input", str(EXAMPLE), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "TH-50 เชียงใหม่ · 2567-1" in result.stdout
    folder = tmp_path / "2567-1" / "TH-50"
    assert "form1.docx, form1.pdf, form2.docx, form2.pdf" in " ".join(result.stdout.split())
    assert (folder / "form2.pdf").read_bytes()[:4] == b"%PDF"
    form2 = squash("".join(pdf_pages((folder / "form2.pdf").read_bytes())))
    assert squash("ผู้ตอบแบบสำรวจ ๑๔๓ ราย") in form2 and "S.D." in form2  # the example's survey export
    assert squash("การฝึกอบรม") in form2  # its events file
    assert (folder / "medium-1-handbook.pdf").exists() and (folder / "medium-2-infographic.png").exists()
    status = json.loads(kpi6("status", "--round", "2567-1", "--province", "TH-50", "--json").stdout)
    steps = status[0]["steps"]
    assert [s["state"] for s in steps] == ["done"] * 5
    assert steps[4]["working_days_late"] == 2  # Form 2 due Fri 22 Mar, sent Tue 26 Mar: Mon 25 + Tue 26
    scores = {r["code"]: r for r in json.loads(kpi6("score", "--round", "2567-1", "--json").stdout)}
    assert len(scores) == 76
    assert scores["TH-50"]["total"] == pytest.approx(4.6)
    assert scores["TH-50"]["penalty"] == pytest.approx(0.4)


def test_run_errors_exit_2_and_leave_the_database_unchanged(sqlite_url, tmp_path):
    migrate()
    kpi6("init")
    before = _db_rows()
    for name in ("dissemination-events.csv", "survey-TH-50.csv"):  # the example's step-4 files, beside its copies
        (tmp_path / name).write_bytes((EXAMPLE.parent / name).read_bytes())
    bad_media = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    bad_media["media"]["media"][1]["background"] = ""
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(yaml.safe_dump(bad_media, allow_unicode=True), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("plan: [unclosed", encoding="utf-8")
    early = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    early["plan"]["done_at"] = "2023-09-30T10:00:00"
    early_file = tmp_path / "early.yaml"
    early_file.write_text(yaml.safe_dump(early, allow_unicode=True), encoding="utf-8")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = [
        (
            ["--province", "TH-50", "--round", "2567-1", "--input", str(EXAMPLE), "--out", str(a_file / "out")],
            "cannot write forms and media",
        ),
        (["--province", "Narnia", "--round", "2567-1"], "unknown province"),
        (["--province", "TH-50", "--round", "2599-1"], "unknown round"),
        (["--province", "TH-50", "--round", "2567-1", "--step", "3", "--input", str(EXAMPLE)], "first complete step 1"),
        (["--province", "TH-50", "--round", "2567-1", "--input", str(bad_file)], "background"),
        (["--province", "TH-50", "--round", "2567-1", "--input", str(broken)], "not valid YAML"),
        (["--province", "TH-50", "--round", "2567-1", "--input", str(early_file)], "before round 2567-1 starts"),
        (["--province", "TH-50", "--round", "2567-1", "--input", str(tmp_path / "none.yaml")], "file not found"),
        (["--province", "TH-50", "--round", "2567-1", "--step", "1"], "needs its input"),
    ]
    for args, message in cases:
        result = kpi6("run", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _db_rows() == before


def test_console_script_on_the_ephemeral_api_prints_no_prefect_lines_and_records_every_task_run(tmp_path):
    """The clerk's terminal shows kpi6's table, not Prefect's INFO lines; and the ephemeral API, which records
    task runs and events in batches (kpi6.cli.prefect_defaults), has recorded all of them when it stops."""
    exe = Path(sys.executable).with_name("kpi6")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(KPI6_DATA_DIR=str(tmp_path), PREFECT_HOME=str(tmp_path / "prefect"))
    proc = subprocess.run(
        [
            str(exe),
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--input",
            str(EXAMPLE),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "TH-50 เชียงใหม่ · 2567-1" in proc.stdout
    for line in (proc.stdout + proc.stderr).splitlines():
        assert "| INFO" not in line and "Finished in state" not in line, line
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as db:
        runs = db.execute("select id, state_type from flow_run where name like 'TH-50 %'").fetchall()
        assert [state for _, state in runs] == ["COMPLETED"]
        tasks = dict(
            db.execute(
                "select substr(name, 1, length(name) - 4), state_type from task_run where flow_run_id = ?",
                (runs[0][0],),
            ).fetchall()
        )
        completed = db.execute("select count(*) from events where event = 'prefect.task-run.Completed'").fetchone()
    assert tasks == dict.fromkeys(
        [
            "prepare_run",
            "make_plan",
            "produce_media",
            "report_form1",
            "disseminate_and_survey",
            "report_form2",
            "summarize_run",
            "publish_province_report",
        ],
        "COMPLETED",
    )
    assert completed == (8,)


def test_console_script_exits_2_on_unknown_province(tmp_path):
    exe = Path(sys.executable).with_name("kpi6")
    env = {**os.environ, "KPI6_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [str(exe), "run", "--province", "Chiang Mia", "--round", "2567-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown province" in proc.stderr and "Chiang Mai" in proc.stderr
    assert not (tmp_path / "kpi6.db").exists()  # nothing created for a bad request
