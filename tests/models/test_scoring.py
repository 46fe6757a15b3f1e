"""Pure scoring (models.scoring), step-order and time rules (models.rules) and input validation (models.inputs).

Lateness counts are worked out by hand on the real Thai calendar of round 2567-1 (Oct 2023 - Mar 2024):
Form 1 deadline Fri 9 Feb 2024, Form 2 deadline Fri 22 Mar 2024; the only weekday holiday between
them is Mon 26 Feb 2024 (Makha Bucha substitution).
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kpi6.models.errors import InputError, StepOrderError
from kpi6.models.inputs import MediaSetInput, ProvinceInputs, parse_inputs
from kpi6.models.round import RoundConfig, parse_round
from kpi6.models.rules import (
    CLOCK_SKEW,
    StepAction,
    check_moment,
    check_prerequisites,
    decide_step,
    missing_prerequisites,
)
from kpi6.models.scoring import StepFacts, score_province
from kpi6.tasks.adapters.rounds import read_round_file
from tests.support.factories import bkk, medium

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "rounds" / "2567-1.yaml"


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # type: ignore[no-untyped-def]
    """Overrides conftest's session-wide Prefect harness: these tests are pure and need no server."""
    yield


CONFIG = read_round_file(SHIPPED)


def config_with(**changes: object) -> RoundConfig:
    """The shipped round with top-level sections changed (scoring=..., calendar=...)."""
    data = copy.deepcopy(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return parse_round(data, source="test")


F1_ON_TIME = bkk(2024, 2, 9, 16, 30)
F2_ON_TIME = bkk(2024, 3, 22, 9)


def facts(
    form1: datetime | None = F1_ON_TIME,
    form2: datetime | None = F2_ON_TIME,
    done: tuple[int, ...] = (1, 2, 3, 4, 5),
) -> dict[int, StepFacts]:
    """Facts of a province that did `done`, each non-report step a day before its deadline."""
    completed = {1: bkk(2024, 1, 11), 2: bkk(2024, 1, 30), 3: form1, 4: bkk(2024, 3, 7), 5: form2}
    out: dict[int, StepFacts] = {}
    for n in done:
        sub = completed[n] if n in (3, 5) else None
        out[n] = StepFacts(done=True, completed_at=completed[n], submitted_at=sub)
    return out


# ---------------------------------------------------------------------------------------------
# score_province
# ---------------------------------------------------------------------------------------------


def test_all_five_on_time() -> None:
    s = score_province(CONFIG, "TH-50", facts())
    assert s.province_code == "TH-50"
    assert s.round_id == "2567-1"
    assert [st.points for st in s.steps] == [Decimal("1")] * 5
    assert s.points == Decimal("5")
    assert s.penalty == Decimal("0")
    assert s.total == Decimal("5")
    assert s.steps_done == 5
    assert s.late_reports == 0
    assert s.working_days_late == 0


@pytest.mark.parametrize(
    ("form1_at", "late", "total"),
    [
        pytest.param(bkk(2024, 2, 9, 23, 59), 0, "5", id="deadline-day-2359-bangkok"),
        pytest.param(datetime(2024, 2, 9, 17, 30, tzinfo=UTC), 0, "5", id="utc-evening-is-bangkok-saturday"),
        pytest.param(bkk(2024, 2, 12, 0, 0), 1, "4.8", id="monday-midnight-1-late"),
        pytest.param(datetime(2024, 2, 11, 17, 0, tzinfo=UTC), 1, "4.8", id="utc-sunday-1700-is-bangkok-monday"),
        pytest.param(bkk(2024, 2, 14, 10), 3, "4.4", id="wednesday-3-late"),
        pytest.param(datetime(2024, 2, 14, 10), 3, "4.4", id="naive-is-bangkok"),
        pytest.param(bkk(2024, 2, 26, 10), 10, "3.0", id="on-makha-bucha-substitution-10-late"),
        pytest.param(bkk(2024, 2, 27, 10), 11, "2.8", id="after-makha-bucha-substitution-11-late"),
    ],
)
def test_form1_lateness(form1_at: datetime, late: int, total: str) -> None:
    s = score_province(CONFIG, "TH-50", facts(form1=form1_at))
    assert s.steps[2].working_days_late == late
    assert s.steps[2].penalty == Decimal("0.2") * late
    assert s.penalty == Decimal("0.2") * late
    assert s.points == Decimal("5")
    assert s.total == Decimal(total)
    assert s.late_reports == (1 if late else 0)


def test_form1_three_days_late_is_penalty_0_6() -> None:
    s = score_province(CONFIG, "TH-50", facts(form1=bkk(2024, 2, 14, 10)))
    assert s.penalty == Decimal("0.6")
    assert s.total == Decimal("4.4")
    assert s.working_days_late == 3
    assert s.steps[2].points == Decimal("1")  # the report still earns its point


def test_both_reports_late() -> None:
    # Form 1: Mon 12 + Tue 13 Feb = 2; Form 2 (deadline Fri 22 Mar): Mon 25 + Tue 26 Mar = 2.
    s = score_province(CONFIG, "TH-50", facts(form1=bkk(2024, 2, 13), form2=bkk(2024, 3, 26)))
    assert [st.working_days_late for st in s.steps] == [0, 0, 2, 0, 2]
    assert s.working_days_late == 4
    assert s.late_reports == 2
    assert s.penalty == Decimal("0.8")
    assert s.total == Decimal("4.2")


def test_penalty_only_on_report_steps() -> None:
    """Plan, media and dissemination done weeks after their deadlines cost nothing."""
    f = facts()
    f[1] = StepFacts(done=True, completed_at=bkk(2024, 3, 1), submitted_at=bkk(2024, 3, 1))
    f[2] = StepFacts(done=True, completed_at=bkk(2024, 3, 1))
    f[4] = StepFacts(done=True, completed_at=bkk(2024, 3, 29), submitted_at=bkk(2024, 3, 29))
    s = score_province(CONFIG, "TH-50", f)
    assert [st.working_days_late for st in s.steps] == [0, 0, 0, 0, 0]
    assert s.penalty == Decimal("0")
    assert s.total == Decimal("5")


def test_incomplete_steps_give_no_points() -> None:
    s = score_province(CONFIG, "TH-50", facts(done=(1, 2)))
    assert [st.done for st in s.steps] == [True, True, False, False, False]
    assert [st.points for st in s.steps] == [Decimal("1"), Decimal("1"), Decimal("0"), Decimal("0"), Decimal("0")]
    assert s.points == Decimal("2")
    assert s.total == Decimal("2")
    assert s.steps_done == 2


def test_a_report_not_done_is_neither_scored_nor_penalised() -> None:
    f = facts(done=(1, 2, 4))
    f[3] = StepFacts(done=False, submitted_at=bkk(2024, 3, 1))
    s = score_province(CONFIG, "TH-50", f)
    assert s.steps[2].points == Decimal("0")
    assert s.steps[2].penalty == Decimal("0")
    assert s.total == Decimal("3")


def test_no_progress_scores_zero() -> None:
    s = score_province(CONFIG, "TH-96", {})
    assert s.points == Decimal("0")
    assert s.total == Decimal("0")
    assert s.steps_done == 0
    assert len(s.steps) == 5


def test_floor_zero_for_huge_lateness() -> None:
    # Fri 9 Feb -> Fri 29 Mar 2024: 13 working days in Feb (26 Feb off) + 21 in Mar = 34.
    s = score_province(CONFIG, "TH-50", facts(form1=bkk(2024, 3, 29)))
    assert s.steps[2].working_days_late == 34
    assert s.penalty == Decimal("6.8")
    assert s.points - s.penalty < 0
    assert s.total == Decimal("0")


def test_floor_zero_when_both_reports_are_months_late() -> None:
    s = score_province(CONFIG, "TH-50", facts(form1=bkk(2024, 9, 30), form2=bkk(2024, 9, 30)))
    assert s.penalty > Decimal("20")
    assert s.total == Decimal("0")
    assert s.total >= 0


def test_floor_is_rules_data() -> None:
    config = config_with(scoring={"floor": 1})
    s = score_province(config, "TH-50", facts(form1=bkk(2024, 3, 29)))
    assert s.total == Decimal("1")


def test_round_extra_holidays_are_used() -> None:
    config = config_with(
        calendar={
            "extra_holidays": [
                {"date": date(2024, 2, 12), "name": "วันหยุดพิเศษ"},
                {"date": date(2024, 2, 13), "name": "วันหยุดพิเศษ"},
            ],
            "extra_working_days": [],
        }
    )
    submitted = bkk(2024, 2, 14, 10)
    assert score_province(CONFIG, "TH-50", facts(form1=submitted)).steps[2].working_days_late == 3
    s = score_province(config, "TH-50", facts(form1=submitted))
    assert s.steps[2].working_days_late == 1
    assert s.total == Decimal("4.8")


def test_round_extra_working_day_is_used() -> None:
    config = config_with(
        calendar={
            "extra_holidays": [],
            "extra_working_days": [{"date": date(2024, 2, 10), "name": "วันทำงานชดเชย"}],
        }
    )
    submitted = bkk(2024, 2, 10, 10)  # Saturday
    assert score_province(CONFIG, "TH-50", facts(form1=submitted)).total == Decimal("5")
    s = score_province(config, "TH-50", facts(form1=submitted))
    assert s.steps[2].working_days_late == 1
    assert s.total == Decimal("4.8")


def test_rules_as_data_change_the_result() -> None:
    config = config_with(scoring={"points": {1: 2, 2: 2, 3: 1, 4: 2, 5: 3}, "penalty_per_working_day": "0.5"})
    assert config.scoring.max_points == Decimal("10")
    assert score_province(config, "TH-50", facts()).total == Decimal("10")
    s = score_province(config, "TH-50", facts(form1=bkk(2024, 2, 14, 10)))
    assert s.penalty == Decimal("1.5")
    assert s.total == Decimal("8.5")
    partial = score_province(config, "TH-50", facts(done=(1, 2, 4)))
    assert partial.total == Decimal("6")


def test_zero_penalty_round() -> None:
    config = config_with(scoring={"penalty_per_working_day": 0})
    s = score_province(config, "TH-50", facts(form1=bkk(2024, 3, 29)))
    assert s.steps[2].working_days_late == 34
    assert s.total == Decimal("5")


# ---------------------------------------------------------------------------------------------
# models.rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "done", "missing"),
    [
        pytest.param(3, set(), [1, 2], id="form1-without-plan-and-media"),
        pytest.param(3, {1}, [2], id="form1-without-media"),
        pytest.param(3, {2}, [1], id="form1-without-plan"),
        pytest.param(2, set(), [1], id="media-without-plan"),
        pytest.param(5, {1, 2, 3}, [4], id="form2-without-dissemination"),
        pytest.param(5, {1, 2}, [3, 4], id="form2-without-form1-and-dissemination"),
        pytest.param(4, {1}, [2], id="dissemination-without-media"),
    ],
)
def test_check_prerequisites_names_missing_steps(step: int, done: set[int], missing: list[int]) -> None:
    assert missing_prerequisites(CONFIG, step, done) == missing
    with pytest.raises(StepOrderError) as info:
        check_prerequisites(CONFIG, step, done)
    msg = str(info.value)
    assert msg.startswith(f"step {step} ")
    first_complete = msg.split("first complete", 1)[1]
    for n in (1, 2, 3, 4):
        named = f"step {n} {CONFIG.step(n).name_en} ({CONFIG.step(n).name_th})" in first_complete
        assert named == (n in missing), n


