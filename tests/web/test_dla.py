"""DLA's zip of every province's forms for the round (the forms the runs wrote, nothing else), the map and the national
report: for DLA only."""

from __future__ import annotations

import io
import zipfile

from tests.web.conftest import Portal


def test_dla_downloads_every_provinces_forms_in_one_zip(portal: Portal, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kpi6.tasks.outputs import output_root

    written = {"TH-50": {"form1.pdf": b"%PDF-1.7 th50", "form1.docx": b"PK th50"}, "TH-57": {"form2.pdf": b"%PDF 57"}}
    for code, files in written.items():
        folder = output_root(None) / "2567-1" / code
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        (folder / "medium-1-infographic.pdf").write_bytes(b"%PDF medium")  # not a form
    secret = tmp_path / "secret.txt"
    secret.write_text("not a form")
    (output_root(None) / "2567-1" / "TH-50" / "form2.pdf").symlink_to(secret)

    dla = portal.signed_in("dla")
    assert 'href="/dla/forms.zip"' in dla.get("/dla").text
    response = dla.get("/dla/forms.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "kpi6-forms-2567-1.zip" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {i.filename: archive.read(i) for i in archive.infolist()} == {
        f"2567-1/{code}/{name}": data for code, files in written.items() for name, data in files.items()
    }
    assert portal.signed_in("office").get("/dla/forms.zip").status_code == 404


def test_dla_acts_for_a_province_and_the_audit_names_dla(portal: Portal) -> None:
    from sqlmodel import select

    from kpi6.models.db import AuditLog
    from kpi6.tasks.adapters.database import session_scope
    from tests.support.factories import bkk
    from tests.web.test_steps import _wait
    from tests.web.test_work import form_of

    portal.clock.now = bkk(2024, 1, 10, 10)
    dla = portal.signed_in("dla")
    recorded = dla.post("/provinces/TH-57/steps/1/record", data=form_of(dla.get("/provinces/TH-57/steps/1").text))
    assert recorded.status_code == 303, recorded.text[-2000:]
    assert "เสร็จแล้ว" in _wait(dla, recorded.headers["location"])
    with session_scope() as s:
        actors = set(s.exec(select(AuditLog.actor).where(AuditLog.province_code == "TH-57", AuditLog.step == 1)))
    assert actors == {"officer@dla.example"}


def test_dla_sees_the_map_of_a_chosen_measure_and_downloads_the_national_report(portal: Portal) -> None:
    from kpi6.flows.province import province_round
    from tests.support.docs import pdf_pages, squash
    from tests.support.factories import bkk, full_inputs

    province_round("TH-50", "2567-1", inputs=full_inputs(form1_at=bkk(2024, 2, 14, 11)), now=bkk(2024, 3, 30, 12))
    dla = portal.signed_in("dla")
    page = dla.get("/dla").text
    assert page.count('class="tile"') == 77 and "คะแนนรวมหลังหักคะแนนความล่าช้า" in page
    assert 'data-code="TH-50" data-value="4.4"' in page  # Form 1 three working days late
    late = dla.get("/dla?measure=late").text
    assert "จำนวนวันทำการที่ส่งรายงานล่าช้า" in late and 'data-code="TH-50" data-value="3"' in late
    odd = dla.get("/dla?measure=nonsense")
    assert odd.status_code == 422 and "ข้อมูลที่ส่งมาไม่ถูกต้อง" in odd.text  # one Thai sentence, not a 500
    report = dla.get("/dla/national.pdf")
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    assert squash("รายงานผลการดำเนินงานตัวชี้วัดที่ ๖ ระดับประเทศ") in squash(pdf_pages(report.content)[0])
    assert dla.get("/dla/national.docx").content[:2] == b"PK"
    office = portal.signed_in("office")
    assert office.get("/dla/national.pdf").status_code == 404 and office.get("/dla").status_code == 404
