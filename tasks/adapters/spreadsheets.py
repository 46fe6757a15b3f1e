"""Spreadsheet exports at the edge: a CSV or XLSX file as headers and rows (models/survey.Table).

CSV comes as Google Forms and Excel write it: UTF-8 with or without BOM, UTF-16 ("Unicode text",
tab-separated), or the Thai Windows code page; comma, semicolon or tab separated. XLSX, XLS and ODS are read
with python-calamine (the first sheet).

A spreadsheet is checked before calamine sees it, because calamine cannot be stopped once it has started: it
inflates what the zip directory allows, reserves what the file's own counts ask for, lays every sheet it
reads out from A1 to its farthest cell and follows a compound file's sector chains to their end, and a failed
allocation aborts the whole process (it is not an exception). So the file is read once, within
MAX_FILE_BYTES; a zip (XLSX, ODS) must stay within MAX_ZIP_ENTRIES entries, MAX_UNCOMPRESSED_BYTES in all and
MAX_COMPRESSION_RATIO to 1 per large entry; an .xls file's chains must end; and the sheets, found the way
calamine finds them, must lay out within MAX_ROWS × MAX_COLUMNS and MAX_CELLS. Whatever calamine still
raises, a Rust panic included, is one line naming the file. A CSV file is held to the same rows and cells.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import struct
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpi6.models.errors import InputError
from kpi6.models.survey import Table
from kpi6.tasks.adapters.files import MB, describe, read_regular

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_TABLES = (".csv", ".txt", ".tsv")

# A survey or results export is a few MB: 100,000 Microsoft Forms responses make a 7 MB XLSX and a 22 MB CSV.
MAX_FILE_BYTES = 100 * MB
# What a sheet may lay out: Excel's own limits, and 10 million cells (100,000 responses × 100 columns; about
# 1 GB in calamine and Python together).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELLS = 10_000_000
# A zip archive (XLSX, ODS). An XLSX has about a dozen entries; the 100,000-response export inflates to
# 79 MB, its sheet compressed 12 to 1 (a sheet of repeated cells reaches 50); a run of zeros deflates 1,000 to 1.
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_DIRECTORY_BYTES = 4 * MB
MAX_UNCOMPRESSED_BYTES = 512 * MB
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1 * MB  # a small entry may compress as it likes

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls (an OLE compound file)
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"


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
        raise InputError(
            f"{source}: not a text file in UTF-8, UTF-16 or Thai Windows encoding; save it from Excel as 'CSV UTF-8'"
        ) from None


# --- writing CSV --------------------------------------------------------------------------------------

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell for a CSV file kpi6 writes: text a spreadsheet would run as a formula gets a leading `'`, which
    makes it plain text there; numbers, dates and other text are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- CSV ----------------------------------------------------------------------------------------------


def _too_large(source: str, what: str) -> InputError:
    return InputError(
        f"{source}: too large: {what}; the limit is {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns and "
        f"{MAX_CELLS:,} cells (keep only the sheet's own data, or split the file)"
    )


def _rows_from_csv(text: str, *, source: str) -> list[list[str]]:
    sample = text[: 64 * 1024]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel_tab if "\t" in sample.split("\n", 1)[0] else csv.excel
    # Every cell but a row's first follows a delimiter (quoted ones too, so this counts at least the cells).
    cells = text.count(dialect.delimiter) + text.count("\n") + 1
    if cells > MAX_CELLS:
        raise _too_large(source, f"up to {cells:,} cells")
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            number = len(rows) + 1
            if "field limit" in str(exc):
                raise InputError(
                    f"{source}: row {number}: a cell is longer than {csv.field_size_limit():,} characters"
                ) from None
            raise InputError(f"{source}: row {number}: not readable as CSV ({exc})") from None
        if len(row) > MAX_COLUMNS:
            raise _too_large(source, f"row {len(rows) + 1} has {len(row):,} columns")
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InputError(f"{source}: more than {MAX_ROWS:,} rows, the most a sheet holds; split the file")


# --- zip archives (XLSX, ODS) ---------------------------------------------------------------------------


def _end_of_directory(data: bytes, *, source: str) -> tuple[int, int]:
    """The entry count and central directory size a zip's end record declares, read before any zip reader
    builds an entry per record: calamine's reserves room for the declared count, Python's for every record."""
    at = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        raise InputError(f"{source}: cannot be read as a spreadsheet (not a zip archive, as an .xlsx or .ods file is)")
    entries, directory_bytes = struct.unpack_from("<HI", data, at + 10)
    locator = at - 20
    if (
        (entries == 0xFFFF or directory_bytes == 0xFFFFFFFF)
        and locator >= 0
        and data.startswith(_ZIP64_LOCATOR, locator)
    ):
        end64 = struct.unpack_from("<Q", data, locator + 8)[0]
        if end64 + 56 > len(data) or not data.startswith(_ZIP64_END, end64):
            raise InputError(f"{source}: a damaged zip archive (its ZIP64 end record is missing)")
        entries, directory_bytes = struct.unpack_from("<QQ", data, end64 + 32)
    return entries, directory_bytes


def _check_zip(data: bytes, *, source: str) -> None:
    """The archive, then each sheet in it, within the bounds, judged on what the zip declares (calamine's zip
    reader stops at each entry's declared size, so the declared sizes are the ones that count)."""
    entries, directory_bytes = _end_of_directory(data, source=source)
    if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise InputError(
            f"{source}: not a plain spreadsheet: its zip archive declares {entries:,} entries in "
            f"{directory_bytes:,} bytes (the limits are {MAX_ZIP_ENTRIES:,} entries and "
            f"{MAX_ZIP_DIRECTORY_BYTES // MB} MB)"
        )
    if data.count(_END_OF_DIRECTORY) > 1:
        raise InputError(f"{source}: not a plain spreadsheet: it holds more than one zip directory")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as exc:
        raise InputError(f"{source}: a damaged zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InputError(
                f"{source}: not a plain spreadsheet: {len(infos):,} zip entries (the limit is {MAX_ZIP_ENTRIES:,})"
            )
        total = 0
        for info in infos:
            total += info.file_size
            if total > MAX_UNCOMPRESSED_BYTES:
                raise InputError(
                    f"{source}: too large: its parts inflate to more than "
                    f"{MAX_UNCOMPRESSED_BYTES // MB:,} MB uncompressed ({info.filename} alone "
                    f"declares {info.file_size / MB:,.0f} MB)"
                )
            if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1
            ):
                ratio = info.file_size / max(info.compress_size, 1)
                raise InputError(
                    f"{source}: not a plain spreadsheet: {info.filename} is compressed {ratio:,.0f} "
                    f"to 1 (a spreadsheet's parts are at most {MAX_COMPRESSION_RATIO} to 1)"
                )
            name = info.filename.replace("\\", "/").lower()
            if name.endswith("workbook.bin"):
                raise InputError(f"{source}: a binary Excel workbook (.xlsb); save it as .xlsx")
        for info in infos:
            if info.file_size:
                _check_part(data, info, source=source)


