"""Spreadsheet exports at the edge: a CSV or XLSX file as headers and rows (models/survey.Table).

CSV comes as Google Forms and Excel write it: UTF-8 with or without BOM, UTF-16 ("Unicode text",
tab-separated), or the Thai Windows code page; comma, semicolon or tab separated. XLSX, XLS and ODS are read
with python-calamine (the first sheet).
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

from kpi6.models.errors import InputError
from kpi6.models.survey import Table

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")


def decode_text(data: bytes, *, source: str) -> str:
    """The text of a CSV export, whichever encoding Excel or a browser gave it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp874")  # Excel's "CSV (Comma delimited)" on Thai Windows
    except UnicodeDecodeError:
        raise InputError(f"{source}: not a text file in UTF-8, UTF-16 or Thai Windows encoding; "
                         "save it from Excel as 'CSV UTF-8'") from None


def _rows_from_csv(text: str) -> list[list[str]]:
    sample = text[:64 * 1024]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel_tab if "\t" in sample.split("\n", 1)[0] else csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


def _rows_from_sheet(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    if not book.sheet_names:
        return []
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def read_table(path: Path) -> Table:
    """The first sheet of an XLSX/XLS/ODS file, or a CSV file, as headers and rows."""
    source = path.name
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix.lower() in SPREADSHEETS:
            rows = _rows_from_sheet(path)
        elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
            rows = _rows_from_csv(decode_text(path.read_bytes(), source=source))
        else:
            raise InputError(f"{source}: a survey or events file is .csv or .xlsx, not {path.suffix or 'no extension'}")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged workbook raises whatever its parser raises
        raise InputError(f"{source}: cannot be read as a spreadsheet ({type(exc).__name__}: {exc})") from None
    skipped = 0
    while rows and all(blank(v) for v in rows[0]):
        rows.pop(0)
        skipped += 1
    while rows and all(blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{source}: the file is empty")
    headers = [" ".join(str(h if h is not None else "").split()) for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if any(not h for h in headers):
        raise InputError(f"{source}: column {headers.index('') + 1} has no header")
    width = len(headers)
    body = [[(v.strip() or None) if isinstance(v, str) else v for v in r[:width]] for r in rows[1:]]
    return Table(source=source, headers=headers, rows=body, first_row=skipped + 2)


def blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


