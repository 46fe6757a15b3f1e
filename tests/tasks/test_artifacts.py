"""The province report and the national scoreboard as Prefect artifacts, read back through the API."""

from __future__ import annotations

import json

from prefect.artifacts import Artifact

from kpi6.flows.province import province_round
from kpi6.flows.scoring import score_round
from tests.support.factories import bkk, full_inputs

NOW = bkk(2024, 3, 30, 12)


def test_province_run_publishes_its_report_under_a_stable_key(sqlite_url, tmp_path):
    late = bkk(2024, 2, 14, 11)  # Form 1 three working days late
    province_round("TH-50", "2567-1", inputs=full_inputs(form1_at=late), now=NOW, output_dir=str(tmp_path))
    first = Artifact.get("province-th-50-2567-1")
    assert first is not None and first.type == "markdown"
    text = first.data
    assert text.startswith("# TH-50 เชียงใหม่ · รอบ 2567-1")
    assert "**คะแนน 4.40**" in text and "ปรับลด 0.60" in text
    assert "| 3 รายงานผลตามแบบฟอร์ม 1 (ขั้นตอนที่ 1-3) | 2024-02-09 | เสร็จ | 2024-02-14 11:00 | 3 | run |" in text
    assert "form1.pdf`" in text and "form2.docx`" in text
    assert "step-1/" in text  # the plan's evidence folder
    province_round("TH-50", "2567-1", inputs=full_inputs(form1_at=late), now=NOW, output_dir=str(tmp_path))
    second = Artifact.get("province-th-50-2567-1")
    assert second.id != first.id and "| unchanged |" in second.data  # same key, a new version for the history


def test_with_the_portals_address_the_report_links_documents_and_evidence_through_it(sqlite_url, tmp_path, monkeypatch):
    from kpi6.settings import get_settings

    monkeypatch.setenv("KPI6_PORTAL_URL", "https://kpi6.dla.example/")
    get_settings.cache_clear()
    province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW, output_dir=str(tmp_path))
    text = Artifact.get("province-th-50-2567-1").data
    assert "[form1.pdf](https://kpi6.dla.example/provinces/TH-50/documents/form1.pdf)" in text
    evidence = text.split("## หลักฐาน", 1)[1]
    assert "[medium-1-handbook.pdf](https://kpi6.dla.example/provinces/TH-50/evidence/2/0)" in evidence  # a kept medium
    assert str(tmp_path) not in text and "file://" not in text  # no path of the server


def test_scoreboard_table_has_all_76_provinces(sqlite_url):
    province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW)
    score_round("2567-1")
    board = Artifact.get("scoreboard-2567-1")
    assert board is not None and board.type == "table"
    rows = json.loads(board.data) if isinstance(board.data, str) else board.data
    assert len(rows) == 76
    assert list(rows[0]) == [
        "อันดับ · rank",
        "จังหวัด · province",
        "รหัส · code",
        "คะแนนรวม · total",
        "คะแนนขั้นตอน · points",
        "หักล่าช้า · penalty",
        "ขั้นตอนที่เสร็จ · steps done",
        "รายงานที่ส่งช้า · late reports",
        "วันทำการที่ช้า · working days late",
    ]
    chiang_mai = rows[0]  # the only province with anything done ranks first; the 75 others share rank 2
    assert chiang_mai["รหัส · code"] == "TH-50" and chiang_mai["จังหวัด · province"] == "เชียงใหม่"
    assert chiang_mai["ขั้นตอนที่เสร็จ · steps done"] == 5 and chiang_mai["คะแนนรวม · total"] == 5.0
    assert chiang_mai["อันดับ · rank"] == 1 and {r["อันดับ · rank"] for r in rows[1:]} == {2}