_UTF16_STARTS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<")


def _read_entry(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, inflated here to at most one byte past its declared size: `ZipFile.read` inflated up
    to 2 GiB in one call before it noticed an entry that lies about its size (a 7.6 MB file took 2.2 GB), and
    reading only the declared size would pass a lying entry on to the spreadsheet reader."""
    if info.flag_bits & 0x1:
        raise zipfile.BadZipFile("encrypted")
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("no local header where the directory says")
    name_len, extra_len = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        content = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        content = inflater.decompress(raw, info.file_size + 1)
    else:
        raise zipfile.BadZipFile(f"compressed with method {info.compress_type}, which spreadsheets do not use")
    if len(content) != info.file_size:
        raise zipfile.BadZipFile(f"{len(content):,}+ bytes where its header declares {info.file_size:,}")
    if zlib.crc32(content) != info.CRC:
        raise zipfile.BadZipFile("its checksum does not match")
    return content


def _check_part(data: bytes, info: zipfile.ZipInfo, *, source: str) -> None:
    """One entry: calamine reads any entry a relationship names as a sheet, so every entry holding sheet data
    is measured, as are the shared strings' declared count and an ODS file's content."""
    try:
        xml = _read_entry(data, info)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError, RuntimeError) as exc:
        raise InputError(f"{source}: a damaged zip archive ({info.filename}: {exc})") from None
    if xml.startswith(_UTF16_STARTS):
        raise InputError(f"{source}: {info.filename} is XML in UTF-16, which spreadsheets are not written in")
    name = info.filename.replace("\\", "/").lower()
    if name.endswith("sharedstrings.xml"):
        _check_shared_strings(xml, source=source, part=info.filename)
    if b"sheetData" in xml:
        rows, columns = sheet_extent(xml)
        _check_extent(rows, columns, source=source, part=info.filename)
    if name == "content.xml" and b"table:table" in xml:
        stored, laid_out = ods_cells(xml)
        if max(stored, laid_out) > MAX_CELLS:
            raise _too_large(source, f"its sheets lay out {max(stored, laid_out):,} cells")


def _check_extent(rows: int, columns: int, *, source: str, part: str) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise _too_large(
            source,
            f"{part} spans {rows:,} rows × {columns:,} columns ({rows * columns:,} cells, "
            "from A1 to its farthest cell)",
        )


_ATTRS = rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)"""  # a start tag's attributes, a '>' inside quotes included
_SST = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst(?=[\s/>])" + _ATTRS + rb">")
_UNIQUE_COUNT = re.compile(rb"""(?:^|\s)uniqueCount\s*=\s*["']\s*\+?(\d+)""")


def _check_shared_strings(xml: bytes, *, source: str, part: str) -> None:
    """calamine reserves room for `uniqueCount` strings before reading one: 4,000,000,000 asks for 96 GB."""
    tag = _SST.search(xml)
    found = _UNIQUE_COUNT.search(tag.group(1)) if tag else None
    if found and int(found.group(1)) > min(MAX_CELLS, len(xml) // 4 + 1000):
        raise InputError(
            f"{source}: not a plain spreadsheet: {part} declares {int(found.group(1)):,} shared strings "
            f"in {len(xml):,} bytes"
        )


# --- the extent of an XLSX sheet -------------------------------------------------------------------------

_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData(?=[\s/>])")
# The way Excel, Google Sheets, Microsoft Forms, LibreOffice and openpyxl write every cell: r first, in quotes.
_PLAIN_CELL = re.compile(rb'<c r="([A-Za-z]{1,3})\d{1,7}"')
_MARKUP = re.compile(rb"<[!?]")  # a comment, CDATA, a declaration, a processing instruction
_SPACED_EQUALS = re.compile(rb"=(?<=[ \t\n\r]=)")  # `r ="..."`: looked for at each `=`, which is fast
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
_CELL_WITHOUT_R_FIRST = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="))')
_CELL_OR_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)[\s/>]")
_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[?!][^>]*>?"
    rb"|<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c|sheetData)(?=[\s/>])" + _ATTRS + rb">"
    rb"|<(?:[A-Za-z_][\w.-]*:)?(?:row|c)(?=[\s/>])",
    re.S,
)
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]*)(\d+)")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """The rows and columns calamine lays a sheet's XML out on, from A1 to the farthest cell (empty cells too):
    exact wherever they pass the limits (below them the row count may be rounded up). A cell is placed by its
    `r` reference, else next to the cell before it in its row."""
    found = _SHEET_DATA.search(xml)
    if found is None:
        return 0, 0
    start = found.start()
    end = xml.find(b"</sheetData>", start)
    if end < 0 or _CELL_OR_ROW.search(xml, end) or _not_plain(xml, start, end):
        return _sheet_extent_token_by_token(xml, start)
    cells = xml.count(b'<c r="', start, end)
    letters = _PLAIN_CELL.findall(xml, start, end)
    if len(letters) != cells or xml.count(b"r=", start, end) != cells + xml.count(b'<row r="', start, end):
        return _sheet_extent_token_by_token(xml, start)  # a second r, a reference past XFD9999999, or none
    if not cells:
        return 0, 0
    columns = max(_column_number(x) for x in set(letters))
    # Only a reference with as many digits as the largest row allowed can lie past it.
    digits = len(str(min(MAX_ROWS, MAX_CELLS // columns)))
    long = re.compile(rb'<c r="[A-Za-z]{1,3}(\d{%d,7})"' % digits).findall(xml, start, end)
    return max(map(int, long), default=10 ** (digits - 1) - 1), columns


def _not_plain(xml: bytes, start: int, end: int) -> bool:
    """Sheet data not written the plain way: comments, other prefixes, cells without r first, spaced `=`."""
    return any(
        pattern.search(xml, start, end) is not None
        for pattern in (_MARKUP, _SPACED_EQUALS, _PREFIXED, _CELL_WITHOUT_R_FIRST)
    )


def _sheet_extent_token_by_token(xml: bytes, start: int) -> tuple[int, int]:
    """sheet_extent for XML written any other way (prefixes, comments, cells without references), following
    calamine's reader: a row's `r` sets the row, a row's end moves to the next, a cell's `r` sets its place."""
    row = column = 0
    last_row = last_column = -1
    for token in _TOKEN.finditer(xml, start):
        closing, name, attrs = token.group(1, 2, 3)
        if name is None:
            if token.group(0).startswith((b"<!", b"<?")):
                continue  # a comment, CDATA, a declaration
            raise InputError(f"malformed XML near {token.group(0)[:40]!r}")
        if name == b"sheetData":
            if closing:
                break
            continue
        # a reference calamine cannot read is an error there, not a place
        places = [p for a, b in _R_ATTR.findall(attrs) if (p := _REFERENCE.fullmatch(a or b))]
        if name == b"row":
            if closing:
                row, column = row + 1, 0
                continue
            if places:
                row = max(int(p[2]) for p in places) - 1
            if attrs.endswith(b"/"):
                row, column = row + 1, 0
        elif not closing:
            if places and all(p[1] for p in places):
                here = max(int(p[2]) for p in places) - 1
                column = max(_column_number(p[1]) for p in places) - 1
            else:
                here = row
            last_row, last_column = max(last_row, here), max(last_column, column)
            column += 1
    return last_row + 1, last_column + 1


# --- the cells of an ODS file -------------------------------------------------------------------------------

_ODS_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[?!][^>]*>?"
    rb"|<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])" + _ATTRS + rb">",
    re.S,
)
# Found anywhere, inside another attribute's value too: counting one too many is safe, one too few is not.
_ROWS_REPEATED = re.compile(rb"""table:number-rows-repeated\s*=\s*["']\s*\+?(\d+)""")
_COLUMNS_REPEATED = re.compile(rb"""table:number-columns-repeated\s*=\s*["']\s*\+?(\d+)""")
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])" + _ATTRS + rb">")
_ODS_ROW_START = re.compile(rb"<table:table-row(?=[\s/>])" + _ATTRS + rb">")
_ODS_VALUE = re.compile(
    rb"(?:^|\s)(?:office:(?:value|date-value|time-value|boolean-value|string-value|value-type)"
    rb"|table:formula)\s*="
)
_ODS_MAX_ROWS, _ODS_MAX_COLUMNS = 1_048_576, 16_384  # calamine's own caps on repeats


