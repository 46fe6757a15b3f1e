"""A report reaches DLA's mailbox once, whatever the network and the operators do (issue: faults, class 1 and 2).

Real mail servers on loopback (aiosmtpd) that are slow, that drop the line after DATA, runs racing in threads
and in processes, a run killed with SIGKILL while the server holds the message; SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from sqlmodel import select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.models.db import AuditLog, ReportDelivery, ReportSubmission, StepProgress
from kpi6.models.errors import DeliveryBusyError, DeliveryUnknownError, InputError
from kpi6.models.inputs import ProvinceInputs, ReportChannel
from kpi6.settings import get_settings
from kpi6.tasks.adapters.database import session_scope
from tests.support.db import all_rows
from tests.support.factories import bkk, full_inputs
from tests.support.mail import Inbox, free_port

T1 = bkk(2024, 2, 9, 10)  # Form 1 on its deadline day
T2_LATE = bkk(2024, 3, 27, 10)  # Form 2, three working days after its deadline (22 March)


class SlowInbox(Inbox):
    """Takes the message, then waits `delay` s before saying 250 (or drops the line instead of answering)."""

    def __init__(self, delay: float = 0.0, *, drop: bool = False) -> None:
        super().__init__()
        self.delay, self.drop = delay, drop
        self.got_data = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        self.got_data.set()
        await asyncio.sleep(self.delay)
        if self.drop:
            server.transport.close()
        return "250 Message accepted"


@pytest.fixture
def mail_server(monkeypatch):
    """Start a SlowInbox on loopback; KPI6_SMTP_URL points at it, with three tries and a 1 s timeout."""
    controllers = []

    def start(inbox: SlowInbox, *, timeout: float = 1, attempts: int = 3) -> SlowInbox:
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        monkeypatch.setenv("KPI6_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("KPI6_SMTP_ATTEMPTS", str(attempts))
        monkeypatch.setenv("KPI6_SMTP_TIMEOUT", str(timeout))
        get_settings.cache_clear()
        return inbox

    yield start
    for c in controllers:
        c.stop()
    get_settings.cache_clear()


def _form1_inputs():
    inputs = full_inputs()
    inputs.form1.submitted_at, inputs.form1.channel = None, ReportChannel.email
    inputs.dissemination = inputs.form2 = None
    return inputs


def _message_ids(inbox: Inbox) -> list[str]:
    return [email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for _, raw in inbox.messages]


def _wait_for(predicate, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


cli = CliRunner()


def test_a_server_slower_than_the_timeout_gets_one_copy_and_nothing_is_sent_until_an_operator_says(
    sqlite_url, mail_server, tmp_path
):
    inbox = mail_server(SlowInbox(delay=2.5))
    with pytest.raises(DeliveryUnknownError, match="may be in DLA's mailbox"):
        province_round("TH-50", "2567-1", inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    time.sleep(3)  # the server finishes its slow DATA: the message did arrive
    assert len(inbox.messages) == 1  # three tries used to deliver three copies
    [d] = all_rows(ReportDelivery)
    assert d.state == "unknown" and all_rows(ReportSubmission) == []
    # A re-run sends nothing and says what to do.
    with pytest.raises(DeliveryUnknownError, match="kpi6 delivery arrived --province TH-50 --round 2567-1 --form 1"):
        province_round("TH-50", "2567-1", step=3, inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    assert len(inbox.messages) == 1
    # The operator finds it in DLA's mailbox; the next run records it without sending.
    said = cli.invoke(app, ["delivery", "arrived", "--province", "TH-50", "--round", "2567-1", "--form", "1"])
    assert said.exit_code == 0, said.output
    summary = province_round("TH-50", "2567-1", step=3, inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    assert summary.steps[2].state == "done" and len(inbox.messages) == 1
    [sub] = all_rows(ReportSubmission)
    assert sub.message_id == _message_ids(inbox)[0] and sub.submitted_at == T1
    actions = [a.action for a in all_rows(AuditLog)]
    assert "delivery_confirmed" in actions


def test_a_line_dropped_after_data_is_not_retried_and_not_arrived_resends_the_same_message(
    sqlite_url, mail_server, tmp_path
):
    inbox = mail_server(SlowInbox(drop=True), timeout=5)
    with pytest.raises(DeliveryUnknownError):
        province_round("TH-50", "2567-1", inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    assert len(inbox.messages) == 1
    with session_scope() as s:
        assert s.exec(select(StepProgress).where(StepProgress.step == 3)).one().state == "failed"
    said = cli.invoke(app, ["delivery", "not-arrived", "--province", "TH-50", "--round", "2567-1", "--form", "1"])
    assert said.exit_code == 0, said.output
    inbox.drop = False
    province_round("TH-50", "2567-1", step=3, inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    ids = _message_ids(inbox)
    assert len(ids) == 2 and ids[0] == ids[1] == "<kpi6.2567-1.TH-50.form1.v1@kpi6.local>"  # the same message
    [sub] = all_rows(ReportSubmission)
    assert sub.version == 1 and sub.submitted_at == T1
    [d] = all_rows(ReportDelivery)
    assert d.state == "sent" and d.tries == 2


def test_an_operator_cannot_confirm_a_delivery_that_was_not_in_doubt(sqlite_url, mail_server, tmp_path):
    mail_server(SlowInbox())
    province_round("TH-50", "2567-1", inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path))
    said = cli.invoke(app, ["delivery", "arrived", "--province", "TH-50", "--round", "2567-1", "--form", "1"])
    assert said.exit_code == 2 and "no e-mail of unknown outcome" in said.stderr
    assert len(said.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("transport", ["smtp", "outbox"])
def test_two_runs_started_at_the_same_instant_send_one_report(db_url, mail_server, tmp_path, transport, monkeypatch):
    if transport == "smtp":
        inbox = mail_server(SlowInbox(delay=1.0), timeout=10)
    else:
        monkeypatch.setenv("KPI6_OUTBOX_DIR", str(tmp_path / "outbox"))
        get_settings.cache_clear()
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.setup import prepare_database

    prepare_database(load_round("2567-1"), actor="pytest")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def one_run() -> None:
        barrier.wait()
        try:
            outcomes.append(province_round("TH-50", "2567-1", inputs=_form1_inputs(), now=T1, output_dir=str(tmp_path)))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) == 2 and all(isinstance(e, (DeliveryBusyError, InputError)) for e in errors), errors
    sent = len(inbox.messages) if transport == "smtp" else len(list((tmp_path / "outbox").glob("*.eml")))
    assert sent == 1
    [sub] = all_rows(ReportSubmission)
    assert sub.version == 1
    # A resubmission afterwards is version 2, sent now, with its own time.
    province_round(
        "TH-50", "2567-1", step=3, force=True, inputs=_form1_inputs(), now=bkk(2024, 2, 12, 9), output_dir=str(tmp_path)
    )
    subs = sorted(all_rows(ReportSubmission), key=lambda s: s.version)
    assert [(s.version, s.submitted_at) for s in subs] == [(1, T1), (2, bkk(2024, 2, 12, 9))]
    sent = len(inbox.messages) if transport == "smtp" else len(list((tmp_path / "outbox").glob("*.eml")))
    assert sent == 2


def _input_file(tmp_path: Path) -> Path:
    data = _form1_inputs().model_dump(mode="json", exclude_none=True)
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _kpi6_process(home: Path, *args: str) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start `kpi6 ARGS` with its own Prefect home; its output goes to files under HOME, not pipes.

    With pipes that nobody reads while the process runs, a process that writes more than a pipe holds
    blocks there, holding its claim, and the other one waits on it for ever.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    exe = Path(sys.executable).parent / "kpi6"
    with (home / "stdout").open("w") as out, (home / "stderr").open("w") as err:
        return subprocess.Popen([str(exe), *args], env=env, stdout=out, stderr=err, text=True, start_new_session=True)


def _finish(proc: subprocess.Popen, home: Path, seconds: float) -> tuple[int, str, str]:  # type: ignore[type-arg]
    try:
        code = proc.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        code = -9
    return code, (home / "stdout").read_text(), (home / "stderr").read_text()


@pytest.mark.slow
def test_two_kpi6_processes_racing_send_one_report(db_url, mail_server, tmp_path):
    inbox = mail_server(SlowInbox(delay=4.0), timeout=20)
    file = _input_file(tmp_path)
    args = ("run", "--province", "TH-50", "--round", "2567-1", "--input", str(file), "--out", str(tmp_path / "o"))
    homes = [tmp_path / f"p{i}" for i in range(2)]
    procs = [_kpi6_process(home, *args) for home in homes]
    results = [_finish(p, home, 300) for p, home in zip(procs, homes, strict=True)]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 2]), "\n".join(err for _, _, err in results)
    for code, _, stderr in results:
        if code == 2:
            assert "Traceback" not in stderr and "another run" in stderr
    assert len(inbox.messages) == 1
    assert [s.version for s in all_rows(ReportSubmission)] == [1]


@pytest.mark.slow
def test_a_run_killed_while_the_server_holds_data_is_never_sent_twice(sqlite_url, mail_server, tmp_path):
    inbox = mail_server(SlowInbox(delay=8.0), timeout=30)
    file = _input_file(tmp_path)
    proc = _kpi6_process(
        tmp_path / "p",
        "run",
        "--province",
        "TH-50",
        "--round",
        "2567-1",
        "--input",
        str(file),
        "--out",
        str(tmp_path / "o"),
    )
    assert inbox.got_data.wait(120), _finish(proc, tmp_path / "p", 1)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its Prefect server, mid-DATA
    proc.wait(30)
    time.sleep(8.5)  # the server ends its DATA: the message is in DLA's mailbox
    assert len(inbox.messages) == 1
    # The re-run sees the dead run's claim: the outcome is unknown, so it sends nothing and says what to do.
    rerun = cli.invoke(
        app,
        [
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--step",
            "3",
            "--input",
            str(file),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert rerun.exit_code == 2 and "may be in DLA's mailbox" in rerun.stderr, rerun.output
    assert len(inbox.messages) == 1
    assert (
        cli.invoke(app, ["delivery", "arrived", "--province", "TH-50", "--round", "2567-1", "--form", "1"]).exit_code
        == 0
    )
    done = cli.invoke(
        app,
        [
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--step",
            "3",
            "--input",
            str(file),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert len(inbox.messages) == 1 and [s.version for s in all_rows(ReportSubmission)] == [1]


# --- class 2: a forced re-run cannot erase a lateness penalty -------------------------------------------


def _emailed_round(tmp_path: Path) -> None:
    """TH-50 e-mails Form 1 on time and Form 2 three working days late (the clock is the send time)."""
    inputs = full_inputs()
    for report in (inputs.form1, inputs.form2):
        report.submitted_at, report.channel = None, ReportChannel.email
    first = inputs.model_copy(update={"dissemination": None, "form2": None})
    second = inputs.model_copy(update={"plan": None, "media": None, "form1": None})
    province_round("TH-50", "2567-1", inputs=first, now=T1, output_dir=str(tmp_path))
    province_round("TH-50", "2567-1", inputs=second, now=T2_LATE, output_dir=str(tmp_path))


def _total() -> float:
    from kpi6.flows.scoring import score_round

    [s] = [s for s in score_round("2567-1") if s.province_code == "TH-50"]
    return float(s.total)


def test_a_manual_resubmission_cannot_be_dated_before_the_emailed_report(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI6_OUTBOX_DIR", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    _emailed_round(tmp_path)
    before = _total()
    assert before == pytest.approx(4.4)  # 5 points, 3 working days late on Form 2
    earlier = full_inputs().form2.model_copy(
        update={"submitted_at": bkk(2024, 3, 20, 9), "channel": ReportChannel.manual}
    )
    with pytest.raises(InputError, match="was e-mailed by kpi6 at .* cannot be dated earlier"):
        province_round(
            "TH-50",
            "2567-1",
            step=5,
            force=True,
            inputs=full_inputs().model_copy(update={"form2": earlier}),
            now=bkk(2024, 3, 28),
            output_dir=str(tmp_path),
        )
    assert _total() == pytest.approx(before)
    assert [s.version for s in all_rows(ReportSubmission) if s.form == 2] == [1]


def test_every_change_of_a_submission_time_is_audited_with_old_and_new_and_the_os_user(sqlite_url, tmp_path):
    import getpass

    inputs = full_inputs(form2_at=bkk(2024, 3, 26, 9))  # the office sent it itself, late
    province_round("TH-50", "2567-1", inputs=inputs, now=bkk(2024, 3, 28), output_dir=str(tmp_path))
    later = inputs.form2.model_copy(update={"submitted_at": bkk(2024, 3, 27, 9)})
    province_round(
        "TH-50",
        "2567-1",
        step=5,
        force=True,
        inputs=inputs.model_copy(update={"form2": later}),
        now=bkk(2024, 3, 28),
        output_dir=str(tmp_path),
    )
    [rerun] = [a for a in all_rows(AuditLog) if a.action == "step_forced_rerun"]
    assert datetime.fromisoformat(rerun.detail["previous_submitted_at"]) == bkk(2024, 3, 26, 9)
    assert datetime.fromisoformat(rerun.detail["submitted_at"]) == bkk(2024, 3, 27, 9)
    assert rerun.actor == "pytest" and rerun.os_user == getpass.getuser()


def test_a_report_dated_before_the_steps_it_reports_on_is_refused_before_anything_is_recorded(sqlite_url, tmp_path):
    from kpi6.tasks.adapters.database import migrate

    migrate()
    inputs = full_inputs(form1_at=bkk(2023, 10, 5))  # before the plan (10 Jan) and the media (30 Jan)
    with pytest.raises(InputError, match="before step 1 .*a report cannot precede"):
        province_round("TH-50", "2567-1", inputs=inputs, now=bkk(2024, 3, 28), output_dir=str(tmp_path))
    assert [r for r in all_rows(StepProgress) if r.state == "done"] == []
    # ... and against steps recorded by an earlier run.
    province_round(
        "TH-50",
        "2567-1",
        inputs=full_inputs().model_copy(update={"form1": None, "dissemination": None, "form2": None}),
        now=bkk(2024, 3, 28),
        output_dir=str(tmp_path),
    )
    early = full_inputs(form1_at=bkk(2024, 1, 20)).form1  # after the plan, before the media
    with pytest.raises(InputError, match="before step 2"):
        province_round(
            "TH-50",
            "2567-1",
            step=3,
            inputs=ProvinceInputs(form1=early),
            now=bkk(2024, 3, 28),
            output_dir=str(tmp_path),
        )
    assert all_rows(ReportSubmission) == []
