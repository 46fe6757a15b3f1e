"""Round configuration files: the shipped 2567-1, and clear errors for broken files."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from kpi6.models.errors import RoundConfigError, UnknownRoundError
from kpi6.models.round import RoundConfig, parse_round
from kpi6.settings import get_settings
from kpi6.tasks.adapters.rounds import available_rounds, load_round, read_round_file, round_dirs, round_for_date

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "rounds" / "2567-1.yaml"


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # type: ignore[no-untyped-def]
    """Overrides conftest's session-wide Prefect harness: these tests are pure and need no server."""
    yield


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No round files from the user's data folder; KPI6_ROUNDS_DIR unset unless a test sets it."""
    monkeypatch.delenv("KPI6_ROUNDS_DIR", raising=False)
    monkeypatch.setenv("KPI6_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def rounds_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A custom folder of round files, made kpi6's KPI6_ROUNDS_DIR for the test."""
    folder = tmp_path / "rounds"
    folder.mkdir()
    monkeypatch.setenv("KPI6_ROUNDS_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def shipped_data() -> dict:
    return copy.deepcopy(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))


def write(folder: Path, data: object, name: str = "2567-1") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def round2_data() -> dict:
    """Round 2567-2 (Apr-Sep 2024) with the shipped steps moved into its period."""
    data = shipped_data()
    data["id"] = "2567-2"
    for step, deadline in zip(
        data["steps"],
        [date(2024, 4, 1), date(2024, 5, 31), date(2024, 6, 28), date(2024, 8, 30), date(2024, 9, 30)],
        strict=True,
    ):
        step["deadline"] = deadline
    return data


# ---------------------------------------------------------------------------------------------
# The shipped round
# ---------------------------------------------------------------------------------------------


def test_shipped_file_is_where_the_package_looks() -> None:
    assert SHIPPED.is_file()
    shipped_dir = round_dirs()[-1]
    assert (shipped_dir / "2567-1.yaml").is_file()
    assert available_rounds()["2567-1"].name == "2567-1.yaml"


@pytest.mark.parametrize("how", ["read_round_file", "load_round"])
def test_shipped_2567_1(how: str) -> None:
    config = read_round_file(SHIPPED) if how == "read_round_file" else load_round("2567-1")
    assert config.id == "2567-1"
    assert config.fiscal_year_be == 2567
    assert config.round_number == 1
    assert config.period == (date(2023, 10, 1), date(2024, 3, 31))
    assert [s.number for s in config.steps] == [1, 2, 3, 4, 5]
    assert [s.number for s in config.report_steps] == [3, 5]
    assert config.step(3).form == 1
    assert config.step(5).form == 2
    assert config.scoring.penalty_per_working_day == Decimal("0.2")
    assert config.scoring.points == {n: Decimal("1") for n in range(1, 6)}
    assert config.scoring.max_points == Decimal("5")
    assert config.scoring.floor == Decimal("0")
    assert config.step(3).requires == (1, 2)
    assert config.step(5).requires == (3, 4)
    start, end = config.period
    assert all(start <= s.deadline <= end for s in config.steps)
    assert config.calendar.extra_holidays == ()
    assert config.calendar.extra_working_days == ()


def test_load_round_strips_spaces() -> None:
    assert load_round(" 2567-1 ").id == "2567-1"


def test_step_lookup_unknown_number() -> None:
    config = read_round_file(SHIPPED)
    with pytest.raises(RoundConfigError, match="no step 6"):
        config.step(6)


def test_shipped_round_is_found_by_date() -> None:
    assert round_for_date(date(2023, 10, 1)).id == "2567-1"  # type: ignore[union-attr]
    assert round_for_date(date(2024, 3, 31)).id == "2567-1"  # type: ignore[union-attr]
    assert round_for_date(date(2023, 9, 30)) is None
    assert round_for_date(date(2024, 4, 1)) is None


# ---------------------------------------------------------------------------------------------
# Round periods
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("round_id", "start", "end"),
    [
        pytest.param("2567-1", date(2023, 10, 1), date(2024, 3, 31), id="2567-round-1"),
        pytest.param("2567-2", date(2024, 4, 1), date(2024, 9, 30), id="2567-round-2"),
        pytest.param("2568-1", date(2024, 10, 1), date(2025, 3, 31), id="2568-round-1"),
        pytest.param("2568-2", date(2025, 4, 1), date(2025, 9, 30), id="2568-round-2"),
    ],
)
def test_round_period(round_id: str, start: date, end: date) -> None:
    data = shipped_data()
    data["id"] = round_id
    for step in data["steps"]:
        step["deadline"] = start
    config = parse_round(data, source="test")
    assert config.period == (start, end)


