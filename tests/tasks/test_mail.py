"""Reports by e-mail against a real SMTP server on loopback (aiosmtpd), and the .eml outbox."""

from __future__ import annotations

import email
import email.utils
import re
from datetime import UTC, datetime
from email import policy

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.models.db import ReportSubmission, StepProgress
from kpi6.models.errors import DeliveryError, SettingsError
from kpi6.models.inputs import ReportChannel
from kpi6.settings import get_settings
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.mail import OutboxTransport, Report, SmtpTransport, build_message
from tests.support.factories import bkk, full_inputs
from tests.support.mail import free_port, running_inbox

NOW = bkk(2024, 3, 30, 12)
OFFICE = "chiangmai@dla.example"


@pytest.fixture
def smtp(monkeypatch):
    monkeypatch.setenv("KPI6_OFFICE_EMAIL", OFFICE)
    with running_inbox(monkeypatch) as inbox:
        yield inbox


def _email_inputs():
    inputs = full_inputs()
    inputs.form1.submitted_at = None  # kpi6 sends it: the send time is the submission time
    inputs.form1.channel = ReportChannel.email
    inputs.form2 = None
    return inputs


def _submissions() -> list[ReportSubmission]:
    with session_scope() as s:
        rows = s.exec(select(ReportSubmission).order_by(ReportSubmission.version)).all()
        for r in rows:
            s.expunge(r)
    return rows


def _step3_state() -> str:
    with session_scope() as s:
        row = s.exec(select(StepProgress).where(StepProgress.step == 3)).first()
        return row.state if row else "pending"


def test_step3_sends_one_email_with_both_forms_and_records_the_send_time(sqlite_url, smtp, tmp_path):
    before = datetime.now(UTC)
    province_round("TH-50", "2567-1", inputs=_email_inputs(), output_dir=str(tmp_path))  # the real clock
    after = datetime.now(UTC)
    assert len(smtp.messages) == 1
    rcpts, raw = smtp.messages[0]
    assert sorted(rcpts) == sorted(["dla0810.7@dla.go.th", OFFICE])
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == (
        "รายงานผลการดำเนินงานตัวชี้วัดที่ ๖ แบบฟอร์ม ๑ (ขั้นตอนที่ ๑ - ๓) สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่"
    )
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].lower()  # the Thai subject is MIME-encoded on the wire
    body = msg.get_body(("plain",)).get_content()
    assert "ขอส่งรายงานผลการดำเนินงานตามตัวชี้วัดที่ ๖ แบบฟอร์ม ๑" in body
    attachments = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    folder = tmp_path / "2567-1" / "TH-50"
    assert attachments == {
        "แบบฟอร์ม1-TH-50-เชียงใหม่.docx": (folder / "form1.docx").read_bytes(),
        "แบบฟอร์ม1-TH-50-เชียงใหม่.pdf": (folder / "form1.pdf").read_bytes(),
    }
    [sub] = _submissions()
    assert sub.message_id == msg["Message-ID"] == "<kpi6.2567-1.TH-50.form1.v1@kpi6.local>"
    assert sub.channel == "email" and not sub.resubmission
    assert before <= sub.submitted_at <= after  # the moment the server accepted it
    # A Date header has whole seconds: the send second lies between the run's first and last second.
    assert before.replace(microsecond=0) <= email.utils.parsedate_to_datetime(msg["Date"]) <= after
    # A second run changes nothing and sends nothing.
    again = province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    assert again.steps[2].action == "unchanged"
    assert len(smtp.messages) == 1 and len(_submissions()) == 1


