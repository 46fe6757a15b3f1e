"""Step 1 from evidence: LPA results, the weakness ranking, the topic proposal and the plan."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import select
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.flows.province import province_round
from kpi6.models.db import StepProgress
from kpi6.models.errors import InputError
from kpi6.models.inputs import PlanInput, ProvinceInputs
from kpi6.models.provinces import registry
from kpi6.models.weakness import PlanningRules, plan_from, rank_aspects
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.topics import analyse, load_topics, read_results
from tests.support.factories import bkk

runner = CliRunner()
HEAD = ["ชื่อ อปท.", "ประเภท อปท.", "ด้าน", "ตัวชี้วัด", "ชื่อตัวชี้วัด", "คะแนน", "คะแนนเต็ม"]
INDICATORS = [
    ("4.1", 4, "การขึ้นทะเบียนทางหลวงท้องถิ่น"),
    ("5.1", 5, "การจัดการเรื่องร้องเรียนร้องทุกข์"),
    ("4.2", 4, "การตรวจคุณภาพน้ำประปา"),
    ("2.1", 2, "การจัดทำแผนอัตรากำลัง"),
]


def _laos() -> list[tuple[str, str]]:
    """187 LAOs: 1 อบจ., 40 เทศบาล, 146 อบต."""
    return (
        [("อบจ.เชียงใหม่", "อบจ.")]
        + [(f"เทศบาลตำบลที่ {i}", "เทศบาล") for i in range(40)]
        + [(f"อบต.ที่ {i}", "อบต.") for i in range(146)]
    )


def _write(path: Path, below: dict[str, int], indicators=INDICATORS) -> Path:  # type: ignore[no-untyped-def]
    """Each indicator: the first `below[code]` LAOs score 5/10 (50%), the rest 9/10."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for k, (name, kind) in enumerate(_laos()):
            for code, aspect, title in indicators:
                w.writerow([name, kind, aspect, code, title, 5 if k < below.get(code, 0) else 9, 10])
    return path


def test_the_proposal_names_the_weakest_indicators_with_their_numbers(tmp_path):
    path = _write(tmp_path / "lpa.csv", {"4.1": 62, "5.1": 50, "4.2": 40, "2.1": 10})
    a = analyse(path, province=registry().get("TH-50"), config=load_round("2567-1"))
    assert [(w.indicator, w.n_below, w.n_laos) for w in a.weaknesses] == [
        ("4.1", 62, 187),
        ("5.1", 50, 187),
        ("4.2", 40, 187),
        ("2.1", 10, 187),
    ]
    top = a.weaknesses[0]
    assert top.share_below == pytest.approx(62 / 187) and top.mean_percent == pytest.approx((62 * 50 + 125 * 90) / 187)
    # The first 62 LAOs are the อบจ., the 40 เทศบาล and 21 อบต.
    assert {k: (v.n_below, v.n_laos) for k, v in top.by_type.items()} == {
        "อบจ.": (1, 1),
        "เทศบาล": (40, 40),
        "อบต.": (21, 146),
    }
    assert [p.topic.id for p in a.proposal] == ["local-highway", "complaints"]
    first = a.proposal[0].background_th
    assert "ไม่ผ่านตัวชี้วัดที่ 4.1 การขึ้นทะเบียนทางหลวงท้องถิ่น" in first
    assert "มีจำนวน 62 แห่ง จาก 187 แห่ง คิดเป็นร้อยละ 33.16" in first and "ในจังหวัดเชียงใหม่" in first
    assert "ประจำปี พ.ศ. 2566" in first  # round 2567-1 acts on the previous year's assessment
    assert "50 แห่ง จาก 187 แห่ง คิดเป็นร้อยละ 26.74" in a.proposal[1].background_th