def test_round_2_file_loads(tmp_path: Path) -> None:
    config = read_round_file(write(tmp_path, round2_data(), "2567-2"))
    assert config.id == "2567-2"
    assert config.round_number == 2
    assert config.period == (date(2024, 4, 1), date(2024, 9, 30))


def test_round_2_rejects_a_round_1_deadline(tmp_path: Path) -> None:
    data = round2_data()
    data["steps"][0]["deadline"] = date(2024, 3, 31)
    path = write(tmp_path, data, "2567-2")
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    assert str(path) in str(info.value)
    assert "step 1 deadline 2024-03-31 is outside round 2567-2" in str(info.value)


# ---------------------------------------------------------------------------------------------
# Invalid files: one RoundConfigError naming the file and the field
# ---------------------------------------------------------------------------------------------


def _bad_id(d: dict) -> None:
    d["id"] = "2567-3"


def _deadline_after_round(d: dict) -> None:
    d["steps"][4]["deadline"] = date(2024, 4, 1)


def _deadline_before_round(d: dict) -> None:
    d["steps"][0]["deadline"] = date(2023, 9, 30)


def _missing_step(d: dict) -> None:
    del d["steps"][3]


def _steps_out_of_order(d: dict) -> None:
    d["steps"][0], d["steps"][1] = d["steps"][1], d["steps"][0]


def _requires_later_step(d: dict) -> None:
    d["steps"][1]["requires"] = [3]


def _requires_itself(d: dict) -> None:
    d["steps"][1]["requires"] = [2]


def _points_missing_step_5(d: dict) -> None:
    d["scoring"]["points"] = {1: 1, 2: 1, 3: 1, 4: 1}


def _points_step_6(d: dict) -> None:
    d["scoring"]["points"] = {1: 1, 2: 1, 3: 1, 4: 1, 6: 1}


def _points_negative(d: dict) -> None:
    d["scoring"]["points"][2] = -1


def _negative_penalty(d: dict) -> None:
    d["scoring"]["penalty_per_working_day"] = -0.2


def _holiday_and_working_day(d: dict) -> None:
    d["calendar"] = {
        "extra_holidays": [{"date": date(2024, 1, 2), "name": "วันหยุดพิเศษ"}],
        "extra_working_days": [{"date": date(2024, 1, 2), "name": "ทำงานชดเชย"}],
    }


def _misspelled_key(d: dict) -> None:
    d["scoring"]["penalty_per_workday"] = d["scoring"].pop("penalty_per_working_day")


def _a_step_named_by_the_round(d: dict) -> None:
    d["steps"][2]["name_th"] = "รายงาน"


def _a_form_set_by_the_round(d: dict) -> None:
    d["steps"][4]["form"] = 1


def _bad_deadline(d: dict) -> None:
    d["steps"][0]["deadline"] = "2024-02-30"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(_bad_id, ["field id", "round id is <fiscal year BE>-<round 1 or 2>"], id="bad-id"),
        pytest.param(
            _deadline_after_round,
            ["step 5", "deadline", "2024-04-01", "outside round 2567-1"],
            id="deadline-after-round",
        ),
        pytest.param(
            _deadline_before_round, ["step 1", "deadline", "2023-09-30", "outside"], id="deadline-before-round"
        ),
        pytest.param(_missing_step, ["steps", "1-5"], id="missing-step"),
        pytest.param(_steps_out_of_order, ["steps", "in order"], id="steps-out-of-order"),
        pytest.param(_requires_later_step, ["steps.1", "requires", "declaration (models/steps.py)"], id="requires"),
        pytest.param(_requires_itself, ["steps.1", "requires", "number and deadline only"], id="requires-itself"),
        pytest.param(_points_missing_step_5, ["field scoring.points", "1-5"], id="points-missing-step-5"),
        pytest.param(_points_step_6, ["field scoring.points", "1-5"], id="points-step-6-instead-of-5"),
        pytest.param(_points_negative, ["field scoring.points", "negative"], id="negative-points"),
        pytest.param(
            _negative_penalty,
            ["field scoring.penalty_per_working_day", "greater than or equal to 0"],
            id="negative-penalty",
        ),
        pytest.param(
            _holiday_and_working_day,
            ["field calendar", "both an extra holiday and an extra working day"],
            id="extra-holiday-and-working-day",
        ),
        pytest.param(_misspelled_key, ["field scoring.penalty_per_workday", "not permitted"], id="misspelled-key"),
        pytest.param(_a_step_named_by_the_round, ["steps.2", "name_th", "declaration"], id="a-step-named-by-the-round"),
        pytest.param(_a_form_set_by_the_round, ["steps.4", "form", "declaration"], id="a-form-set-by-the-round"),
        pytest.param(_bad_deadline, ["field steps.0.deadline"], id="impossible-date"),
    ],
)
def test_invalid_file(tmp_path: Path, mutate: Callable[[dict], None], expected: list[str]) -> None:
    data = shipped_data()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: field ")
    for text in expected:
        assert text in msg
    assert "\n" not in msg  # one line


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(_deadline_after_round, "field steps.4.deadline", id="deadline-after-round"),
        pytest.param(_requires_later_step, "field steps.1", id="requires-later-step"),
    ],
)
def test_cross_field_errors_name_the_field_path(tmp_path: Path, mutate: Callable[[dict], None], field: str) -> None:
    data = shipped_data()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    assert f"{path}: {field}:" in str(info.value)


