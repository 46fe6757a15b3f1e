"""Thai as a government office writes it: Buddhist-Era dates, Thai month names, Thai digits. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_TO_ARABIC = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
BE_OFFSET = 543


def thai_digits(text: object) -> str:
    """`13 ธ.ค. 2566` -> `๑๓ ธ.ค. ๒๕๖๖`; anything else in the text stays as it is."""
    return str(text).translate(_TO_THAI)


def arabic_digits(text: object) -> str:
    """`๑๕/๒/๒๕๖๗` -> `15/2/2567`: what a clerk typed in Thai digits, read as numbers."""
    return str(text).translate(_TO_ARABIC)


def digits(text: object, *, arabic: bool) -> str:
    """Thai digits unless the document asks for Arabic ones."""
    return str(text) if arabic else thai_digits(text)


def be_year(day: date) -> int:
    return day.year + BE_OFFSET


def thai_date(day: date, *, arabic: bool = False, short: bool = False) -> str:
    """`๑๓ ธันวาคม ๒๕๖๖` (or `13 ธ.ค. 2566` with arabic and short); a short date never breaks a line."""
    month = (THAI_MONTHS_SHORT if short else THAI_MONTHS)[day.month - 1]
    space = "\u00a0" if short else " "
    return digits(f"{day.day}{space}{month}{space}{be_year(day)}", arabic=arabic)


def thai_number(value: float | int | Decimal, *, arabic: bool = False, decimals: int = 0) -> str:
    """`1,234` or `๔.๕๐`; thousands separated as Thai offices write them."""
    text = f"{value:,.{decimals}f}" if decimals else f"{round(value):,d}"
    return digits(text, arabic=arabic)


def be_numeric(day: date) -> str:
    """`15/2/2567`: a date as a clerk types it (day/month/Buddhist-Era year)."""
    return f"{day.day}/{day.month}/{be_year(day)}"


def parse_be_date(text: str) -> date:
    """A date as a clerk types it: `15/2/2567` or `๑๕/๐๒/๒๕๖๗` (day/month/Buddhist-Era year; `-` or `.` between
    them too). ValueError, in Thai and English, for anything else."""
    parts = [p for p in arabic_digits(text).strip().replace("-", "/").replace(".", "/").split("/") if p]
    problem = f"วันที่ {text!r} ไม่ถูกต้อง ให้พิมพ์ วัน/เดือน/ปี พ.ศ. เช่น 15/2/2567 (write day/month/BE year)"
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        raise ValueError(problem)
    day, month, year = (int(p) for p in parts)
    if not 2400 <= year <= 2700:  # a CE year (2024) or two digits: ask again rather than guess
        raise ValueError(problem)
    try:
        return date(year - BE_OFFSET, month, day)
    except ValueError:
        raise ValueError(problem) from None


# A step's state (models/db.StepState's values) as the CLI, the artifacts and the portal show it.
STATE_TH = {"done": "เสร็จ", "pending": "รอ", "running": "กำลังทำ", "failed": "ล้มเหลว"}
