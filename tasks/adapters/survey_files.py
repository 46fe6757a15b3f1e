"""Survey and dissemination files at the edge: read CSV/XLSX exports, write the rejected rows, keep imports.

Reading turns a file into a `Table` (tasks/adapters/spreadsheets.py); models/survey.py checks and summarises it.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from kpi6.models.db import SurveyImport
from kpi6.models.errors import InputError
from kpi6.models.inputs import DisseminationEvent
from kpi6.models.survey import (
    Checked,
    SurveyColumns,
    SurveyFileError,
    SurveyResult,
    Table,
    check_rows,
    match_headers,
    plan_columns,
    tally,
)
from kpi6.tasks.adapters.files import MB, open_for_writing, open_regular, read_yaml
from kpi6.tasks.adapters.spreadsheets import blank, csv_safe, read_table

# How many problems an error message lists before it says "and N more".
SHOWN_PROBLEMS = 10


# An events file in YAML is a page or two; the input file's own bound (kpi6/cli.py) is the same.
EVENTS_YAML_MAX_BYTES = 5 * MB


def file_sha256(path: Path, *, what: str = "survey file") -> str:
    digest = hashlib.sha256()
    with open_regular(path, what=what) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems_message(source: str, checked: Checked) -> str:
    """One message for a refused file: how many rows, then each problem with its row and column."""
    lines = [p.line() for p in checked.problems[:SHOWN_PROBLEMS]]
    more = len(checked.problems) - len(lines)
    return (
        f"{source}: {len(checked.rejected_rows)} row(s) have problems; nothing was imported "
        f"(fix them, or import the rest with --skip-invalid): "
        + "; ".join(lines)
        + (f"; and {more} more" if more else "")
    )


def rejected_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejected.csv")


def write_rejected(path: Path, table: Table, checked: Checked) -> Path | None:
    """The rejected rows with their row numbers and reasons, as CSV that Excel opens in Thai (UTF-8 BOM). Each
    text cell is written so that a spreadsheet shows it and never runs it (`=HYPERLINK(...)`: tables.csv_safe)."""
    if not checked.rejected_rows:
        return None
    out = rejected_path(path)
    with open_for_writing(out, what="the rejected rows' file") as fh:
        w = csv.writer(fh)
        w.writerow(["row", "problems", *map(csv_safe, table.headers)])
        for number, problems in checked.rejected_rows.items():
            row = table.rows[number - table.first_row]
            w.writerow(
                [
                    number,
                    csv_safe("; ".join(p.line() for p in problems)),
                    *("" if v is None else csv_safe(v) for v in row),
                ]
            )
    return out


def read_survey(
    path: Path, *, period: tuple[date, date], columns: SurveyColumns | None = None, skip_invalid: bool = False
) -> tuple[SurveyResult, Checked, Table]:
    """Read, check and tally a survey export. With errors the whole file is refused unless `skip_invalid`."""
    table = read_table(path, what="survey file")
    try:
        plan = plan_columns(table, columns)
    except SurveyFileError as exc:
        raise InputError(f"{table.source}: {exc}") from None
    checked = check_rows(table, plan, period=period)
    if checked.problems and not skip_invalid:
        raise InputError(problems_message(table.source, checked))
    if not checked.responses:
        raise InputError(f"{table.source}: no valid responses to import")
    return tally(checked, source=table.source, sha256=table.sha256), checked, table  # the bytes that were read


# --- dissemination events ---------------------------------------------------------------------------

EVENT_HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "วันที่"),
    "channel": ("channel", "ช่องทาง"),
    "channel_detail": ("channel_detail", "รายละเอียดช่องทาง"),
    "laos": ("laos", "อปท. ที่เข้าร่วม", "รายชื่อ อปท.", "ชื่อ อปท."),
    "laos_reached": ("laos_reached", "จำนวน อปท.", "อปท. (แห่ง)"),
    "participants": ("participants", "ผู้เข้าร่วม", "จำนวนผู้เข้าร่วม", "ผู้เข้าร่วม (คน)"),
    "description": ("description", "รายละเอียด"),
    "evidence": ("evidence", "หลักฐาน"),
    "อบจ.": ("อบจ.", "อบจ", "pao"),
    "เทศบาล": ("เทศบาล", "municipality"),
    "อบต.": ("อบต.", "อบต", "sao"),
}


def _split(value: object) -> list[str]:
    return [x.strip() for x in str(value).replace("\n", ";").split(";") if x.strip()] if value is not None else []


def _day(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        from kpi6.models.survey import TimestampReader

        read = TimestampReader().read(value)
        return read.date() if read else value
    return value


def events_from_table(table: Table) -> list[dict[str, Any]]:
    """One event per row; LAOs named in one cell separated by `;` or line breaks; counts by type in their columns."""
    where = match_headers(table.headers, EVENT_HEADERS)
    for needed in ("date", "channel"):
        if needed not in where:
            raise InputError(f"{table.source}: no {needed!r} column ({' or '.join(EVENT_HEADERS[needed])})")
    index = {h: i for i, h in enumerate(table.headers)}
    events = []
    for row in table.rows:
        if all(blank(v) for v in row):
            continue

        def get(key: str, row: list[Any] = row) -> Any:
            i = index[where[key]] if key in where else len(row)
            return row[i] if i < len(row) else None

        event: dict[str, Any] = {"date": _day(get("date")), "channel": get("channel")}
        for k in ("channel_detail", "description"):
            if get(k) is not None:
                event[k] = str(get(k))
        for k in ("laos_reached", "participants"):
            if get(k) is not None:
                event[k] = get(k)
        event["laos"] = _split(get("laos"))
        event["evidence"] = _split(get("evidence"))
        by_type = {t: get(t) for t in ("อบจ.", "เทศบาล", "อบต.") if get(t) is not None}
        if by_type:
            event["laos_by_type"] = by_type
        events.append(event)
    return events


def read_events(path: Path) -> list[DisseminationEvent]:
    """Dissemination events from YAML (a list, or `events:`), CSV or XLSX; row numbers name a bad row."""
    if path.suffix.lower() in (".yaml", ".yml"):
        if not os.path.lexists(path):
            raise InputError(f"{path}: no such file")
        data = read_yaml(path, what="events file", max_bytes=EVENTS_YAML_MAX_BYTES)
        raw = data.get("events") if isinstance(data, dict) else data
        if not isinstance(raw, list):
            raise InputError(f"{path.name}: expected a list of events (or events: [...])")
        first = None
    else:
        table = read_table(path, what="events file")
        raw, first = events_from_table(table), table.first_row
    events = []
    for i, item in enumerate(raw):
        where = f"row {first + i}" if first else f"event {i + 1}"
        try:
            events.append(DisseminationEvent.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "event"
            problem = str(err["msg"]).removeprefix("Value error, ")
            raise InputError(f"{path.name}: {where}, {field}: {problem}") from None
    if not events:
        raise InputError(f"{path.name}: no events")
    return events


def resolve_paths(entries: Sequence[str], base: Path) -> list[str]:
    """Evidence paths in an events file are relative to that file."""
    return [e if "://" in e or Path(e).is_absolute() else str(base / e) for e in entries]


# --- imports kept in the database -------------------------------------------------------------------


def record_import(
    *, session: Session, province_code: str, round_id: str, result: SurveyResult, actor: str, at: datetime
) -> tuple[SurveyImport, bool]:
    """Keep an import; the same file again is not kept twice (returns the earlier one and False)."""
    latest = latest_import(session=session, province_code=province_code, round_id=round_id)
    if latest is not None and latest.sha256 == result.sha256:
        return latest, False
    row = SurveyImport(
        province_code=province_code,
        round_id=round_id,
        imported_at=at,
        actor=actor,
        source=result.source,
        sha256=result.sha256,
        respondents=result.respondents,
        rejected=result.rejected,
        result=result.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    return row, True


def latest_import(*, session: Session, province_code: str, round_id: str) -> SurveyImport | None:
    return session.exec(
        select(SurveyImport)
        .where(SurveyImport.province_code == province_code, SurveyImport.round_id == round_id)
        .order_by(col(SurveyImport.id).desc())
    ).first()