def test_clashing_calendar_day_is_shown_as_an_iso_date(tmp_path: Path) -> None:
    data = shipped_data()
    _holiday_and_working_day(data)
    with pytest.raises(RoundConfigError) as info:
        read_round_file(write(tmp_path, data))
    assert "2024-01-02" in str(info.value)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    path = write(tmp_path, shipped_data(), "2567-2")
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: field id")
    assert "'2567-1'" in msg
    assert "'2567-2'" in msg


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "2567-1.yaml"
    path.write_text('id: "2567-1"\nsteps:\n  - number: 1\n    name_th: [unclosed\n', encoding="utf-8")
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    msg = str(info.value)
    assert msg.startswith(str(path))
    assert "not valid YAML" in msg
    assert "at line" in msg


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "2567-1.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    assert str(info.value).startswith(f"{path}: field ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "2567-1.yaml"
    with pytest.raises(RoundConfigError) as info:
        read_round_file(path)
    assert str(path) in str(info.value)
    assert "round file: file not found" in str(info.value)


def test_valid_calendar_overrides_reach_the_working_calendar(tmp_path: Path) -> None:
    data = shipped_data()
    data["calendar"] = {
        "extra_holidays": [{"date": date(2024, 1, 17), "name": "วันหยุดพิเศษ"}],
        "extra_working_days": [{"date": date(2024, 1, 20), "name": "ทำงานชดเชย"}],
    }
    config = read_round_file(write(tmp_path, data))
    cal = config.working_calendar()
    assert not cal.is_working_day(date(2024, 1, 17))
    assert cal.is_working_day(date(2024, 1, 20))


def test_config_is_frozen() -> None:
    config = read_round_file(SHIPPED)
    with pytest.raises(Exception):  # noqa: B017 - pydantic ValidationError on a frozen model
        config.id = "2567-2"  # type: ignore[misc]
    assert isinstance(config, RoundConfig)


# ---------------------------------------------------------------------------------------------
# load_round with a custom folder (KPI6_ROUNDS_DIR)
# ---------------------------------------------------------------------------------------------


def test_load_round_from_custom_folder(rounds_dir: Path) -> None:
    write(rounds_dir, round2_data(), "2567-2")
    config = load_round("2567-2")
    assert config.id == "2567-2"
    assert config.period == (date(2024, 4, 1), date(2024, 9, 30))
    assert set(available_rounds()) == {"2567-1", "2567-2"}
    assert round_dirs()[0] == rounds_dir


def test_custom_folder_overrides_the_shipped_round(rounds_dir: Path) -> None:
    data = shipped_data()
    data["scoring"]["penalty_per_working_day"] = "0.5"
    write(rounds_dir, data)
    assert load_round("2567-1").scoring.penalty_per_working_day == Decimal("0.5")


def test_data_dir_rounds_are_found(isolated_settings: Path) -> None:
    folder = isolated_settings / "data" / "rounds"
    folder.mkdir(parents=True)
    write(folder, round2_data(), "2567-2")
    assert load_round("2567-2").id == "2567-2"


def test_invalid_file_in_custom_folder_names_it(rounds_dir: Path) -> None:
    data = round2_data()
    data["scoring"]["penalty_per_working_day"] = -1
    path = write(rounds_dir, data, "2567-2")
    with pytest.raises(RoundConfigError) as info:
        load_round("2567-2")
    assert str(info.value).startswith(f"{path}: field scoring.penalty_per_working_day")


def test_unknown_round_lists_the_available_ones(rounds_dir: Path) -> None:
    write(rounds_dir, round2_data(), "2567-2")
    with pytest.raises(UnknownRoundError) as info:
        load_round("2568-1")
    msg = str(info.value)
    assert "unknown round '2568-1'" in msg
    assert "2567-1, 2567-2" in msg


@pytest.mark.parametrize("bad", ["2567", "2567-3", "67-1", "2023-1", "round1"])
def test_malformed_round_id(bad: str) -> None:
    with pytest.raises(UnknownRoundError, match="not of the form"):
        load_round(bad)


def test_files_with_other_names_are_ignored(rounds_dir: Path) -> None:
    write(rounds_dir, round2_data(), "notes")
    assert set(available_rounds()) == {"2567-1"}
