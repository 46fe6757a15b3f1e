"""The national report from a real database: the score-round flow writes it as PDF and .docx; every province is on
the map in the colour its value gives (in the SVG and in the PNG as drawn); the ranked table matches
`kpi6 score --json`; `kpi6 report national` refuses a bad file name in one line."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime

from docx import Document
from PIL import Image
from prefect.artifacts import Artifact
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.flows.scoring import score_round
from kpi6.models.inputs import PlanTopic, ProvinceInputs
from kpi6.models.national import Measure, province_map
from kpi6.models.provinces import registry
from kpi6.models.survey import SatisfactionItem
from kpi6.models.thai import arabic_digits
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.national import national_facts
from kpi6.tasks.render.maps import TILE_H, map_png, map_svg
from tests.support.docs import pdf_pages, squash
from tests.support.factories import bkk, full_inputs

NOW = bkk(2024, 3, 30, 12)
SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def _inputs(form1_at: datetime | None = None, *, satisfied: int) -> ProvinceInputs:
    """The five steps with a plan that chose a topic, and a survey of 80 answers, `satisfied` of them "most"."""
    topic = PlanTopic(title="การจัดทำแผนพัฒนาท้องถิ่น", aspect="management", indicators=["2.1"])
    survey = [SatisfactionItem(item="ความพึงพอใจต่อสื่อ", counts=[satisfied, 80 - satisfied, 0, 0, 0])]
    # validated again from plain data, as an input file is (model_copy would leave the new fields unset)
    data = full_inputs(form1_at=form1_at).model_dump(exclude_unset=True, mode="json")
    data["plan"]["topics"] = [topic.model_dump(mode="json")]
    data["dissemination"]["satisfaction"] = [item.model_dump(mode="json") for item in survey]
    return ProvinceInputs.model_validate(data)


def _three_provinces(tmp_path) -> None:  # type: ignore[no-untyped-def]
    province_round("TH-50", "2567-1", inputs=_inputs(satisfied=80), now=NOW, output_dir=str(tmp_path))
    late = _inputs(bkk(2024, 2, 14, 11), satisfied=40)  # Form 1 three working days late: 4.40
    province_round("TH-57", "2567-1", inputs=late, now=NOW, output_dir=str(tmp_path))
    plan_only = ProvinceInputs(plan=full_inputs().plan)
    province_round("TH-90", "2567-1", inputs=plan_only, now=NOW, output_dir=str(tmp_path))


def _legend(svg: ET.Element) -> list[tuple[float, float, str]]:
    return [
        (float(g.get("data-low", "nan")), float(g.get("data-high", "nan")), g.get("data-colour", ""))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "legend-entry" and g.get("data-low") is not None
    ]


def test_every_province_is_on_the_map_in_the_colour_its_score_gives(sqlite_url, tmp_path) -> None:
    _three_provinces(tmp_path)
    scored = json.loads(runner.invoke(app, ["score", "--round", "2567-1", "--json"]).stdout)
    totals = {s["code"]: s["total"] for s in scored}
    assert totals["TH-50"] == 5.0 and totals["TH-57"] == 4.4 and totals["TH-90"] == 1.0

    config = load_round("2567-1")
    m = province_map(Measure.total, config, national_facts(config))
    svg = ET.fromstring(map_svg(m))
    legend = _legend(svg)
    assert len(legend) == len(m.classes)
    tiles = {g.get("data-code"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "tile"}
    assert set(tiles) == {p.code for p in registry()} | {"TH-10"}
    png = Image.open(io.BytesIO(map_png(m, dpi=96))).convert("RGB")  # 96 dpi: one pixel per SVG unit
    for code, total in totals.items():
        tile = tiles[code]
        assert float(tile.get("data-value", "nan")) == total
        [colour] = [c for low, high, c in legend if low <= total <= high]
        rect = tile.find(f"{SVG}rect")
        assert rect is not None and rect.get("fill") == colour, code
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        drawn = png.getpixel((int(x) + 6, int(y) + TILE_H - 6))  # a corner of the tile no text covers
        expected = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert max(abs(a - b) for a, b in zip(drawn, expected, strict=True)) <= 3, (code, drawn, colour)
    bangkok = tiles["TH-10"]
    assert bangkok.get("data-value") is None and "ไม่ประเมิน" in "".join(bangkok.itertext())


def test_the_scoreboard_flow_writes_the_report_whose_table_matches_kpi6_score(sqlite_url, tmp_path) -> None:
    _three_provinces(tmp_path)
    score_round("2567-1", report=True, output_dir=str(tmp_path))
    artifact = Artifact.get("national-map-2567-1")  # the map DLA reads in the Prefect UI
    assert artifact is not None and artifact.type == "markdown"
    assert artifact.data.startswith("# คะแนนรวมหลังหักคะแนนความล่าช้า") and "](data:image/png;base64,iVBOR" in artifact.data
    scored = json.loads(runner.invoke(app, ["score", "--round", "2567-1", "--json"]).stdout)
    pdf = (tmp_path / "national-2567-1.pdf").read_bytes()
    pages = pdf_pages(pdf)
    first = squash(pages[0])
    assert squash("รายงานผลการดำเนินงานตัวชี้วัดที่ ๖ ระดับประเทศ") in first
    assert all(squash(p.name_th) in first for p in registry())  # all 76 on page 1's map
    text = squash("".join(pages))
    assert squash("ผู้ตอบ ๑๖๐ คน") in text  # two surveys of 80 answers
    assert squash("ค่าเฉลี่ยรวม (ถ่วงด้วยจำนวนผู้ตอบ) ๔.๗๕") in text  # (5.00×80 + 4.50×80) / 160
    assert squash("การบริหารจัดการ๒๒") in text  # the aspect both plans chose: two media, two provinces

    doc = Document(io.BytesIO((tmp_path / "national-2567-1.docx").read_bytes()))
    ranked = next(t for t in doc.tables if t.rows[0].cells[0].text == "อันดับ")
    rows = [[arabic_digits(c.text) for c in r.cells] for r in ranked.rows[1:]]
    by_name = {r[1]: r for r in rows}
    assert len(rows) == 76
    for s in scored:
        row = by_name[s["name_th"]]
        assert float(row[2]) == s["total"] and float(row[3]) == s["points"] and float(row[4]) == s["penalty"]
        assert int(row[5]) == s["late_reports"] and int(row[6]) == s["working_days_late"]
    assert [r[1] for r in rows[:3]] == ["เชียงใหม่", "เชียงราย", "สงขลา"]  # 5.00, 4.40, 1.00
    assert rows[0][0] == "1" and rows[3][0] == "4" and rows[-1][0] == "4"  # the 73 with nothing share rank 4


def test_report_national_writes_the_file_asked_for_and_refuses_a_bad_name(sqlite_url, tmp_path) -> None:
    _three_provinces(tmp_path)
    out = tmp_path / "meeting" / "national.docx"
    done = runner.invoke(app, ["report", "national", "--round", "2567-1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes()[:2] == b"PK" and "national.docx" in done.stdout
    bad = runner.invoke(app, ["report", "national", "--round", "2567-1", "--out", str(tmp_path / "x.exe")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output and ".pdf or .docx" in bad.output
    assert not (tmp_path / "x.exe").exists()