def test_resubmission_sends_version_2_and_records_it(sqlite_url, smtp, tmp_path):
    province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    province_round("TH-50", "2567-1", step=3, force=True, inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    assert len(smtp.messages) == 2
    second = email.message_from_bytes(smtp.messages[1][1], policy=policy.default)
    assert second["Subject"].endswith("(ส่งใหม่ ครั้งที่ ๒)")
    subs = _submissions()
    assert [(s.version, s.resubmission, s.message_id) for s in subs] == [
        (1, False, "<kpi6.2567-1.TH-50.form1.v1@kpi6.local>"),
        (2, True, "<kpi6.2567-1.TH-50.form1.v2@kpi6.local>"),
    ]
    assert subs[1].submitted_at >= subs[0].submitted_at


def test_refused_recipient_is_a_clear_error_and_the_step_stays_not_submitted(sqlite_url, smtp, tmp_path):
    smtp.refuse = {"dla0810.7@dla.go.th"}
    with pytest.raises(DeliveryError, match="refused the recipient dla0810.7@dla.go.th .*550"):
        province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    assert _submissions() == []
    assert _step3_state() == "failed"


def test_server_down_is_a_clear_error_and_a_later_run_sends_once(sqlite_url, monkeypatch, tmp_path):
    port = free_port()  # nothing listens here yet
    monkeypatch.setenv("KPI6_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("KPI6_SMTP_ATTEMPTS", "1")
    get_settings.cache_clear()
    with pytest.raises(DeliveryError, match=f"cannot reach the mail server 127.0.0.1:{port}"):
        province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    assert _submissions() == [] and _step3_state() == "failed"
    with running_inbox(monkeypatch, port) as inbox:
        province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    assert len(inbox.messages) == 1 and len(_submissions()) == 1 and _step3_state() == "done"


def _report(version: int = 1) -> Report:
    return Report(
        round_id="2567-1",
        province_code="TH-50",
        province_name_th="เชียงใหม่",
        office="สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่",
        form=1,
        version=version,
        period="รอบการประเมินที่ ๑",
        links=[("แผน", "https://drive.example/f/1")],
    )


def test_a_simulated_clock_is_the_send_time_and_the_date_header(sqlite_url, smtp, tmp_path):
    province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    [sub] = _submissions()
    msg = email.message_from_bytes(smtp.messages[0][1], policy=policy.default)
    assert sub.submitted_at == NOW == email.utils.parsedate_to_datetime(msg["Date"])


def test_a_send_accepted_before_a_crash_is_not_sent_again(sqlite_url, smtp, tmp_path, monkeypatch):
    from kpi6.tasks import reports

    real = reports.record_step

    def crash_once(ctx, result, *, force):  # the run dies between the server's 250 and the database write
        if result.step == 3:
            monkeypatch.setattr(reports, "record_step", real)
            raise RuntimeError("killed")
        return real(ctx, result, force=force)

    monkeypatch.setattr(reports, "record_step", crash_once)
    with pytest.raises(RuntimeError):
        province_round("TH-50", "2567-1", inputs=_email_inputs(), output_dir=str(tmp_path))
    assert len(smtp.messages) == 1 and _submissions() == []
    province_round("TH-50", "2567-1", inputs=_email_inputs(), output_dir=str(tmp_path))
    assert len(smtp.messages) == 1  # recorded from the accepted send, not sent again
    [sub] = _submissions()
    first = email.message_from_bytes(smtp.messages[0][1], policy=policy.default)
    assert sub.message_id == first["Message-ID"] and _step3_state() == "done"


def test_outbox_writes_an_eml_that_parses_back(tmp_path):
    transport = OutboxTransport(tmp_path / "outbox")
    files = {"แบบฟอร์ม1-TH-50-เชียงใหม่.pdf": b"%PDF-1.7 x", "แบบฟอร์ม1-TH-50-เชียงใหม่.docx": b"PK\x03\x04 y"}
    msg = build_message(
        _report(), files, sender="a@b.example", to="dla@x.example", cc="c@d.example", date=bkk(2024, 2, 9, 16, 30)
    )
    assert transport.delivered(msg["Message-ID"]) is False
    transport.send(msg)
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    back = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert back["Cc"] == "c@d.example" and back["Message-ID"] == msg["Message-ID"]
    assert {a.get_filename(): a.get_content() for a in back.iter_attachments()} == files
    assert transport.delivered(msg["Message-ID"]) is True


def test_thai_attachment_names_are_rfc2231_encoded():
    msg = build_message(
        _report(), {"แบบฟอร์ม1.pdf": b"x"}, sender="a@b.example", to="c@d.example", cc=None, date=bkk(2024, 2, 9)
    )
    raw = bytes(msg)
    assert "แบบ".encode() not in raw  # nothing raw in headers or names
    assert re.search(rb"filename\*(0\*)?=utf-8''%E0%B9%81", raw)  # RFC 2231, continued when long


def test_placeholder_password_is_refused_and_never_shown(monkeypatch):
    with pytest.raises(SettingsError, match="placeholder password") as err:
        SmtpTransport("smtp://clerk:changeme@mail.example:587")
    assert "changeme" not in str(err.value)
    transport = SmtpTransport("smtps://clerk:s3cr%40t-Real@mail.example")
    assert "s3cr" not in repr(transport) and transport.port == 465
    monkeypatch.setenv("KPI6_SMTP_URL", "smtp://clerk:changeme@mail.example:587")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["provinces"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "placeholder password" in result.stderr and "changeme" not in result.output + result.stderr


def test_settings_hide_the_smtp_url():
    from kpi6.settings import Settings

    s = Settings(smtp_url="smtp://clerk:TopSecret1@mail.example:587")
    assert "TopSecret1" not in repr(s) and "TopSecret1" not in str(s.model_dump())


@pytest.fixture(autouse=True)
def _no_outbox_leak(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI6_OUTBOX_DIR", str(tmp_path / "outbox-default"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_resubmit_sends_form1_again_as_version_2(sqlite_url, smtp, tmp_path):
    import yaml

    data = _email_inputs().model_dump(mode="json", exclude_none=True)
    data.pop("dissemination")
    file = tmp_path / "in.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(
        app, ["run", "--province", "TH-50", "--round", "2567-1", "--input", str(file), "--out", str(tmp_path / "o")]
    )
    assert first.exit_code == 0, first.output
    wrong = runner.invoke(app, ["run", "--province", "TH-50", "--round", "2567-1", "--resubmit"])
    assert wrong.exit_code == 2 and "--step 3" in wrong.stderr
    again = runner.invoke(
        app,
        [
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--step",
            "3",
            "--resubmit",
            "--input",
            str(file),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 2
    assert [(s.version, s.resubmission) for s in _submissions()] == [(1, False), (2, True)]


def test_smtp_url_from_a_prefect_secret_block(smtp, monkeypatch):
    from prefect.blocks.system import Secret

    from kpi6.tasks.adapters.mail import resolve_secret, transport_from_settings

    url = get_settings().smtp_url.get_secret_value()
    Secret(value=url).save("kpi6-smtp-test", overwrite=True)
    monkeypatch.setenv("KPI6_SMTP_URL", "prefect-secret://kpi6-smtp-test")
    get_settings.cache_clear()
    transport = transport_from_settings(get_settings())
    assert isinstance(transport, SmtpTransport) and transport.port == int(url.rsplit(":", 1)[1])
    with pytest.raises(SettingsError, match="no Prefect Secret block named 'missing-block'"):
        resolve_secret("prefect-secret://missing-block")


def test_gdrive_without_usable_credentials_refuses_to_start(monkeypatch, tmp_path):
    creds = tmp_path / "sa.json"
    creds.write_text('{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nPASTE-HERE"}')
    runner = CliRunner()
    for env, message in (
        ({"KPI6_EVIDENCE_BACKEND": "gdrive"}, "needs KPI6_GOOGLE_CREDENTIALS and KPI6_DRIVE_ROOT_FOLDER_ID"),
        (
            {
                "KPI6_EVIDENCE_BACKEND": "gdrive",
                "KPI6_GOOGLE_CREDENTIALS": str(creds),
                "KPI6_DRIVE_ROOT_FOLDER_ID": "0AbC",
            },
            "KPI6_GOOGLE_CREDENTIALS",
        ),
        ({"KPI6_EVIDENCE_BACKEND": "dropbox"}, "KPI6_EVIDENCE_BACKEND"),
    ):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        try:
            result = runner.invoke(app, ["provinces"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 2, result.output
        assert message in result.stderr and "PASTE-HERE" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_failed_province_run_alerts_dla_naming_the_step_and_the_error(sqlite_url, smtp, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI6_ALERT_EMAILS", "ops@dla.example")
    get_settings.cache_clear()
    smtp.refuse = {"dla0810.7@dla.go.th"}
    with pytest.raises(DeliveryError):
        province_round("TH-50", "2567-1", inputs=_email_inputs(), now=NOW, output_dir=str(tmp_path))
    alerts = [
        email.message_from_bytes(raw, policy=policy.default)
        for rcpts, raw in smtp.messages
        if rcpts == ["ops@dla.example"]
    ]
    assert len(alerts) == 1
    assert alerts[0]["Subject"] == "kpi6: งานของ TH-50 เชียงใหม่ รอบ 2567-1 ล้มเหลว (ขั้นตอนที่ 3)"
    assert "refused the recipient dla0810.7@dla.go.th" in alerts[0].get_body(("plain",)).get_content()