@pytest.mark.parametrize(
    ("step", "done"),
    [
        pytest.param(1, set(), id="plan-needs-nothing"),
        pytest.param(3, {1, 2}, id="form1-after-plan-and-media"),
        pytest.param(4, {2}, id="dissemination-after-media"),
        pytest.param(5, {3, 4}, id="form2-after-form1-and-dissemination"),
    ],
)
def test_check_prerequisites_passes(step: int, done: set[int]) -> None:
    assert check_prerequisites(CONFIG, step, done) is None


NOW = bkk(2024, 2, 20, 12)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(bkk(2023, 9, 30, 23, 59), id="last-minute-before-round-bangkok"),
        pytest.param(datetime(2023, 9, 30, 16, 59, tzinfo=UTC), id="utc-still-30-sep-in-bangkok"),
        pytest.param(datetime(2023, 9, 30, 23, 0), id="naive-30-sep"),
        pytest.param(bkk(2023, 1, 1), id="months-before"),
    ],
)
def test_check_moment_rejects_before_round(moment: datetime) -> None:
    with pytest.raises(InputError) as info:
        check_moment(CONFIG, moment, now=NOW, what="the plan's completion time")
    msg = str(info.value)
    assert "the plan's completion time" in msg
    assert "before round 2567-1 starts (2023-10-01)" in msg


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(NOW + CLOCK_SKEW + timedelta(seconds=1), id="just-beyond-clock-skew"),
        pytest.param(NOW + timedelta(days=1), id="tomorrow"),
        pytest.param(datetime(2024, 2, 20, 5, 11, tzinfo=UTC), id="utc-11-minutes-ahead"),
        pytest.param(datetime(2567, 2, 20), id="buddhist-era-year-typed"),
    ],
)
def test_check_moment_rejects_future(moment: datetime) -> None:
    with pytest.raises(InputError, match="in the future"):
        check_moment(CONFIG, moment, now=NOW, what="Form 1's submission time")


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(bkk(2023, 10, 1, 0, 0), id="first-minute-of-round"),
        pytest.param(datetime(2023, 9, 30, 17, 0, tzinfo=UTC), id="utc-is-1-oct-in-bangkok"),
        pytest.param(NOW, id="now"),
        pytest.param(NOW + CLOCK_SKEW, id="clock-skew-allowed"),
        pytest.param(NOW - timedelta(days=30), id="past-inside-round"),
    ],
)
def test_check_moment_accepts(moment: datetime) -> None:
    result = check_moment(CONFIG, moment, now=NOW, what="t")
    assert result.tzinfo is not None
    assert result == (moment if moment.tzinfo else moment.replace(tzinfo=NOW.tzinfo))