def ods_cells(xml: bytes) -> tuple[int, int]:
    """At least the cells calamine stores while reading an ODS file's content (it reads every sheet on
    opening), and the cells it then lays out, repeated rows and columns expanded. calamine keeps a row's cells
    up to its last one that is not empty, and lays a sheet out over its rows from the first to the last with a
    value, as wide as its widest such row. Row by row with the bytes' own methods; XML with comments, CDATA or
    a table inside a cell is followed tag by tag instead."""
    if b"<!--" in xml or b"<![CDATA[" in xml:
        return _ods_cells_token_by_token(xml)
    stored = laid_out = 0
    rows: list[tuple[int, int, bool]] = []  # the current sheet's rows: repeats, cells stored, any value
    table_rows = 0

    def end_table() -> None:
        nonlocal laid_out, table_rows
        valued = [i for i, row in enumerate(rows) if row[2]]
        if valued:
            width = max(rows[i][1] for i in valued)
            laid_out += sum(row[0] for row in rows[valued[0] : valued[-1] + 1]) * width
        rows.clear()
        table_rows = 0

    def add_row(attrs: bytes, part: bytes, at: int = 0) -> bool:
        """One row, its cells in part[at:]; False if anything but cells is there (a table inside a cell)."""
        nonlocal stored, table_rows
        cells = part.count(b"<table:table-cell", at)
        covered = part.count(b"<table:covered-table-cell", at)
        if part.count(b"<table:table", at) != cells:
            return False
        cells += covered
        if part.find(b"repeated", at) >= 0:
            cells += sum(int(n) - 1 for n in _COLUMNS_REPEATED.findall(part, at) if int(n) > 1)
            last = max(part.rfind(b"<table:table-cell", at), part.rfind(b"<table:covered-table-cell", at))
            tag = _ODS_CELL.match(part, last) if last >= 0 else None
            if tag and tag.group(1).endswith(b"/") and not _ODS_VALUE.search(tag.group(1)):
                found = _COLUMNS_REPEATED.search(tag.group(1))  # an empty last cell is not kept
                cells -= max(int(found.group(1)), 1) if found else 1
        cells = min(cells, _ODS_MAX_COLUMNS)
        found = _ROWS_REPEATED.search(attrs)
        repeats = min(int(found.group(1)) if found else 1, _ODS_MAX_ROWS - table_rows)
        table_rows += repeats
        stored += cells
        valued = cells > 0 and any(part.find(word, at) >= 0 for word in (b"office:", b"table:formula", b"<text:"))
        rows.append((repeats, cells, valued))
        return True

    for chunk in xml.split(b"</table:table-row>"):
        start = chunk.rfind(b"<table:table-row")
        head = chunk if start < 0 else chunk[:start]
        if b"</table:table>" in head or b"<table:table-row" in head:  # a sheet ends, or rows without content
            for piece in re.split(rb"(</table:table>)", head):
                if piece == b"</table:table>":
                    end_table()
                for empty in _ODS_ROW_START.finditer(piece):
                    add_row(empty.group(1), b"")
        if start < 0:
            continue
        row = _ODS_ROW_START.match(chunk, start)
        if row is None or not add_row(row.group(1), chunk, row.end()):
            return _ods_cells_token_by_token(xml)  # a malformed row, or a table inside a cell
    end_table()
    return stored, laid_out


