"""Evidence validation and the local evidence store."""

from __future__ import annotations

import pytest

from kpi6.models.errors import InputError
from kpi6.tasks.adapters.evidence import LocalEvidenceStore, check_evidence, folder_parts, safe_name, store_evidence


@pytest.fixture(autouse=True)
def prefect_harness():
    yield


def test_names_lose_folders_and_control_characters_but_keep_thai():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\clerk\\แผนการดำเนินงาน.pdf") == "แผนการดำเนินงาน.pdf"
    assert safe_name("ประชุม\x00 15\u200b ก.พ.\n.jpg") == "ประชุม 15 ก.พ..jpg"
    assert safe_name('a<b>:"c"|?*.pdf') == "a_b___c____.pdf"
    long = safe_name("ก" * 300 + ".pdf")
    assert 190 < len(long.encode()) <= 200 and long.endswith(".pdf") and long.startswith("ก")
    for bad in ("..", "/", "\x01\x02"):
        with pytest.raises(InputError, match="no usable name"):
            safe_name(bad)


def test_types_sizes_and_content_are_checked_before_anything_is_stored(tmp_path):
    good = tmp_path / "ภาพประชุม.png"
    good.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    check_evidence([str(good), "https://photos.example/a"], what="step 4")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ")
    fake_pdf = tmp_path / "report.pdf"
    fake_pdf.write_bytes(b"<html>not a pdf</html>")
    big = tmp_path / "clip.mp4"
    big.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"0" * 2_000_000)
    cases = [(exe, "type .exe is not accepted"), (fake_pdf, "not a real pdf"), (big, "the limit is 1 MB")]
    for path, message in cases:
        with pytest.raises(InputError, match=message):
            check_evidence([str(path)], what="step 4", max_mb=1)
    check_evidence([str(big)], what="step 4", max_mb=5)  # under a larger limit the same clip is fine


def test_local_store_keeps_an_identical_file_and_replaces_a_changed_one(tmp_path):
    store = LocalEvidenceStore(tmp_path / "ev")
    parts = folder_parts("2567-1", "TH-50", "plan")
    src = tmp_path / "แผน.pdf"
    src.write_bytes(b"%PDF-1.7 one")
    first = store.put_file(parts, src)
    target = tmp_path / "ev" / "2567-1" / "TH-50" / "step-1" / "แผน.pdf"
    stamp = target.stat().st_mtime_ns
    again = store.put_file(parts, src)
    assert again == first and target.stat().st_mtime_ns == stamp
    src.write_bytes(b"%PDF-1.7 two")
    changed = store.put_file(parts, src)
    assert changed.md5 != first.md5 and target.read_bytes() == b"%PDF-1.7 two"
    assert store.folder_link(folder_parts("2567-1", "TH-50", "survey")).endswith("/2567-1/TH-50/step-4/survey/")
    assert store_evidence(store, parts, ["https://x.example/1", str(src)]) == ["https://x.example/1", changed.link]