def test_check_moment_naive_is_bangkok() -> None:
    result = check_moment(CONFIG, datetime(2024, 2, 1, 9), now=NOW, what="t")
    assert result == bkk(2024, 2, 1, 9)
    assert result.utcoffset() == timedelta(hours=7)
    # a naive `now` is Bangkok time too: 12:05 Bangkok is not in the future of 12:00 Bangkok
    check_moment(CONFIG, bkk(2024, 2, 20, 12, 5), now=datetime(2024, 2, 20, 12), what="t")
    with pytest.raises(InputError):
        check_moment(CONFIG, bkk(2024, 2, 20, 12, 11), now=datetime(2024, 2, 20, 12), what="t")


@pytest.mark.parametrize(
    ("step", "states", "has_input", "force", "explicit", "action"),
    [
        pytest.param(1, {1: "done"}, True, False, False, StepAction.unchanged, id="done-not-forced"),
        pytest.param(1, {1: "done"}, False, False, True, StepAction.unchanged, id="done-explicit-no-input"),
        pytest.param(1, {1: "done"}, True, True, False, StepAction.run, id="done-forced-with-input"),
        pytest.param(1, {1: "done"}, False, True, False, StepAction.waiting, id="done-forced-without-input"),
        pytest.param(2, {1: "done"}, False, False, False, StepAction.waiting, id="no-input-waiting"),
        pytest.param(3, {1: "done"}, True, False, False, StepAction.blocked, id="form1-blocked-without-media"),
        pytest.param(
            3, {1: "done", 2: "pending"}, True, False, False, StepAction.blocked, id="form1-blocked-media-pending"
        ),
        pytest.param(3, {1: "done", 2: "done"}, True, False, False, StepAction.run, id="form1-runs"),
        pytest.param(3, {1: "done", 2: "done"}, True, False, True, StepAction.run, id="form1-explicit-runs"),
        pytest.param(1, {}, True, False, False, StepAction.run, id="plan-runs"),
    ],
)
def test_decide_step(step, states, has_input, force, explicit, action) -> None:  # type: ignore[no-untyped-def]
    assert decide_step(CONFIG, step, states, has_input=has_input, force=force, explicit=explicit) == action