def _ods_cells_token_by_token(xml: bytes) -> tuple[int, int]:
    """At least the cells calamine stores while reading an ODS file's content (every sheet: it reads them all
    on opening), and the cells it then lays out, repeated rows and columns expanded. calamine stores a row's
    cells up to its last one that is not empty, and lays a sheet out from its first to its last row with a
    value; a cell with content or a value attribute is taken as a value."""
    stored = laid_out = 0
    rows: list[tuple[int, int, int]] = []  # the current sheet's rows: repeats, first and last column with a value
    table_rows = row_repeats = column = pending = 0
    first = last = -1
    in_row = False

    def end_table() -> None:
        nonlocal laid_out
        valued = [i for i, (_, lo, _) in enumerate(rows) if lo >= 0]
        if valued:
            width = max(rows[i][2] for i in valued) + 1 - min(rows[i][1] for i in valued)
            laid_out += sum(r[0] for r in rows[valued[0] : valued[-1] + 1]) * width
        rows.clear()

    for token in _ODS_TOKEN.finditer(xml):
        closing, name, attrs = token.group(1, 2, 3)
        if name is None:
            continue  # a comment, CDATA, a declaration
        empty_element = attrs.endswith(b"/")
        if name == b"table":
            if closing:
                end_table()
                table_rows = 0
        elif name == b"table-row":
            if closing:
                if in_row:
                    stored += column
                    rows.append((row_repeats, first, last))
                in_row = False
                continue
            found = _ROWS_REPEATED.search(attrs)
            row_repeats = min(int(found.group(1)) if found else 1, _ODS_MAX_ROWS - table_rows)
            table_rows += row_repeats
            if empty_element:
                rows.append((row_repeats, -1, -1))
            else:
                in_row, column, pending, first, last = True, 0, 0, -1, -1
        elif in_row and not closing:  # a cell
            found = _COLUMNS_REPEATED.search(attrs)
            column += min(pending, _ODS_MAX_COLUMNS - column)  # the empty cells before this one are stored now
            repeats = min(int(found.group(1)) if found else 1, _ODS_MAX_COLUMNS - column)
            if empty_element and not _ODS_VALUE.search(attrs):
                pending = repeats
            else:
                pending = 0
                if repeats:
                    first = column if first < 0 else first
                    column += repeats
                    last = column - 1
    end_table()
    return stored, laid_out


