"""The national picture's pure rules: every province has a tile of its own, every value falls in exactly one class of
its map's legend, ranks share on equal totals, and the weeks count what was done by their end."""

from __future__ import annotations

from datetime import date

import pytest

from kpi6.models.inputs import PlanTopic
from kpi6.models.lpa import LpaAspect
from kpi6.models.national import (
    Measure,
    ProvinceFacts,
    class_of,
    map_classes,
    national_report,
    province_map,
    ranked,
    tile_positions,
    week_rows,
)
from kpi6.models.provinces import registry
from kpi6.models.scoring import ScoreLine
from kpi6.tasks.adapters.rounds import load_round

CONFIG = load_round("2567-1")


def line(code: str, *, total: float = 5.0, late: int = 0, steps: int = 5) -> ScoreLine:
    p = registry().get(code)
    return ScoreLine(
        code=p.code,
        name_th=p.name_th,
        name_en=p.name_en,
        steps_done=steps,
        points=float(steps),
        late_reports=1 if late else 0,
        working_days_late=late,
        penalty=round(late * 0.2, 2),
        total=total,
    )


def test_every_province_and_bangkok_has_a_tile_of_its_own() -> None:
    tiles = tile_positions()
    assert set(tiles) == {p.code for p in registry()} | {"TH-10"}
    assert len(set(tiles.values())) == len(tiles) == 77


@pytest.mark.parametrize("measure", list(Measure))
def test_every_possible_value_falls_in_exactly_one_class(measure: Measure) -> None:
    classes = map_classes(measure, CONFIG)
    values = {
        Measure.total: [k / 100 for k in range(0, 501)],
        Measure.late: list(range(0, 60)),
        Measure.steps: list(range(0, 6)),
        Measure.satisfaction: [k / 100 for k in range(100, 501)],
    }[measure]
    for v in values:
        assert sum(1 for c in classes if c.holds(v)) == 1, (measure, v)
    assert len({c.colour for c in classes}) == len(classes)  # each class a colour of its own
    assert class_of(classes, 4.205 if measure is Measure.satisfaction else values[-1]) == classes[-1]


def test_the_map_colours_each_tile_by_its_class_and_draws_bangkok_apart() -> None:
    facts = [
        ProvinceFacts(line=line(p.code, total=5.0 if p.code != "TH-50" else 4.4, late=3 if p.code == "TH-50" else 0))
        for p in registry()
    ]
    total = province_map(Measure.total, CONFIG, facts)
    by_code = {t.code: t for t in total.tiles}
    assert len(by_code) == 77 and not by_code["TH-10"].scored and by_code["TH-10"].value is None
    assert by_code["TH-50"].text == "๔.๔๐" and by_code["TH-50"].colour == class_of(total.classes, 4.4).colour
    assert by_code["TH-57"].colour == total.classes[-1].colour != by_code["TH-50"].colour
    survey = province_map(Measure.satisfaction, CONFIG, facts)
    assert {t.colour for t in survey.tiles if t.scored} == {"#d9d9d9"} and survey.no_data == "ยังไม่มีผลสำรวจ"


def test_equal_totals_share_a_rank_and_fewer_days_late_list_first() -> None:
    lines = [
        line("TH-50", total=4.6, late=2),
        line("TH-57", total=4.6, late=1),
        line("TH-11"),
        line("TH-12", total=3.0),
    ]
    assert [(r, s.code) for r, s in ranked(lines)] == [(1, "TH-11"), (2, "TH-57"), (2, "TH-50"), (4, "TH-12")]


def test_weeks_count_the_provinces_done_by_their_end_and_mark_deadlines() -> None:
    facts = [
        ProvinceFacts(line=line("TH-50"), completed={1: date(2024, 1, 8), 2: date(2024, 1, 30)}),
        ProvinceFacts(line=line("TH-57"), completed={1: date(2024, 1, 12)}),
    ]
    weeks = week_rows(CONFIG, facts, as_of=date(2024, 4, 1))
    first = weeks[0]
    assert (
        first.label == "๑๔\xa0ม.ค.\xa0๒๕๖๗" and first.done[:2] == ["๒", "๐"] and first.due == "๑"
    )  # step 1 due 12 Jan
    assert weeks[-1].done[:2] == ["๒", "๑"] and "๕" in weeks[-1].due  # the last week holds Form 2's deadline
    early = week_rows(CONFIG, facts, as_of=date(2024, 1, 10))
    assert len(early) == 1  # no week after the day the report is made


def test_the_report_counts_what_the_offices_chose() -> None:
    topic = PlanTopic(title="การจัดทำแผนพัฒนาท้องถิ่น", aspect="management", indicators=["1.1", "1.2"])
    other = PlanTopic(title="การบริหารงานบุคคล", aspect="personnel", indicators=["1.1"])
    facts = [
        ProvinceFacts(line=line("TH-50"), topics=[topic, other], satisfaction_mean=4.5, respondents=10),
        ProvinceFacts(line=line("TH-57"), topics=[topic], satisfaction_mean=3.5, respondents=30),
        ProvinceFacts(line=line("TH-12", steps=0, total=0.0)),
    ]
    report = national_report(CONFIG, facts, date(2024, 4, 1))
    aspects, indicators, _ = (t.rows for t in report.choices)
    assert [(c.label, c.topics, c.provinces) for c in aspects] == [
        (LpaAspect.management.name_th, "๒", "๒"),
        (LpaAspect.personnel.name_th, "๑", "๑"),
    ]
    assert indicators[0].label == "1.1" and indicators[0].topics == "๓"
    assert "ค่าเฉลี่ยรวม (ถ่วงด้วยจำนวนผู้ตอบ) ๓.๗๕" in report.satisfaction_line  # (4.5×10 + 3.5×30) / 40
    assert report.ranked[-1].code == "TH-12" and report.ranked[-1].satisfaction == "–"
