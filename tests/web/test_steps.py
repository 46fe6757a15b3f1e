"""Steps 3 and 5 from the portal: the form previewed, the cost of submitting now, then the same province-round
run as `kpi6 run --step 3`, with the signed-in user as actor; refused for another province and without CSRF."""

from __future__ import annotations

import time

from sqlmodel import select

from kpi6.models.db import AuditLog, ReportSubmission
from kpi6.tasks.adapters.database import session_scope
from tests.support.docs import pdf_pages, squash
from tests.support.factories import bkk
from tests.web.conftest import USERS, Portal, csrf_of, plan_and_media

CLERK = USERS["office"][0]


def _wait(client, location: str) -> str:  # type: ignore[no-untyped-def]
    state = location + "/state"
    deadline = time.monotonic() + 300
    while True:
        html = client.get(state).text
        if 'hx-trigger="every 2s"' not in html:
            return html
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.5)


def test_an_office_previews_and_sends_form1_and_the_actor_is_the_signed_in_user(portal: Portal, tmp_path) -> None:
    plan_and_media(tmp_path)
    portal.clock.now = bkk(2024, 2, 13, 10)  # Form 1 was due Fri 9 Feb: sent Tue 13, two working days late
    client = portal.signed_in("office")
    page = client.get("/provinces/TH-50/steps/3")
    assert page.status_code == 200
    assert squash("ส่งวันนี้ ล่าช้า ๒ วันทำการ หัก ๐.๔ คะแนน") in squash(page.text)
    preview = client.post(
        "/provinces/TH-50/steps/3/preview.pdf", data={"csrf": csrf_of(client), "signer_name": "นายสมชาย ใจดี"}
    )
    assert preview.headers["content-type"] == "application/pdf"
    assert squash("นายสมชาย ใจดี") in squash("".join(pdf_pages(preview.content)))
    with session_scope() as session:
        assert session.exec(select(ReportSubmission)).all() == []  # a preview records nothing

    sent = client.post(
        "/provinces/TH-50/steps/3",
        data={"csrf": csrf_of(client), "signer_name": "นายสมชาย ใจดี", "signer_position": "ท้องถิ่นจังหวัดเชียงใหม่"},
    )
    assert sent.status_code == 303
    result = _wait(client, sent.headers["location"])
    assert "เสร็จแล้ว" in result and "ล่าช้า ๒ วันทำการ" in result, result
    with session_scope() as session:
        [submission] = session.exec(select(ReportSubmission)).all()
        actors = {a.actor for a in session.exec(select(AuditLog).where(AuditLog.step == 3)).all()}
    assert submission.channel == "email" and submission.message_id
    assert actors == {CLERK}
    done = client.get("/provinces/TH-50/steps/3").text
    assert submission.message_id.strip("<>") in done and "ฉบับที่ ๑" in done
    assert 'value="ท้องถิ่นจังหวัดเชียงใหม่"' in done  # a replacement starts from the signer who signed
    assert client.get("/api/provinces/TH-50").json()["score"]["penalty"] == 0.4


def test_another_province_cannot_send_or_see_this_provinces_report(portal: Portal, tmp_path) -> None:
    plan_and_media(tmp_path)
    other = portal.signed_in("other")
    csrf = csrf_of(other)
    assert other.get("/provinces/TH-50/steps/3").status_code == 404
    assert other.get("/provinces/TH-50/steps/3/preview.pdf").status_code == 404
    refused = other.post("/provinces/TH-50/steps/3", data={"csrf": csrf, "signer_name": "x", "signer_position": "y"})
    assert refused.status_code == 404
    office = portal.signed_in("office")
    no_token = office.post("/provinces/TH-50/steps/3", data={"signer_name": "x", "signer_position": "y"})
    assert no_token.status_code == 403
    plan = office.post(
        "/provinces/TH-50/steps/1", data={"csrf": csrf_of(office), "signer_name": "x", "signer_position": "y"}
    )
    assert plan.status_code == 404  # step 1 sends no report
    with session_scope() as session:
        assert session.exec(select(ReportSubmission)).all() == []


def test_a_bad_signer_is_one_thai_sentence_and_nothing_runs(portal: Portal, tmp_path) -> None:
    plan_and_media(tmp_path)
    client = portal.signed_in("office")
    bad = client.post(
        "/provinces/TH-50/steps/3",
        data={"csrf": csrf_of(client), "signer_name": "นาย\x1bสมชาย", "signer_position": "<script>alert(1)</script>"},
    )
    assert bad.status_code == 400
    assert "ข้อมูลที่กรอกไม่ถูกต้อง" in bad.text and "signer_name" in bad.text
    assert "<script>alert(1)</script>" not in bad.text and "&lt;script&gt;" in bad.text
    with session_scope() as session:
        assert session.exec(select(ReportSubmission)).all() == []


def test_form2_before_its_steps_says_what_it_waits_for(portal: Portal, tmp_path) -> None:
    plan_and_media(tmp_path)
    client = portal.signed_in("office")
    page = client.get("/provinces/TH-50/steps/5").text
    assert "รอขั้นตอนที่ ๓, ๔ ก่อน" in page and 'action="/provinces/TH-50/steps/5"' not in page