def test_decide_step_explicit_without_input_raises() -> None:
    with pytest.raises(InputError) as info:
        decide_step(CONFIG, 2, {1: "done"}, has_input=False, force=False, explicit=True)
    msg = str(info.value)
    assert "step 2" in msg
    assert "`media:`" in msg


def test_decide_step_explicit_with_missing_prerequisites_raises() -> None:
    with pytest.raises(StepOrderError) as info:
        decide_step(CONFIG, 5, {1: "done", 2: "done", 3: "done"}, has_input=True, force=False, explicit=True)
    msg = str(info.value)
    assert "step 4 " in msg
    assert "step 3 " not in msg.split("first complete", 1)[1]


# ---------------------------------------------------------------------------------------------
# models.inputs
# ---------------------------------------------------------------------------------------------


def test_two_complete_media_are_accepted() -> None:
    m = MediaSetInput(media=[medium(), medium("อินโฟกราฟิก")])
    assert len(m.media) == 2


@pytest.mark.parametrize("count", [0, 1, 3])
def test_media_set_needs_exactly_two(count: int) -> None:
    with pytest.raises(ValidationError) as info:
        MediaSetInput(media=[medium(f"เรื่อง {i}") for i in range(count)])
    assert f"exactly 2 topics; got {count}" in str(info.value)


