"""The demo on a real mail server, a demo reset, large inputs, and an import whose side file cannot be written."""

from __future__ import annotations

import email
import email.utils
import random
from collections import Counter
from datetime import date, datetime
from email import policy

import yaml
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.demo import national_demo
from kpi6.models.db import AuditLog, ReportDelivery, ReportSubmission, SurveyImport
from kpi6.models.lpa import LaoType
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.demo import demo_inputs, demo_runs
from tests.support.db import all_rows
from tests.support.docs import pdf_pages, squash
from tests.support.mail import running_inbox

SUBSET = ["TH-50", "TH-10", "TH-83", "TH-30", "TH-12", "TH-20"]


def _planned_send_times(seed: int) -> dict[tuple[str, int], object]:
    """Each report's moment of sending in the demo's plan for `seed` (the clock of its run)."""
    planned = {}
    for code, inputs in demo_inputs(load_round("2567-1"), seed).items():
        for part, clock in demo_runs(inputs):
            for form, report in ((1, part.form1), (2, part.form2)):
                if report is not None:
                    assert report.submitted_at is None  # the clock, never an input, is the send time
                    planned[(code, form)] = clock
    return planned


def test_the_demo_on_a_real_mail_server_delivers_each_report_once_at_its_simulated_time(
    sqlite_url, tmp_path, monkeypatch
):
    with running_inbox(monkeypatch) as inbox:
        national_demo(round_id="2567-1", seed=6, out_dir=str(tmp_path), provinces=SUBSET)
    subs = all_rows(ReportSubmission)
    assert subs, "the subset sends reports"
    ids = [email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for _, raw in inbox.messages]
    assert Counter(ids) == Counter(s.message_id for s in subs)  # each report received exactly once
    planned = _planned_send_times(6)
    assert {(s.province_code, s.form): s.submitted_at for s in subs} == {
        k: v for k, v in planned.items() if k[0] in SUBSET and k in {(s.province_code, s.form) for s in subs}
    }
    for _, raw in inbox.messages:  # the Date on the wire is the simulated send time too
        msg = email.message_from_bytes(raw, policy=policy.default)
        [sub] = [s for s in subs if s.message_id == msg["Message-ID"]]
        assert email.utils.parsedate_to_datetime(msg["Date"]) == sub.submitted_at


def test_a_demo_with_another_seed_reuses_nothing_of_the_last_one(sqlite_url, tmp_path):
    national_demo(round_id="2567-1", seed=6, out_dir=str(tmp_path), provinces=SUBSET)
    national_demo(round_id="2567-1", seed=7, out_dir=str(tmp_path), provinces=SUBSET)
    subs = all_rows(ReportSubmission)
    planned = _planned_send_times(7)
    assert all(s.submitted_at == planned[(s.province_code, s.form)] for s in subs)  # seed 7's lateness, not 6's
    assert {d.message_id for d in all_rows(ReportDelivery)} == {s.message_id for s in subs}
    outbox = sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))
    assert len(outbox) == len(subs)  # the first demo's e-mails are gone with its round
    assert "round_reset" in [a.action for a in all_rows(AuditLog)]


def test_inputs_over_prefects_parameter_limit_travel_as_a_stored_file(sqlite_url, tmp_path):
    from kpi6.tasks.demo import SURVEY_ITEMS, survey_answers, write_google_csv
    from tests.support.factories import full_inputs

    laos = [(f"อบต.บ้านที่{i}", LaoType.sao) for i in range(2000)]  # one respondent each: no duplicates
    rows = survey_answers(random.Random(1), respondents=2000, laos=laos, start=date(2024, 2, 15), end=date(2024, 3, 6))
    for r in rows:
        r["comment"] = "สื่อเข้าใจง่าย นำไปใช้ได้จริง " * 12  # a long comment on every answer: ~1 MB in all
    survey = write_google_csv(tmp_path / "survey.csv", rows, SURVEY_ITEMS)
    data = full_inputs().model_dump(mode="json", exclude_none=True)
    data["dissemination"].update(survey_file=str(survey), survey_respondents=0)
    # events written out in the input itself, each with its LAOs by name and a long description: ~760 KB
    event = {**data["dissemination"]["events"][0], "description": "อบรมเชิงปฏิบัติการ " * 200}
    data["dissemination"]["events"] = [{**event, "laos": [f"อบต.บ้านที่{i}-{k}" for i in range(40)]} for k in range(60)]
    file = tmp_path / "in.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", "--province", "TH-50", "--round", "2567-1", "--input", str(file), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output + result.stderr
    stored = list((tmp_path / "data" / "run-inputs").glob("*.json"))
    assert len(stored) == 1 and stored[0].stat().st_size > 512 * 1024
    assert "Traceback" not in result.stderr
    form2 = squash("".join(pdf_pages((tmp_path / "o" / "2567-1" / "TH-50" / "form2.pdf").read_bytes())))
    assert squash("ผู้ตอบแบบสำรวจ ๒,๐๐๐ ราย") in form2  # the survey export, read by the flow itself


def _bad_survey(tmp_path):  # type: ignore[no-untyped-def]
    from kpi6.tasks.demo import survey_answers, write_google_csv

    rows = survey_answers(
        random.Random(2),
        respondents=20,
        laos=[("อบต.แม่ริม", LaoType.sao)],
        start=date(2024, 2, 15),
        end=date(2024, 3, 6),
    )
    rows[3]["at"] = datetime(2030, 1, 1, 9)  # outside the round
    return write_google_csv(tmp_path / "survey.csv", rows)


def test_skip_invalid_with_an_unwritable_rejected_file_exits_2_and_records_nothing(sqlite_url, tmp_path):
    from kpi6.tasks.adapters.database import migrate

    migrate()
    survey = _bad_survey(tmp_path)
    (tmp_path / "survey.rejected.csv").mkdir()  # the side file's path cannot be written
    result = CliRunner().invoke(
        app,
        [
            "survey",
            "import",
            str(survey),
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--skip-invalid",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert all_rows(SurveyImport) == [] and [a for a in all_rows(AuditLog) if a.action == "survey_imported"] == []
