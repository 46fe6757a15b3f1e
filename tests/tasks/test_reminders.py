"""Reminders with the clock injected, over the real calendar of fiscal year 2567."""

from __future__ import annotations

import email
from datetime import date
from email import policy

import pytest

from kpi6.flows.reminders import daily_reminders
from kpi6.models.provinces import registry
from kpi6.models.reminders import ReminderKind, reminder_message, reminders_due
from kpi6.settings import get_settings
from kpi6.tasks.adapters.rounds import load_round
from tests.support.mail import running_inbox


def _round_with_step1_due(deadline: date):  # type: ignore[no-untyped-def]
    config = load_round("2567-1")
    steps = list(config.steps)
    steps[0] = steps[0].model_copy(update={"deadline": deadline})
    return config.model_copy(update={"steps": tuple(steps)})


def _step1(config, day: date):  # type: ignore[no-untyped-def]
    chiang_mai = [registry().get("TH-50")]
    found = reminders_due(config, config.working_calendar(), day, chiang_mai, {"TH-50": {}})
    return [(r.kind.value, r.working_days, r.penalty) for r in found if r.step == 1]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 11, 29), []),  # 6 working days left
        (date(2023, 11, 30), [("before", 5, 0.0)]),  # 1, 4, (5 Father's Day), 6, 7, 8 Dec
        (date(2023, 12, 1), []),  # 4 left
        (date(2023, 12, 4), [("before", 3, 0.0)]),  # 6, 7, 8
        (date(2023, 12, 5), []),  # Father's Day: not a working day, nothing at all
        (date(2023, 12, 6), []),  # 2 left
        (date(2023, 12, 7), [("before", 1, 0.0)]),
        (date(2023, 12, 8), [("due", 0, 0.0)]),
        (date(2023, 12, 9), []),  # Saturday
        (date(2023, 12, 11), []),  # Constitution Day substitution
        (date(2023, 12, 12), [("overdue", 1, 0.0)]),  # step 1 is not a report: late but no penalty
        (date(2023, 12, 13), [("overdue", 2, 0.0)]),
    ],
)
def test_reminders_around_8_december_2023(day, expected):
    assert _step1(_round_with_step1_due(date(2023, 12, 8)), day) == expected


def test_report_overdue_over_the_new_year_break_counts_working_days_and_penalty():
    config = load_round("2567-1")
    steps = list(config.steps)
    steps[2] = steps[2].model_copy(update={"deadline": date(2023, 12, 28)})  # Form 1, a report
    config = config.model_copy(update={"steps": tuple(steps)})
    cal = config.working_calendar()
    province = [registry().get("TH-50")]
    done = {"TH-50": {1: "done", 2: "done"}}
    for day in (date(2023, 12, 29), date(2023, 12, 30), date(2024, 1, 1)):  # bridge day, weekend, New Year
        assert reminders_due(config, cal, day, province, done) == []
    [r] = [r for r in reminders_due(config, cal, date(2024, 1, 2), province, done) if r.step == 3]
    assert (r.kind, r.working_days, r.penalty) == (ReminderKind.overdue, 1, 0.2)
    [r] = [r for r in reminders_due(config, cal, date(2024, 1, 4), province, done) if r.step == 3]
    assert (r.working_days, r.penalty) == (3, 0.6)
    subject, body = reminder_message(config, province[0], [r])
    assert "เชียงใหม่" in subject and "๔ มกราคม ๒๕๖๗" in subject
    assert "กำหนด ๒๘ ธันวาคม ๒๕๖๖" in body and "เลยกำหนดมาแล้ว ๓ วันทำการ ถูกปรับลดแล้ว ๐.๖ คะแนน" in body


def test_done_steps_get_no_reminder():
    config = _round_with_step1_due(date(2023, 12, 8))
    th50 = [registry().get("TH-50")]
    pending = reminders_due(config, config.working_calendar(), date(2023, 12, 8), th50, {"TH-50": {}})
    assert 1 in {r.step for r in pending}  # due today while not done
    done = reminders_due(config, config.working_calendar(), date(2023, 12, 8), th50, {"TH-50": {1: "done"}})
    assert done == [r for r in pending if r.step != 1]  # the same day's reminders, less step 1's


