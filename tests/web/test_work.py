"""Steps 1, 2 and 4 from the portal's forms, with uploads: what the office typed and uploaded becomes the step's
input and the same `province-round` run records it; each refusal (CSRF, size, content, dates, another province)
records nothing and keeps nothing of the refused file."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from sqlmodel import select

from kpi6.models.db import AuditLog, StepProgress
from kpi6.tasks.adapters.database import session_scope
from tests.support.factories import bkk
from tests.web.conftest import USERS, Portal
from tests.web.test_steps import _wait

EXAMPLES = Path(__file__).resolve().parents[2] / "deployments" / "examples"
CLERK = USERS["office"][0]
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PROGRAM = b"\x7fELF\x02\x01\x01" + b"\x00" * 500  # a Linux program, named .pdf


class _Form(HTMLParser):
    """The fields of a page's forms as a browser would post them: inputs, checked boxes, textareas, selects."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._first: str | None = None  # a select's first option: what it posts when none is selected
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type", "text") not in ("file", "checkbox", "submit"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select, self._first = a["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._first = ""  # posted already

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            if self._first:
                self.fields.append((self._select, self._first))
            self._select = None


def form_of(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    found: dict[str, list[str]] = {}
    for name, value in parser.fields:
        found.setdefault(name, []).append(value)
    return found


def _progress(step: int) -> StepProgress | None:
    with session_scope() as s:
        return s.exec(
            select(StepProgress).where(
                StepProgress.province_code == "TH-50", StepProgress.round_id == "2567-1", StepProgress.step == step
            )
        ).first()


def _done(step: int) -> bool:
    row = _progress(step)
    return row is not None and row.state == "done"


def _uploaded_files() -> list[Path]:
    from kpi6.tasks.uploads import uploads_root

    root = uploads_root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _record_plan(portal: Portal, client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/provinces/TH-50/steps/1")
    assert page.status_code == 200
    form = form_of(page.text)
    lpa = ("lpa_file", ("ผล LPA.csv", (EXAMPLES / "lpa-results-TH-50.csv").read_bytes(), "text/csv"))
    checked = client.post("/provinces/TH-50/steps/1/check", data=form, files=[lpa])
    assert checked.status_code == 200, checked.text[-2000:]
    assert 'id="proposal"' in checked.text and "หัวข้อสื่อที่เสนอ ๒ เรื่อง" in checked.text
    assert not _done(1)  # a check records nothing
    recorded = client.post("/provinces/TH-50/steps/1/record", data=form_of(checked.text))
    assert recorded.status_code == 303, recorded.text[-2000:]
    assert "เสร็จแล้ว" in _wait(client, recorded.headers["location"])


def test_an_office_records_steps_1_2_and_4_with_uploads(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    _record_plan(portal, client)
    plan = _progress(1)
    assert plan is not None and plan.state == "done" and len(plan.inputs["topics"]) == 2
    stored = [unquote(e) for e in plan.evidence]
    assert any(e.endswith("/ผล LPA.csv") for e in stored), stored  # the uploaded results went in as evidence

    # Step 2: the media start from the plan's two topics; a missing element is named before anything is recorded.
    page = client.get("/provinces/TH-50/steps/2").text
    form = form_of(page)
    assert form["m1_title"][0] and form["m1_background"][0]  # proposed by step 1
    form["m1_content"] = [""]
    checked = client.post("/provinces/TH-50/steps/2/check", data=form)
    assert re.search(r"ยังขาด: [^<]*เนื้อหา", checked.text), checked.text[-3000:]
    form["m1_content"] = ["ขั้นตอนการเปิดเผยข้อมูลข่าวสารของ อปท."]
    form["m2_content"] = ["การจัดทำบัญชีและรายงานการเงิน"]
    form["m2_format"] = ["video"]
    preview = client.post("/provinces/TH-50/steps/2/preview/1.pdf", data=form)
    assert preview.headers["content-type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    video = b"%PDF-1.4\n" + b"1" * 2000
    recorded = client.post(
        "/provinces/TH-50/steps/2/record",
        data=form,
        files=[
            ("m2_file", ("../../สื่อเรื่องที่2.pdf", video, "application/pdf")),
            ("evidence_files", ("C:\\Users\\clerk\\ภาพ.png", PHOTO, "image/png")),
        ],
    )
    assert recorded.status_code == 303, recorded.text[-3000:]
    assert "เสร็จแล้ว" in _wait(client, recorded.headers["location"])
    media = _progress(2)
    assert media is not None and media.state == "done"
    kept = {p.name for p in _uploaded_files()}
    assert {"สื่อเรื่องที่2.pdf", "ภาพ.png"} <= kept  # the names without their folders
    second = media.inputs["media"][1]
    assert unquote(second["link"]).endswith("/สื่อเรื่องที่2.pdf")  # the office's own file is the medium's link
    home = client.get("/provinces/TH-50").text
    photo = re.search(r'href="(/provinces/TH-50/evidence/2/\d+)"[^>]*>ภาพ.png<', home)
    assert photo and client.get(photo.group(1)).content == PHOTO  # a local evidence file, opened through the portal
    assert "file://" not in home
    api = client.get("/api/provinces/TH-50").json()
    assert photo.group(1) in api["evidence"]["2"] and "file://" not in json.dumps(api)  # addresses, not server paths
    again = client.get("/provinces/TH-50/steps/2").text
    assert "บันทึกแล้ว" in again and "ภาพ.png" in again and 'name="replace"' in again

    # Step 4: events, photos and the survey export; the survey is checked before it is imported.
    portal.clock.now = bkk(2024, 3, 1, 10)
    client = portal.signed_in("office")  # the earlier session has expired on the new day
    form = form_of(client.get("/provinces/TH-50/steps/4").text)
    form |= {
        "e_date": ["15/2/2567", "๒๒/๐๒/๒๕๖๗"],
        "e_channel": ["meeting", "line_group"],
        "e_detail": ["", "กลุ่มไลน์ปลัด อปท."],
        "e_laos": ["อบจ.เชียงใหม่\nเทศบาลนครเชียงใหม่", ""],
        "e_count": ["", "120"],
        "e_participants": ["85", ""],
        "e_description": ["ประชุมประจำเดือน", "ส่งสื่อในกลุ่มไลน์"],
    }
    survey = ("survey_file", ("แบบสำรวจ.csv", (EXAMPLES / "survey-TH-50.csv").read_bytes(), "text/csv"))
    checked = client.post("/provinces/TH-50/steps/4/check", data=form, files=[survey])
    assert checked.status_code == 200, checked.text[-2000:]
    assert "ผู้ตอบที่ใช้ได้" in checked.text
    assert _progress(4) is None  # checked, nothing recorded
    recorded = client.post("/provinces/TH-50/steps/4/record", data=form_of(checked.text))
    assert recorded.status_code == 303, recorded.text[-3000:]
    assert "เสร็จแล้ว" in _wait(client, recorded.headers["location"])
    events = _progress(4)
    assert events is not None and events.state == "done"
    assert [e["laos_reached"] for e in events.inputs["events"]] == [2, 120]
    assert events.inputs["events"][1]["date"] == "2024-02-22"  # Thai digits, BE year
    expected = len((EXAMPLES / "survey-TH-50.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
    assert events.inputs["survey_respondents"] == expected  # every row of the export counted
    with session_scope() as s:
        actors = set(s.exec(select(AuditLog.actor).where(AuditLog.province_code == "TH-50", AuditLog.step == 4)))
    assert actors == {CLERK}


def test_a_survey_with_bad_rows_is_listed_in_thai_before_anything_is_imported(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 3, 1, 10)
    client = portal.signed_in("office")
    lines = (EXAMPLES / "survey-TH-50.csv").read_text(encoding="utf-8-sig").splitlines()
    bad = lines[1].replace("มากที่สุด", "ดีมาก", 1)  # not one of the scale's labels
    text = "\n".join([lines[0], bad, *lines[2:]]) + "\n"
    form = form_of(client.get("/provinces/TH-50/steps/4").text)
    checked = client.post(
        "/provinces/TH-50/steps/4/check",
        data=form,
        files=[("survey_file", ("survey.csv", text.encode(), "text/csv"))],
    )
    assert checked.status_code == 200
    assert "แถวที่มีปัญหา ๑ แถว" in checked.text
    assert "คำตอบไม่ตรงกับระดับความพึงพอใจที่กำหนด" in checked.text and "ดีมาก" in checked.text
    assert 'name="skip_invalid"' in checked.text
    assert _progress(4) is None
    assert not list(Path(_uploaded_files()[0]).parent.glob("*.rejected.csv"))  # a check writes nothing beside it


def test_a_form_without_its_csrf_token_is_refused_and_its_files_not_kept(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/1").text)
    form.pop("csrf")
    lpa = ("lpa_file", ("lpa.csv", (EXAMPLES / "lpa-results-TH-50.csv").read_bytes(), "text/csv"))
    for action in ("check", "record"):
        assert client.post(f"/provinces/TH-50/steps/1/{action}", data=form, files=[lpa]).status_code == 403
    assert client.post("/provinces/TH-50/steps/2/preview/1.pdf", data=form).status_code == 403
    assert _uploaded_files() == [] and not _done(1)


def test_a_program_named_pdf_is_refused_and_nothing_is_recorded(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    _record_plan(portal, client)
    before = _uploaded_files()
    form = form_of(client.get("/provinces/TH-50/steps/2").text)
    form["m1_title"] = ["<script>alert(1)</script> สื่อ"]
    refused = client.post(
        "/provinces/TH-50/steps/2/record",
        data=form,
        files=[("m1_file", ("สื่อ.pdf", PROGRAM, "application/pdf")), ("evidence_files", ("ok.png", PHOTO, "image/png"))],
    )
    assert refused.status_code == 400
    assert "ไฟล์ที่แนบไม่ผ่านการตรวจ" in refused.text and "Traceback" not in refused.text
    assert "<script>alert(1)" not in refused.text and "&lt;script&gt;alert(1)" in refused.text  # typed, as text
    assert not _done(2)
    assert PROGRAM not in [p.read_bytes() for p in _uploaded_files()]
    assert not [p for p in _uploaded_files() if ".incoming" in p.parts]
    assert len(_uploaded_files()) <= len(before) + 1  # at most the photo, kept for the next try


def test_a_bad_date_is_one_thai_sentence_and_the_typed_rows_come_back(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/1").text)
    form["start"][0] = "31/2/2567"
    form["activity"][0] = "ประชุมชี้แจง อปท. ทุกแห่ง"
    lpa = ("lpa_file", ("lpa.csv", (EXAMPLES / "lpa-results-TH-50.csv").read_bytes(), "text/csv"))
    refused = client.post("/provinces/TH-50/steps/1/record", data=form, files=[lpa])
    assert refused.status_code == 400
    assert "กิจกรรมแถวที่ ๑ วันเริ่ม" in refused.text or "กิจกรรมแถวที่ 1 วันเริ่ม" in refused.text
    assert "ประชุมชี้แจง อปท. ทุกแห่ง" in refused.text and 'value="31/2/2567"' in refused.text
    assert "lpa.csv" in refused.text  # the kept upload is offered again, not lost
    assert not _done(1)


def test_the_same_file_uploaded_twice_is_kept_once(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/1").text)
    for name in ("ภาพ1.png", "ภาพ2.png"):
        files = [("evidence_files", (name, PHOTO, "image/png")), ("evidence_files", (name, PHOTO, "image/png"))]
        assert client.post("/provinces/TH-50/steps/1/check", data=form, files=files).status_code == 200
    kept = _uploaded_files()
    assert len(kept) == 1 and kept[0].parent.name == hashlib.sha256(PHOTO).hexdigest()


def test_an_upload_over_the_limit_is_cut_off_while_read(portal: Portal, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kpi6.settings import get_settings

    monkeypatch.setenv("KPI6_PORTAL_UPLOAD_MB", "1")
    get_settings.cache_clear()
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/1").text)
    big = ("evidence_files", ("big.png", PHOTO + b"\x00" * (2 * 1024 * 1024), "image/png"))
    declared = client.post("/provinces/TH-50/steps/1/record", data=form, files=[big])
    assert declared.status_code == 413 and "ใหญ่เกินไป" in declared.text

    sent = 0
    boundary = "kpi6boundary"

    def body():  # type: ignore[no-untyped-def]
        nonlocal sent
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, values in form.items()
            for v in values
        )
        yield head.encode()
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_files"; filename="big.png"\r\n'.encode()
        yield b"Content-Type: image/png\r\n\r\n" + PHOTO
        for _ in range(64):  # 4 MB in 64 KB chunks, with no Content-Length: counted as it arrives
            sent += 1
            yield b"\x00" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = client.post(
        "/provinces/TH-50/steps/1/record",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert chunked.status_code == 413
    assert _uploaded_files() == [] and not _done(1)


def test_the_links_box_takes_web_links_only_never_a_path_on_the_server(portal: Portal) -> None:
    """A path typed as a link would have the run copy that file (another province's, the server's) into this
    province's evidence, where its office could open it."""
    from kpi6.tasks.uploads import receive

    theirs = receive([PHOTO], "ของเชียงราย.png", round_id="2567-1", code="TH-57").path
    portal.clock.now = bkk(2024, 1, 10, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/1").text)
    for line in (theirs, "/etc/passwd", "file:///etc/passwd", "out/2567-1/TH-57/form1.pdf"):
        refused = client.post(
            "/provinces/TH-50/steps/1/record", data=form | {"links": ["https://ok.example/a\n" + line]}
        )
        assert refused.status_code == 400 and "ช่องลิงก์รับเฉพาะลิงก์เว็บ" in refused.text, line
    assert not _done(1)
    portal.clock.now = bkk(2024, 1, 10, 11)
    media = form_of(client.get("/provinces/TH-50/steps/2").text) | {"m1_link": ["file:///etc/passwd"]}
    refused = client.post("/provinces/TH-50/steps/2/record", data=media)
    assert refused.status_code == 400 and "ช่องลิงก์รับเฉพาะลิงก์เว็บ" in refused.text


def test_odd_input_is_one_thai_sentence_never_a_500_or_english_json(portal: Portal) -> None:
    portal.clock.now = bkk(2024, 3, 1, 10)
    client = portal.signed_in("office")
    form = form_of(client.get("/provinces/TH-50/steps/4").text)
    row = {"e_date": ["15/2/2567"], "e_channel": ["meeting"], "e_detail": [""], "e_laos": [""], "e_description": ["x"]}
    for field, value in (("e_count", "²"), ("e_participants", "১২"), ("e_date", "1/²/2567")):
        data = form | row | {"e_count": ["3"], "e_participants": [""]} | {field: [value]}
        refused = client.post("/provinces/TH-50/steps/4/record", data=data)
        assert refused.status_code == 400, (field, refused.status_code)
        assert "ให้กรอกเป็นตัวเลข" in refused.text or "วันที่" in refused.text
        assert "invalid literal" not in refused.text
    huge = client.post(
        "/provinces/TH-50/steps/4/check",
        data=form | {"strategy": ["ก" * 400_000]},
        files=[("evidence_files", ("a.png", PHOTO, "image/png"))],
    )
    assert huge.status_code == 400 and "ระบบไม่ได้บันทึกอะไร" in huge.text and '"detail"' not in huge.text
    long_name = client.post(
        "/provinces/TH-50/steps/4/check",
        data=form,
        files=[("evidence_files", ("ภาพ" * 60 + ".png", PHOTO, "image/png"))],
    )
    assert long_name.status_code == 200
    [kept] = _uploaded_files()
    assert len(kept.name.encode()) <= 200 and kept.name.endswith(".png")


def test_a_double_click_on_replace_starts_one_run(portal: Portal) -> None:
    """While a run of a province's step is under way, starting it again answers with that run."""
    from kpi6.models.inputs import ProvinceInputs
    from tests.support.factories import full_inputs

    runs = portal.app.state.runs
    args = {"province": "TH-50", "round_id": "2567-1", "step": 1, "actor": CLERK, "force": True}
    inputs = ProvinceInputs(plan=full_inputs().plan)
    first = runs.start(inputs=inputs, now=bkk(2024, 1, 10, 10), **args)
    second = runs.start(inputs=inputs, now=bkk(2024, 1, 10, 10), **args)
    assert second.id == first.id
    client = portal.signed_in("office")
    assert "เสร็จแล้ว" in _wait(client, f"/provinces/TH-50/runs/{first.id}")
    with session_scope() as s:
        recorded = s.exec(select(AuditLog).where(AuditLog.province_code == "TH-50", AuditLog.step == 1)).all()
    assert len([a for a in recorded if a.to_state == "done"]) == 1


def test_a_step_its_form_reported_offers_no_record_and_its_generated_links_stay_off_the_page(
    portal: Portal, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """After Form 1 went out the core keeps steps 1-2 as reported: the page says so instead of offering a
    "replace" whose run can only fail; the media kpi6 generated show no file:// link of the server."""
    from kpi6.flows.province import province_round
    from kpi6.models.inputs import ProvinceInputs
    from tests.support.factories import full_inputs

    inputs = full_inputs()
    province_round(
        "TH-50",
        "2567-1",
        inputs=ProvinceInputs(plan=inputs.plan, media=inputs.media, form1=inputs.form1),
        now=bkk(2024, 2, 12),
    )
    portal.clock.now = bkk(2024, 2, 20, 10)
    client = portal.signed_in("office")
    page = client.get("/provinces/TH-50/steps/2").text
    assert 'id="reported"' in page and "ส่งแบบฟอร์ม ๑ ที่รายงานขั้นตอนนี้แล้ว" in page
    assert 'class="send"' not in page and 'name="replace"' not in page
    assert "file://" not in page
    assert "formnovalidate" in page  # "check" never needs the replace box ticked