# --- a legacy .xls file (an OLE compound file holding BIFF records) ---------------------------------------

_MARKERS = 0xFFFFFFFA  # sector numbers from here up mark the end of a chain, a free sector, a FAT or DIFAT sector
_END_OF_CHAIN = 0xFFFFFFFE
_WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")  # the names calamine looks for, in its order
_CELL_RECORDS = (0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006)  # Number, Label, RString, ... Formula


def _check_ole(data: bytes, *, source: str) -> None:
    """An .xls file as calamine reads it on opening: the compound file's chains must end (calamine follows a
    looping chain until memory runs out) and its counts fit the file; then every sheet's cells and declared
    dimensions, which calamine lays out (a cell record at row 65535, column 65535 asks for 137 GB)."""

    def damaged(why: str) -> InputError:
        return InputError(f"{source}: cannot be read as a spreadsheet (a damaged .xls file: {why})")

    if len(data) < 512:
        raise damaged("shorter than its header")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        return  # calamine refuses it
    size = 1 << shift
    last = len(data) // size  # calamine's highest sector number
    fat_sectors, directory_start = struct.unpack_from("<II", data, 44)
    mini_fat_start, mini_fat_sectors, difat_start = struct.unpack_from("<III", data, 60)
    difat_hint = struct.unpack_from("<I", data, 62)[0]  # calamine reads the DIFAT count from these bytes
    if fat_sectors > last + 1 or mini_fat_sectors > last + 1 or difat_hint > 1 << 28:
        raise damaged("its header counts more sectors than the file has")

    def sector(number: int) -> bytes:
        if number > last:
            raise damaged(f"sector {number} lies beyond the end of the file")
        return data[(number + 1) * size : (number + 2) * size]

    def words(block: bytes) -> list[int]:
        return list(struct.unpack_from(f"<{len(block) // 4}I", block))

    difat = words(data[76:512])
    seen: set[int] = set()
    number = difat_start
    while number < _MARKERS:
        if number in seen:
            raise damaged("its DIFAT chain loops")
        seen.add(number)
        difat.extend(words(sector(number)))
        number = difat.pop()
    fat = [w for n in difat if n < 0xFFFFFFFC for w in words(sector(n))]

    def chain(start: int, table: list[int], what: str) -> list[int]:
        found: list[int] = []
        visited: set[int] = set()
        number = start
        while number != _END_OF_CHAIN and number < _MARKERS:
            if number in visited:
                raise damaged(f"its {what} chain loops")
            if number >= len(table):
                return found  # calamine stops there with an error or a panic, both refusals
            visited.add(number)
            found.append(number)
            number = table[number]
        return found

    directory = b"".join(sector(n) for n in chain(directory_start, fat, "directory") if n <= last)
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        return
    mini_stream = mini_fat = b""
    if mini_fat_sectors:
        root_start = struct.unpack_from("<I", entries[0], 116)[0]
        mini_stream = b"".join(sector(n) for n in chain(root_start, fat, "mini stream") if n <= last)
        mini_fat = b"".join(sector(n) for n in chain(mini_fat_start, fat, "mini FAT") if n <= last)
    names = {e[:64].decode("utf-16-le", "replace").split("\x00", 1)[0]: e for e in reversed(entries)}
    entry = next((names[n] for n in _WORKBOOK_STREAMS if n in names), None)
    if entry is None:
        return
    start = struct.unpack_from("<I", entry, 116)[0]
    length = struct.unpack_from("<I" if size == 512 else "<Q", entry, 120)[0]
    if length < 4096:
        table = words(mini_fat)
        stream = b"".join(mini_stream[n * 64 : n * 64 + 64] for n in chain(start, table, "workbook"))
    else:
        stream = b"".join(sector(n) for n in chain(start, fat, "workbook") if n <= last)
    cells = biff_cells(stream[:length])
    if cells > MAX_CELLS:
        raise _too_large(source, f"its sheets lay out {cells:,} cells")