@pytest.fixture
def contacts(tmp_path, monkeypatch):
    path = tmp_path / "contacts.yaml"
    path.write_text("TH-50: [saraban-cm@dla.example]\nTH-57: chiangrai@dla.example\n", encoding="utf-8")
    monkeypatch.setenv("KPI6_CONTACTS_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_daily_run_sends_each_reminder_once_and_a_rerun_sends_nothing(sqlite_url, contacts, monkeypatch):
    # Thu 11 Jan 2024: the plan is due Fri 12 Jan, one working day left.
    with running_inbox(monkeypatch) as inbox:
        dry = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"], dry_run=True)
        assert [p.status for p in dry.provinces] == ["dry-run", "dry-run"] and inbox.messages == []
        first = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
        again = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
        holiday = daily_reminders(today=date(2024, 1, 13), round_id="2567-1")  # a Saturday
    assert [(p.province_code, p.status) for p in first.provinces] == [("TH-50", "sent"), ("TH-57", "sent")]
    assert again.provinces == [] and holiday.provinces == [] and not holiday.working_day
    assert len(inbox.messages) == 2
    by_rcpt = {rcpts[0]: email.message_from_bytes(raw, policy=policy.default) for rcpts, raw in inbox.messages}
    body = by_rcpt["saraban-cm@dla.example"].get_body(("plain",)).get_content()
    assert "ขั้นตอนที่ ๑ จัดทำแผนและขั้นตอนการดำเนินงาน (กำหนด ๑๒ มกราคม ๒๕๖๗): อีก ๑ วันทำการจะครบกำหนด" in body
    assert "chiangrai@dla.example" in by_rcpt


def test_a_run_that_fails_half_way_sends_only_the_rest_when_run_again(sqlite_url, contacts, monkeypatch):
    from kpi6.models.errors import DeliveryError

    with running_inbox(monkeypatch) as inbox:
        inbox.refuse = {"chiangrai@dla.example"}
        with pytest.raises(DeliveryError):
            daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
        assert [rcpts for rcpts, _ in inbox.messages] == [["saraban-cm@dla.example"]]
        inbox.refuse = set()
        rerun = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
    assert [p.province_code for p in rerun.provinces] == ["TH-57"]
    assert [rcpts for rcpts, _ in inbox.messages] == [["saraban-cm@dla.example"], ["chiangrai@dla.example"]]


def test_no_channel_means_not_sent_and_not_recorded(sqlite_url, monkeypatch):
    monkeypatch.delenv("KPI6_SMTP_URL", raising=False)
    get_settings.cache_clear()
    run = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
    assert [p.status for p in run.provinces] == ["no-channel", "no-channel"]
    again = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50", "TH-57"])
    assert [p.status for p in again.provinces] == ["no-channel", "no-channel"]  # still due: nothing was sent


def test_apprise_channel_posts_the_thai_reminder(sqlite_url, monkeypatch):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KPI6_NOTIFY_URLS", f"json://127.0.0.1:{server.server_address[1]}/hook")
    get_settings.cache_clear()
    try:
        run = daily_reminders(today=date(2024, 1, 11), round_id="2567-1", provinces=["TH-50"])
    finally:
        server.shutdown()
        get_settings.cache_clear()
    assert [(p.status, p.channels) for p in run.provinces] == [("sent", ["apprise"])]
    [payload] = received
    assert "เชียงใหม่" in payload["title"] and "อีก ๑ วันทำการจะครบกำหนด" in payload["message"]


def test_cli_remind_dry_run_and_a_holiday(sqlite_url):
    import json

    from typer.testing import CliRunner

    from kpi6.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["remind", "--today", "2024-01-11", "--province", "เชียงใหม่", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["round_id"] == "2567-1" and [p["status"] for p in run["provinces"]] == ["dry-run"]
    holiday = runner.invoke(app, ["remind", "--today", "2023-12-05"])
    assert holiday.exit_code == 0 and "not a working day" in holiday.stdout
    bad = runner.invoke(app, ["remind", "--today", "11/01/2024"])
    assert bad.exit_code == 2