def test_no_two_topics_on_the_same_weakness(tmp_path):
    indicators = [
        ("2.1", 2, "การจัดทำแผนอัตรากำลัง"),
        ("2.2", 2, "การพัฒนาบุคลากร"),
        ("5.1", 5, "การจัดการเรื่องร้องเรียนร้องทุกข์"),
        ("9.9", 1, "ตัวชี้วัดที่ไม่มีในแคตตาล็อก"),
    ]
    path = _write(tmp_path / "lpa.csv", {"2.1": 90, "2.2": 80, "5.1": 20, "9.9": 60}, indicators)
    a = analyse(path)
    # The personnel topic helps both 2.1 and 2.2: the second topic goes to the next weakness, 9.9, which no
    # catalogue topic helps, so the indicator itself becomes the topic.
    assert [w.indicator for w in a.proposal[0].weaknesses] == ["2.1", "2.2"]
    assert a.proposal[0].topic.id == "personnel"
    assert a.proposal[1].topic.id == "indicator-9.9"
    assert "ตัวชี้วัดที่ 9.9" in a.proposal[1].topic.title_th and "ที่ได้รับการประเมิน" in a.proposal[1].background_th


def test_aspects_ranked_by_each_laos_share_of_full_score(tmp_path):
    path = _write(tmp_path / "lpa.csv", {"4.1": 187, "4.2": 0, "5.1": 94})
    aspects = {w.aspect.value: w for w in rank_aspects(read_results(path))}
    # Public services: every LAO has 50% on 4.1 and 90% on 4.2, 70% overall: not below 70.
    assert aspects["public_services"].n_below == 0 and aspects["public_services"].mean_percent == pytest.approx(70)
    assert aspects["governance"].n_below == 94 and aspects["governance"].rank == 1


def test_pass_fail_results_and_xlsx(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["LAO name", "LAO type", "Aspect", "Indicator", "Indicator name", "Result"])
    for i in range(10):
        sheet.append([f"อบต.{i}", None, "ด้านการบริการสาธารณะ", "4.3", "การจัดการขยะมูลฝอย", "ไม่ผ่าน" if i < 3 else "ผ่าน"])
    book.save(tmp_path / "lpa.xlsx")
    w = analyse(tmp_path / "lpa.xlsx").weaknesses[0]
    assert (w.n_below, w.n_laos, w.mean_percent) == (3, 10, pytest.approx(70.0))
    assert w.by_type["อบต."].n_laos == 10  # the type read from the name


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["", "อบต.", 4, "4.1", "x", 5, 10], "row 3, column 'ชื่อ อปท.': no LAO name"),
        (["บ้านใหม่", "หมู่บ้าน", 4, "4.1", "x", 5, 10], "row 3, column 'ประเภท อปท.': LAO type 'หมู่บ้าน'"),
        (["อบต.ข", "อบต.", 7, "4.1", "x", 5, 10], "row 3, column 'ด้าน': aspect '7' is not 1–5"),
        (["อบต.ข", "อบต.", 4, "4.1", "x", 12, 10], "row 3, column 'คะแนน': score 12 is outside 0–10"),
        (["อบต.ข", "อบต.", 4, "4.1", "x", "ดี", 10], "row 3, column 'คะแนน': 'ดี' is not a number"),
        (["อบต.ก", "อบต.", 4, "4.1", "x", 5, 10], "row 3, column 'ตัวชี้วัด': อบต.ก has indicator 4.1 already on row 2"),
        (["อบต.ข", "อบต.", 5, "4.1", "x", 5, 10], "row 3, column 'ด้าน': indicator 4.1 is in ด้านการบริการสาธารณะ"),
        (["อบต.ข", "อบต.", 4, "4.1", "x", None, 10], "row 3, column 'คะแนน': neither a score nor a result"),
    ],
    ids=["no-name", "type", "aspect", "over-full", "not-number", "duplicate", "inconsistent", "no-score"],
)
def test_each_bad_row_refuses_the_file(tmp_path, row, message):
    path = tmp_path / "lpa.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([HEAD, ["อบต.ก", "อบต.", 4, "4.1", "การขึ้นทะเบียนทางหลวงท้องถิ่น", 5, 10], row])
    with pytest.raises(InputError) as caught:
        read_results(path)
    assert "1 row(s) have problems; nothing was read" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("score", "full", "message"),
    [
        (5, "inf", "row 3, column 'คะแนนเต็ม': 'inf' is not a finite number"),
        (5, "Infinity", "row 3, column 'คะแนนเต็ม': 'Infinity' is not a finite number"),
        (5, "nan", "row 3, column 'คะแนนเต็ม': 'nan' is not a finite number"),
        (5, "1e999", "row 3, column 'คะแนนเต็ม': '1e999' is not a finite number"),
        ("inf", 10, "row 3, column 'คะแนน': 'inf' is not a finite number"),
        ("-inf", 10, "row 3, column 'คะแนน': '-inf' is not a finite number"),
        ("nan", 10, "row 3, column 'คะแนน': 'nan' is not a finite number"),
        ("inf", "inf", "row 3, column 'คะแนน': 'inf' is not a finite number"),
        (5, 0, "row 3, column 'คะแนนเต็ม': full score 0 is not above 0"),
        (0, "-0", "row 3, column 'คะแนนเต็ม': full score -0 is not above 0"),
        (5, -10, "row 3, column 'คะแนนเต็ม': full score -10 is not above 0"),
    ],
    ids=[
        "full-inf",
        "full-Infinity",
        "full-nan",
        "full-1e999",
        "score-inf",
        "score-minus-inf",
        "score-nan",
        "both-inf",
        "full-0",
        "full-minus-0",
        "full-negative",
    ],
)
def test_a_score_or_full_score_that_is_not_a_finite_positive_number_refuses_the_file(tmp_path, score, full, message):
    path = tmp_path / "lpa.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                HEAD,
                ["อบต.ก", "อบต.", 4, "4.1", "การขึ้นทะเบียนทางหลวงท้องถิ่น", 5, 10],
                ["อบต.ข", "อบต.", 4, "4.1", "การขึ้นทะเบียนทางหลวงท้องถิ่น", score, full],
            ]
        )
    with pytest.raises(InputError) as caught:
        read_results(path)
    assert "1 row(s) have problems; nothing was read" in str(caught.value)
    assert message in str(caught.value)
    refused = runner.invoke(app, ["topics", str(path), "--json"])
    assert refused.exit_code == 2 and message in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("full", [0, -5, "inf", "nan"])