def _records(stream: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    """BIFF records from `start`, a record's CONTINUE records joined to it as calamine joins them."""
    at = start
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        data = stream[at + 4 : at + 4 + size]
        at += 4 + size
        while at + 4 <= len(stream) and struct.unpack_from("<H", stream, at)[0] == 0x003C:
            size = struct.unpack_from("<H", stream, at + 2)[0]
            data += stream[at + 4 : at + 4 + size]
            at += 4 + size
        yield kind, data


def biff_cells(stream: bytes) -> int:
    """At least the cells calamine reserves and lays out for an .xls workbook stream's sheets (it reads them all
    on opening): per sheet (each BoundSheet record, however often one sheet is listed), the larger of the
    declared DIMENSIONS and the rectangle spanning its cell records."""
    sheets = [
        struct.unpack_from("<I", data)[0] for kind, data in _records(stream, 0) if kind == 0x0085 and len(data) >= 4
    ]
    measured: dict[int, int] = {}
    for start in sheets:
        if start not in measured:
            measured[start] = _biff_sheet_cells(stream, start)
    return sum(measured[start] for start in sheets)


def _biff_sheet_cells(stream: bytes, start: int) -> int:
    declared = 0
    low_row = low_col = 1 << 40
    high_row = high_col = -1
    depth = 0
    for kind, data in _records(stream, start):
        if kind == 0x0809:
            depth += 1
        elif kind == 0x000A:
            depth -= 1
            if depth <= 0:
                break
        elif kind == 0x0200 and len(data) in (10, 14):  # DIMENSIONS: calamine reserves rows × columns
            rf, rl, cf, cl = struct.unpack_from("<HHHH" if len(data) == 10 else "<IIHH", data)
            cf = 0 if cf > 0xFF or cl < cf else cf
            end = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
            rows = ((end[0] - rf) % (1 << 32) + 1) % (1 << 32)  # u32 arithmetic, wrapping as calamine's does
            cols = ((end[1] - cf) % (1 << 32) + 1) % (1 << 32)
            declared = max(declared, rows * cols)
        elif (kind in _CELL_RECORDS and len(data) >= 4) or (kind == 0x00BD and len(data) >= 6):  # 0x00BD: MulRk
            row, col = struct.unpack_from("<HH", data)
            last_col = col + max(0, (len(data) - 6 + 5) // 6 - 1) if kind == 0x00BD else col
            low_row, high_row = min(low_row, row), max(high_row, row)
            low_col, high_col = min(low_col, col), max(high_col, last_col)
    laid_out = (high_row - low_row + 1) * (high_col - low_col + 1) if high_row >= 0 else 0
    return max(declared, laid_out)


# --- reading ----------------------------------------------------------------------------------------------

_NATIVE_STDERR = threading.Lock()


@contextlib.contextmanager
def _rust_panic_output_dropped() -> Iterator[None]:
    """Rust prints a panic and its backtrace straight to file descriptor 2 before pyo3 raises it; hold what
    is written there while calamine converts the cells, and pass it on afterwards unless calamine panicked (then
    the one-line InputError says it). Only the conversion is held: an abort there, which would lose it, is
    what the checks before it rule out."""
    with _NATIVE_STDERR, tempfile.TemporaryFile() as held:
        try:
            saved = os.dup(2)
        except OSError:  # no standard error at all
            yield
            return
        panicked = False
        sys.stderr.flush()
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException as exc:
            panicked = not isinstance(exc, Exception | KeyboardInterrupt | SystemExit)
            raise
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if not panicked:
                held.seek(0)
                with contextlib.suppress(OSError):
                    while chunk := held.read(1 << 16):
                        os.write(2, chunk)


def _rows_from_sheet(data: bytes, *, source: str) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if not book.sheet_names:
        return []
    sheet = book.get_sheet_by_index(0)
    end = sheet.end
    if end is None:
        return []
    _check_extent(end[0] + 1, end[1] + 1, source=source, part="its first sheet")
    with _rust_panic_output_dropped():
        return sheet.to_python(skip_empty_area=False)


def _check_spreadsheet(data: bytes, *, source: str) -> None:
    """calamine takes the format from the content, not the name, and tries each (XLS, XLSX, XLSB, ODS) in turn:
    whatever holds a zip directory is checked as a zip, a legacy .xls or not."""
    if data.startswith(_OLE):
        _check_ole(data, source=source)
        if _END_OF_DIRECTORY in data:
            _check_zip(data, source=source)
        return
    _check_zip(data, source=source)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n", 1)[0].split())
    name = type(exc).__name__
    return f"{name}: {text[:200]}" if text else name


def read_table(path: Path, *, what: str = "spreadsheet") -> Table:
    """The first sheet of an XLSX/XLS/ODS file, or a CSV file, as headers and rows. `what` names the file in
    a refusal of the file itself (missing, a link, too large)."""
    source = describe(Path(path.name))  # every message names it; a name may carry ESC sequences
    if not os.path.lexists(path):
        raise InputError(f"{describe(path)}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEETS + TEXT_TABLES:
        raise InputError(f"{source}: a survey or events file is .csv or .xlsx, not {path.suffix or 'no extension'}")
    data = read_regular(path, what=what, max_bytes=MAX_FILE_BYTES)
    try:
        if suffix in SPREADSHEETS:
            _check_spreadsheet(data, source=source)
            rows = _rows_from_sheet(data, source=source)
        else:
            rows = _rows_from_csv(decode_text(data, source=source), source=source)
    except InputError as exc:
        message = str(exc)
        raise (exc if message.startswith(source) else InputError(f"{source}: {message}")) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        raise InputError(f"{source}: too large to read in the memory there is") from None
    except BaseException as exc:
        raise InputError(f"{source}: cannot be read as a spreadsheet ({_one_line(exc)})") from None
    digest = hashlib.sha256(data).hexdigest()
    del data
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
    return Table(source=source, headers=headers, rows=body, first_row=skipped + 2, sha256=digest)


def blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())
