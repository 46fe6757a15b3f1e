"""DLA's zip of every province's forms for the round: the forms the runs wrote, nothing else, for DLA only."""

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