def test_a_pass_fail_row_with_a_bad_full_score_refuses_the_file(tmp_path, full):
    path = tmp_path / "lpa.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                [*HEAD, "ผล"],
                ["อบต.ก", "อบต.", 4, "4.1", "x", None, 10, "ผ่าน"],
                ["อบต.ข", "อบต.", 4, "4.1", "x", None, full, "ผ่าน"],
            ]
        )
    with pytest.raises(InputError, match=r"row 3, column 'คะแนนเต็ม': "):
        read_results(path)


def test_a_file_without_the_columns(tmp_path):
    path = tmp_path / "lpa.csv"
    path.write_text("ชื่อ อปท.,ด้าน,คะแนน\nอบต.ก,4,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column\\(s\\): indicator, full_score"):
        read_results(path)


def test_the_plan_is_dated_back_from_the_deadlines_in_working_days():
    config = load_round("2567-1")
    cal = config.working_calendar()
    plan = plan_from(
        config, [], rules=PlanningRules(review_working_days=5, publish_working_days=2, survey_working_days=10)
    )
    acts = plan.activities
    assert acts[0].start == date(2023, 10, 2)  # the round's first working day (1 Oct 2023 is a Sunday)
    assert acts[0].end == date(2024, 1, 12)  # step 1's deadline
    assert (acts[3].start, acts[3].end) == (date(2024, 1, 30), date(2024, 1, 31))  # publish: 2 days to step 2's
    assert (acts[2].start, acts[2].end) == (date(2024, 1, 23), date(2024, 1, 29))  # review: 5 working days before
    # Survey: 10 working days ending on step 4's deadline, Fri 8 Mar; Mon 26 Feb 2024 is the substitution day
    # for Makha Bucha (Sat 24 Feb), so it starts Fri 23 Feb.
    assert (acts[6].start, acts[6].end) == (date(2024, 2, 23), date(2024, 3, 8))
    assert not cal.is_working_day(date(2024, 2, 26))
    assert acts[7].end == date(2024, 3, 22) and acts[4].end == date(2024, 2, 9)
    assert all(cal.is_working_day(a.start) and cal.is_working_day(a.end) and a.start <= a.end for a in acts)
    assert all(a.end < b.start for a, b in zip(acts, acts[1:], strict=False))