@pytest.mark.parametrize(
    ("element", "label"),
    [
        pytest.param("title", "(title)", id="title"),
        pytest.param("lpa_aspect", "(LPA aspect)", id="lpa-aspect"),
        pytest.param("background", "ความเป็นมา/สาเหตุ (background)", id="background"),
        pytest.param("content", "(content)", id="content"),
        pytest.param("agency", "(producing agency)", id="agency"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_medium_missing_an_element(element: str, label: str, blank: str) -> None:
    with pytest.raises(ValidationError) as info:
        MediaSetInput(media=[medium(), medium(**{"title": "อินโฟกราฟิก", element: blank})])
    msg = str(info.value)
    assert "medium 2" in msg
    assert label in msg
    others = [
        lab
        for lab in ("(title)", "(LPA aspect)", "(background)", "(content)", "(producing agency)")
        if lab != label and not label.endswith(lab)
    ]
    for other in others:
        assert other not in msg


def test_parse_inputs_names_the_missing_media_element() -> None:
    data = {
        "media": {
            "media": [medium().model_dump(mode="json"), medium("อินโฟกราฟิก", background="").model_dump(mode="json")]
        }
    }
    with pytest.raises(InputError) as info:
        parse_inputs(data, source="chiangmai.yaml")
    msg = str(info.value)
    assert msg.startswith("chiangmai.yaml: field media.media: ")
    assert "medium 2 (อินโฟกราฟิก) lacks: ความเป็นมา/สาเหตุ (background)" in msg


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"form1": {"submitted_at": "not a time"}}, "field form1.submitted_at", id="bad-timestamp"),
        pytest.param({"form3": {}}, "field form3", id="unknown-section"),
        pytest.param({"form1": {"chanel": "email"}}, "field form1.chanel", id="misspelled-key"),
        pytest.param({"plan": {"activities": []}}, "field plan.activities", id="empty-plan"),
        pytest.param(
            {"plan": {"activities": [{"activity": "x", "start": "2024-01-31", "end": "2024-01-02"}]}},
            "field plan.activities.0",
            id="activity-ends-before-start",
        ),
        pytest.param(
            {"dissemination": {"events": [{"date": "2024-02-15", "channel": "ประชุม", "laos_reached": 0}]}},
            "field dissemination.events.0.laos_reached",
            id="zero-laos-reached",
        ),
        pytest.param(["plan"], "field (top level)", id="not-a-mapping"),
    ],
)
def test_parse_inputs_error_names_the_field(data: object, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_inputs(data, source="in.yaml")
    msg = str(info.value)
    assert msg.startswith(f"in.yaml: {field}: ")
    assert "\n" not in msg


def test_parse_inputs_empty_file_means_nothing_to_do() -> None:
    inputs = parse_inputs(None, source="in.yaml")
    assert isinstance(inputs, ProvinceInputs)
    assert all(inputs.for_step(n) is None for n in range(1, 6))


def test_parse_inputs_valid() -> None:
    inputs = parse_inputs(
        {"form1": {"submitted_at": "2024-02-09T16:30:00+07:00", "channel": " email "}}, source="in.yaml"
    )
    assert inputs.for_step(3).submitted_at == bkk(2024, 2, 9, 16, 30)  # type: ignore[union-attr]
    assert inputs.form1.channel == "email"  # type: ignore[union-attr]
    assert inputs.for_step(5) is None
