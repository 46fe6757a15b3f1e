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
