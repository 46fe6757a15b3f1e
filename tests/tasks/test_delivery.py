"""Step 3 end to end against the fake Google Drive and a real SMTP server on loopback (issue 4's 'done when')."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlmodel import select

from kpi6.flows.province import province_round
from kpi6.models.db import ReportSubmission, StepProgress
from kpi6.models.errors import DeliveryError
from kpi6.models.inputs import ReportChannel
from kpi6.settings import get_settings
from kpi6.tasks import outputs
from kpi6.tasks.adapters.database import session_scope
from tests.support.docs import decode_qr, pdf_images
from tests.support.factories import bkk, full_inputs
from tests.support.fakedrive import FakeDrive, Fault, write_service_account
from tests.support.mail import running_inbox

NOW = bkk(2024, 3, 30, 12)


@pytest.fixture
def drive(tmp_path, monkeypatch):
    with FakeDrive() as fake:
        creds = tmp_path / "service-account.json"
        write_service_account(creds, fake)
        monkeypatch.setenv("KPI6_EVIDENCE_BACKEND", "gdrive")
        monkeypatch.setenv("KPI6_GOOGLE_CREDENTIALS", str(creds))
        monkeypatch.setenv("KPI6_DRIVE_ROOT_FOLDER_ID", fake.root_id)
        monkeypatch.setenv("KPI6_DRIVE_API_ROOT", fake.url)
        get_settings.cache_clear()
        outputs._drive_stores.clear()
        yield fake
        outputs._drive_stores.clear()
        get_settings.cache_clear()


@pytest.fixture
def inbox(monkeypatch):
    with running_inbox(monkeypatch) as box:
        yield box


def _inputs():
    inputs = full_inputs()
    inputs.form1.submitted_at, inputs.form1.channel = None, ReportChannel.email
    inputs.dissemination = inputs.form2 = None
    return inputs


def test_step3_uploads_links_qr_codes_to_drive_sends_once_and_a_rerun_changes_nothing(
    sqlite_url, drive, inbox, tmp_path
):
    summary = province_round("TH-50", "2567-1", inputs=_inputs(), now=NOW, output_dir=str(tmp_path))
    assert [s.state for s in summary.steps[:3]] == ["done"] * 3
    paths = {drive.path_of(f.id)[-1]: f for f in drive.folders()}
    assert {"2567-1", "TH-50", "step-1", "step-2", "step-3"} <= set(paths)
    names = sorted(f.name for f in drive.files())
    assert names == [
        "form1.docx",
        "form1.pdf",
        "medium-1-handbook.pdf",
        "medium-2-infographic.pdf",
        "medium-2-infographic.png",
    ]
    # The QR codes of Form 1 open the plan's step folder on Drive and each generated medium's file there.
    form1 = (tmp_path / "2567-1" / "TH-50" / "form1.pdf").read_bytes()
    links = {t for image in pdf_images(form1) for t in decode_qr(image)}
    by_name = {f.name: f for f in drive.files()}
    assert links == {
        paths["step-1"].link,
        by_name["medium-1-handbook.pdf"].link,
        by_name["medium-2-infographic.pdf"].link,
    }
    assert any(p.get("type") == "anyone" for p in paths["step-1"].permissions)
    assert by_name["form1.pdf"].data == form1
    # One e-mail, and its acceptance time is the recorded submission time.
    assert len(inbox.messages) == 1
    msg = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert paths["step-1"].link in msg.get_body(("plain",)).get_content()
    with session_scope() as s:
        [sub] = s.exec(select(ReportSubmission)).all()
        assert sub.message_id == msg["Message-ID"]
    requests_before = len(drive.requests)
    again = province_round("TH-50", "2567-1", inputs=_inputs(), now=NOW, output_dir=str(tmp_path))
    assert [s.action for s in again.steps[:3]] == ["unchanged"] * 3
    assert len(inbox.messages) == 1 and len(drive.files()) == 5
    assert len(drive.requests) == requests_before  # nothing to do, nothing asked


def test_drive_down_leaves_the_step_not_done_and_nothing_sent(sqlite_url, drive, inbox, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI6_DRIVE_RETRIES", "2")  # backoff 1 s + jitter between the two tries
    get_settings.cache_clear()
    drive.faults.extend(Fault("POST", "/upload/drive/v3/files", status=503) for _ in range(40))
    with pytest.raises(DeliveryError, match="Google Drive did not answer"):
        province_round("TH-50", "2567-1", inputs=_inputs(), now=NOW, output_dir=str(tmp_path))
    with session_scope() as s:
        states = {r.step: r.state for r in s.exec(select(StepProgress)).all()}
        assert s.exec(select(ReportSubmission)).all() == []
    assert states[1] == "done" and states.get(2) == "failed" and 3 not in states
    assert inbox.messages == [] and drive.files() == []