def test_cli_topics_json_write_input_and_accept(sqlite_url, tmp_path):
    path = _write(tmp_path / "lpa.csv", {"4.1": 62, "5.1": 50, "4.2": 40, "2.1": 10})
    result = runner.invoke(app, ["topics", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(w["indicator"], w["n_laos"]) for w in data["weaknesses"][:2]] == [("4.1", 187), ("5.1", 187)]
    assert data["weaknesses"][0]["share_below"] == pytest.approx(62 / 187)
    assert data["weaknesses"][0]["aspect"] == "ด้านการบริการสาธารณะ"
    assert [p["topic"] for p in data["proposal"]] == ["การขึ้นทะเบียนทางหลวงท้องถิ่น", "การจัดการเรื่องร้องเรียนร้องทุกข์"]
    assert all(p["background_th"] and p["aspect"] for p in data["proposal"])
    table = runner.invoke(app, ["topics", str(path), "--province", "TH-50", "--round", "2567-1"])
    assert table.exit_code == 0 and "หัวข้อที่ 1: การขึ้นทะเบียนทางหลวงท้องถิ่น" in table.stdout
    assert "แผนและขั้นตอนการดำเนินงาน" in table.stdout

    # Edit the proposal, then record it as step 1.
    draft = tmp_path / "draft.yaml"
    wrote = runner.invoke(
        app, ["topics", str(path), "--province", "TH-50", "--round", "2567-1", "--write-input", str(draft)]
    )
    assert wrote.exit_code == 0 and "kpi6 run --province TH-50" in wrote.stderr
    data = yaml.safe_load(draft.read_text(encoding="utf-8"))
    assert [m["title"] for m in data["media"]["media"]] == [t["title"] for t in data["plan"]["topics"]]
    assert "62 แห่ง จาก 187 แห่ง" in data["media"]["media"][0]["background"]
    data["plan"]["activities"][0]["activity"] = "ประชุมคณะทำงานวิเคราะห์ผล LPA"
    data["plan"]["done_at"] = "2024-01-10T10:00"
    draft.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ran = runner.invoke(
        app,
        [
            "run",
            "--province",
            "TH-50",
            "--round",
            "2567-1",
            "--step",
            "1",
            "--input",
            str(draft),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert ran.exit_code == 0, ran.output
    plan = _recorded_plan("TH-50")
    assert plan.activities[0].activity == "ประชุมคณะทำงานวิเคราะห์ผล LPA"
    assert [t.indicators for t in plan.topics] == [["4.1"], ["5.1"]]

    # Or accept it as it is, in one command.
    accepted = runner.invoke(
        app,
        ["topics", str(path), "--province", "TH-90", "--round", "2567-1", "--accept", "--out", str(tmp_path / "out")],
    )
    assert accepted.exit_code == 0, accepted.output
    assert "step 1 เสร็จ (run)" in accepted.stderr
    assert [t.title for t in _recorded_plan("TH-90").topics] == ["การขึ้นทะเบียนทางหลวงท้องถิ่น", "การจัดการเรื่องร้องเรียนร้องทุกข์"]
    refused = runner.invoke(app, ["topics", str(path), "--accept"])
    assert refused.exit_code == 2 and "need --province and --round" in refused.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("ชื่อ อปท.\nก\n", encoding="utf-8")
    assert runner.invoke(app, ["topics", str(bad)]).exit_code == 2


def _recorded_plan(code: str) -> PlanInput:
    with session_scope() as s:
        row = s.exec(select(StepProgress).where(StepProgress.province_code == code, StepProgress.step == 1)).one()
        return PlanInput.model_validate(row.inputs)


def test_the_flow_takes_its_plan_from_the_lpa_results(sqlite_url, tmp_path):
    path = _write(tmp_path / "lpa.csv", {"4.1": 62, "5.1": 50})
    summary = province_round(
        "TH-50",
        "2567-1",
        step=1,
        inputs=ProvinceInputs(),
        lpa_results=str(path),
        now=bkk(2024, 1, 11, 12),
        output_dir=str(tmp_path / "out"),
    )
    assert summary.steps[0].state == "done" and summary.steps[0].working_days_late == 0
    plan = _recorded_plan("TH-50")
    assert [t.indicators for t in plan.topics] == [["4.1"], ["5.1"]] and len(plan.activities) == 8
    assert (tmp_path / "out" / "evidence" / "2567-1" / "TH-50" / "step-1" / "lpa.csv").is_file()


def test_media_without_a_background_take_their_topics_from_the_plan_in_the_same_input():
    plan = {
        "activities": [{"activity": "วางแผน", "start": "2024-01-02", "end": "2024-01-10"}],
        "topics": [{"title": "ก", "background": "อปท. ไม่ผ่าน 62 แห่ง"}, {"title": "ข", "background": "ไม่ผ่าน 50 แห่ง"}],
    }
    plain = {"lpa_aspect": "ด้านการบริการสาธารณะ", "content": "ขั้นตอน", "agency": "สถจ.", "format": "infographic"}
    inputs = ProvinceInputs.model_validate(
        {
            "plan": plan,
            "media": {"media": [{"title": "ข", **plain}, {"title": "เรื่องอื่น", "background": "ของสำนักงานเอง", **plain}]},
        }
    )
    assert [m.background for m in inputs.media.media] == ["ไม่ผ่าน 50 แห่ง", "ของสำนักงานเอง"]
    with pytest.raises(ValueError, match="lacks: ความเป็นมา"):  # no plan topics: still refused
        ProvinceInputs.model_validate({"media": {"media": [{"title": "ข", **plain}, {"title": "ค", **plain}]}})


def test_dla_extends_the_catalogue(tmp_path, monkeypatch):
    from kpi6.settings import get_settings

    extra = tmp_path / "topics.yaml"
    extra.write_text(
        "topics:\n  - {id: local-highway, title_th: ทางหลวงท้องถิ่นฉบับกรม, aspect: public_services,"
        " indicators: ['4.1']}\n  - {id: ita, title_th: การประเมิน ITA, aspect: governance,"
        " keywords: [ITA]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KPI6_TOPICS_FILE", str(extra))
    get_settings.cache_clear()
    try:
        topics = {t.id: t for t in load_topics()}
    finally:
        get_settings.cache_clear()
    assert topics["local-highway"].title_th == "ทางหลวงท้องถิ่นฉบับกรม" and "ita" in topics
    assert "solid-waste" in topics  # the packaged ones stay
    broken = tmp_path / "broken.yaml"
    broken.write_text("topics:\n  - {id: x, aspect: nowhere}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"topic 1 \(x\), field title_th: Field required"):
        load_topics(broken)


def test_propose_topics_flow_publishes_the_proposal_and_accepts_it(sqlite_url, tmp_path):
    import asyncio

    from prefect.client.orchestration import get_client

    from kpi6.flows.topics import propose_topics

    path = _write(tmp_path / "lpa.csv", {"4.1": 62, "5.1": 50})
    state = propose_topics(
        "TH-50", "2567-1", str(path), accept=True, output_dir=str(tmp_path / "out"), return_state=True
    )
    key = state.result()
    assert key == "topics-th-50-2567-1"

    async def run_of_state():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    assert asyncio.run(run_of_state()).name == "TH-50 เชียงใหม่ · 2567-1 · topics"

    async def read():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            return await client.read_latest_artifacts()

    [artifact] = [a for a in asyncio.run(read()) if a.key == key]
    text = artifact.data
    assert "| 1 | 4.1 การขึ้นทะเบียนทางหลวงท้องถิ่น | ด้านการบริการสาธารณะ | 62/187 | 33.2 |" in text
    assert "## หัวข้อที่ 2: การจัดการเรื่องร้องเรียนร้องทุกข์" in text
    pasted = text.split("```json", 1)[1].split("```", 1)[0]
    assert PlanInput.model_validate_json(pasted).topics[0].indicators == ["4.1"]  # ready for the form
    assert [t.title for t in _recorded_plan("TH-50").topics] == ["การขึ้นทะเบียนทางหลวงท้องถิ่น", "การจัดการเรื่องร้องเรียนร้องทุกข์"]
