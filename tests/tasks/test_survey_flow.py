"""Step 4 for real: events and the survey export imported by the province flow or by `kpi6 survey import`,
and Form 2 built from them."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from docx import Document
from sqlmodel import func, select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.models.db import AuditLog, StepProgress, SurveyImport
from kpi6.models.inputs import DisseminationInput, LaoType, SurveySource
from kpi6.models.survey import summarize
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.survey_files import read_survey
from kpi6.tasks.demo import lao_pool, survey_answers, write_google_csv, write_msforms_xlsx
from tests.support.docs import pdf_pages, squash
from tests.support.factories import bkk, full_inputs

NOW = bkk(2024, 3, 30, 12)
runner = CliRunner()


def _survey_rows(seed: int, n: int = 60) -> list[dict]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    laos = lao_pool(rng, "เชียงใหม่", {LaoType.pao: 1, LaoType.municipality: 20, LaoType.sao: 40})
    return survey_answers(rng, respondents=n, laos=laos, start=date(2024, 2, 16), end=date(2024, 3, 6))


def _events_csv(path: Path) -> Path:
    (path.parent / "ภาพการประชุม.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    path.write_text(
        "วันที่,ช่องทาง,อบจ.,เทศบาล,อบต.,ผู้เข้าร่วม,รายละเอียด,หลักฐาน\n"
        "2024-02-15,การประชุมชี้แจง,1,20,40,120,ประชุมประจำเดือน อปท.,ภาพการประชุม.png\n"
        "2024-02-20,กลุ่มไลน์,1,15,30,0,,\n",
        encoding="utf-8-sig",
    )
    return path


def _step4(tmp_path: Path, survey: Path | None) -> DisseminationInput:
    return DisseminationInput(
        events_file=str(_events_csv(tmp_path / "events.csv")),
        survey_file=SurveySource(file=str(survey)) if survey else None,
        strategy="ชี้แจงในที่ประชุมและกลุ่มไลน์",
        done_at=bkk(2024, 3, 7),
    )


def _count(model) -> int:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_step4_imports_events_and_survey_and_form2_shows_them(db_url, tmp_path):
    rows = _survey_rows(1)
    survey_file = write_msforms_xlsx(tmp_path / "survey.xlsx", rows)
    inputs = full_inputs().model_copy(update={"dissemination": _step4(tmp_path, survey_file)})
    out = tmp_path / "out"
    province_round("TH-50", "2567-1", inputs=inputs, now=NOW, output_dir=str(out))
    with session_scope() as s:
        step4 = s.exec(select(StepProgress).where(StepProgress.step == 4)).one()
        recorded = DisseminationInput.model_validate(step4.inputs)
        evidence = list(step4.evidence)
    assert [e.channel.value for e in recorded.events] == ["meeting", "line_group"]
    assert recorded.laos_reached == 61  # each LAO once: the largest count of each type
    assert recorded.survey is not None and recorded.survey.respondents == 60
    expected = summarize(
        read_survey(survey_file, period=(date(2023, 10, 1), date(2024, 3, 31)))[0], laos_disseminated=61
    )
    # The survey export is kept in the survey folder of the evidence store, an event's photo in step 4's.
    assert (out / "evidence" / "2567-1" / "TH-50" / "step-4" / "survey" / "survey.xlsx").is_file()
    assert (out / "evidence" / "2567-1" / "TH-50" / "step-4" / "ภาพการประชุม.png").is_file()
    assert any(link.endswith("survey.xlsx") for link in evidence)
    folder = out / "2567-1" / "TH-50"
    pdf = squash("".join(pdf_pages((folder / "form2.pdf").read_bytes())))
    docx = squash(
        "\n".join(p.text for p in Document(str(folder / "form2.docx")).paragraphs)
        + "".join(c.text for t in Document(str(folder / "form2.docx")).tables for r in t.rows for c in r.cells)
    )
    thai = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    mean = f"{expected.overall.mean:.2f}".translate(thai)
    sd = f"{expected.overall.sd:.2f}".translate(thai)
    coverage = f"{expected.coverage_percent:.2f}".translate(thai)
    for text in (pdf, docx):
        assert squash("การประชุมชี้แจง") in text and squash("กลุ่มไลน์") in text
        assert "S.D." in text and mean in text and sd in text and coverage in text
        assert squash(expected.items[0].question) in text
    # The chart is SVG in the PDF: its item labels are text, searchable like the rest.
    assert pdf.count(squash(expected.items[1].question)) >= 3  # table, counts table and chart
    # ... and a PNG picture in the .docx.
    assert len(Document(str(folder / "form2.docx")).inline_shapes) >= 3  # the chart and two QR codes


def test_cli_import_then_step4_uses_it_and_a_bad_file_changes_nothing(sqlite_url, tmp_path):
    out = tmp_path / "out"
    bad = tmp_path / "bad.csv"
    bad.write_text("Timestamp,ข้อ 1\n15/2/2024 10:00,5\n16/2/2024 10:00,9\n", encoding="utf-8")
    refused = runner.invoke(
        app, ["survey", "import", str(bad), "--province", "TH-50", "--round", "2567-1", "--out", str(out)]
    )
    assert refused.exit_code == 2 and "row 3, column 'ข้อ 1': 9 is off the 1–5 scale" in refused.stderr
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # a bad request creates no database
    assert not (out / "evidence").exists()

    survey = write_google_csv(tmp_path / "แบบสำรวจ.csv", _survey_rows(2, n=40))
    args = ["survey", "import", str(survey), "--province", "เชียงใหม่", "--round", "2567-1", "--out", str(out)]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert (
        data["n"] == 40
        and data["imported"] is True
        and unquote(data["evidence"][0]).endswith("/step-4/survey/แบบสำรวจ.csv")
    )
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "already imported (same file): nothing changed" in again.stdout
    assert _count(SurveyImport) == 1
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "survey_imported")).one() == 1

    # Step 4 without a survey of its own takes the imported one.
    inputs = full_inputs().model_copy(update={"dissemination": _step4(tmp_path, None), "form2": None})
    province_round("TH-50", "2567-1", inputs=inputs, now=NOW, output_dir=str(out))
    with session_scope() as s:
        step4 = s.exec(select(StepProgress).where(StepProgress.step == 4)).one()
        assert DisseminationInput.model_validate(step4.inputs).survey.respondents == 40

    # A skipped-rows import keeps the valid rows and leaves the rejected ones beside the file.
    messy = tmp_path / "messy.csv"
    messy.write_text(
        "Timestamp,ชื่อ อปท.,ข้อ 1\n16/2/2024 10:00,อบต.ข,มากมาย\n"
        + "".join(f"{17 + k}/2/2024 10:00,อบต.{k},มาก\n" for k in range(5)),
        encoding="utf-8",
    )
    skipped = runner.invoke(
        app,
        [
            "survey",
            "import",
            str(messy),
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--out",
            str(out),
            "--skip-invalid",
        ],
    )
    assert skipped.exit_code == 0, skipped.output
    assert "1 row(s) left out" in skipped.stderr and (tmp_path / "messy.rejected.csv").is_file()
    assert "step 4 is already recorded" in skipped.stdout
    assert _count(SurveyImport) == 2


@pytest.mark.parametrize("problem", ["missing-survey", "bad-events"])
def test_step4_with_a_bad_file_writes_nothing(sqlite_url, tmp_path, problem):
    survey = (
        tmp_path / "none.csv"
        if problem == "missing-survey"
        else write_google_csv(tmp_path / "s.csv", _survey_rows(3, n=10))
    )
    step4 = _step4(tmp_path, survey)
    if problem == "bad-events":
        (tmp_path / "events.csv").write_text("date,channel,laos_reached\n2024-02-15,pigeon,3\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--step",
            "4",
            "--input",
            str(_yaml(tmp_path, step4)),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert (
        "none.csv: no such file" if problem == "missing-survey" else "row 2, channel: unknown channel"
    ) in result.stderr
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def _yaml(tmp_path: Path, step4: DisseminationInput) -> Path:
    import yaml

    inputs = full_inputs().model_dump(mode="json", exclude_none=True)
    inputs["dissemination"] = step4.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    path = tmp_path / "inputs.yaml"
    path.write_text(yaml.safe_dump(inputs, allow_unicode=True), encoding="utf-8")
    return path
