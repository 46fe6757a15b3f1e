"""Text, links and dates as an office types them, checked where they enter kpi6 (the input models), so that
nothing steps 1-2 accepted can crash Form 1 or Form 2 at step 3 or 5.

- Free text (`ShortText`, `LongText`): CR LF and a lone CR become LF and invisible format characters (zero-width
  space, byte-order mark, direction marks) pasted with the text are dropped; then it must fit its field's length
  and hold no control character but tab and line feed, no emoji, and only characters the forms' font (Sarabun)
  draws (`FONT_RANGES`).
- Links (`Link`, `MediumLink`, and evidence entries that are URLs): http(s) with a host, no spaces or control
  characters, and short enough for the form's QR code to scan (`MAX_LINK_BYTES`).
- Dates (`CEDate`, `CEDateTime`): a Buddhist-Era year (2567) is named as such with its CE year, rather than
  reaching the round checks as "before the round starts" or "outside the round".
- `printable`: the renderers' second line of defence, for text that did not come through these types (a survey
  export's comments and questions): what the font cannot draw is dropped or replaced, never a crash.

Pure code, no I/O: tests/test_input_text.py reads the font files and proves every character of FONT_RANGES has
a glyph in each of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import CoreSchema, core_schema

# The characters Sarabun (fontpkg-sarabun; the same in its regular, italic, bold and bold italic files) has a glyph
# for, read from the fonts' cmap with fontTools, without the control characters and the private-use glyph the cmap
# also maps. Tab and line feed are allowed besides: they are layout, not glyphs.
# fmt: off
FONT_RANGES: tuple[tuple[int, int], ...] = (
    # Latin: Basic, Latin-1, Extended-A and -B
    (0x0020, 0x007E), (0x00A0, 0x017E), (0x018F, 0x018F), (0x0192, 0x0192), (0x01A0, 0x01A1), (0x01AF, 0x01B0),
    (0x01CD, 0x01DC), (0x01E6, 0x01E7), (0x01FA, 0x01FF), (0x0218, 0x021B), (0x0237, 0x0237),
    # IPA and spacing modifier letters
    (0x0251, 0x0251), (0x0259, 0x0259), (0x02BB, 0x02BC), (0x02BE, 0x02BF), (0x02C6, 0x02CC), (0x02D8, 0x02DD),
    # combining diacritical marks
    (0x0300, 0x0304), (0x0306, 0x030C), (0x031B, 0x031B), (0x0323, 0x0324), (0x0326, 0x0328), (0x032E, 0x032E),
    (0x0331, 0x0331),
    # Greek (Δ Ω μ π)
    (0x0394, 0x0394), (0x03A9, 0x03A9), (0x03BC, 0x03BC), (0x03C0, 0x03C0),
    # Thai: every letter, vowel, tone mark, digit and sign of the block
    (0x0E01, 0x0E3A), (0x0E3F, 0x0E5B),
    # Latin Extended Additional (Vietnamese)
    (0x1E0C, 0x1E0F), (0x1E20, 0x1E21), (0x1E24, 0x1E25), (0x1E2A, 0x1E2B), (0x1E36, 0x1E3B), (0x1E42, 0x1E49),
    (0x1E5A, 0x1E63), (0x1E6C, 0x1E6F), (0x1E80, 0x1E85), (0x1E8E, 0x1E8F), (0x1E92, 0x1E93), (0x1E97, 0x1E97),
    (0x1E9E, 0x1E9E), (0x1EA0, 0x1EF9),
    # general punctuation (figure space, dashes, quotes, daggers, bullet, ellipsis, per mille, primes)
    (0x2007, 0x2007), (0x2010, 0x2010), (0x2012, 0x2015), (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022),
    (0x2026, 0x2026), (0x2030, 0x2030), (0x2032, 0x2033), (0x2039, 0x203A), (0x2044, 0x2044),
    # superscripts and subscripts
    (0x2070, 0x2070), (0x2074, 0x2079), (0x207D, 0x2089), (0x208D, 0x208E),
    # currency signs (the baht sign is Thai's own, U+0E3F)
    (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A7), (0x20AB, 0x20AC), (0x20B1, 0x20B2), (0x20B5, 0x20B5),
    (0x20B9, 0x20BA), (0x20BD, 0x20BD),
    # letterlike symbols (℗ ™ ℮)
    (0x210A, 0x210A), (0x2113, 0x2113), (0x2117, 0x2117), (0x2120, 0x2120), (0x2122, 0x2122), (0x212E, 0x212E),
    # number forms (fractions)
    (0x2153, 0x2154), (0x215B, 0x215E),
    # arrows
    (0x2190, 0x2193),
    # mathematical operators
    (0x2202, 0x2202), (0x2206, 0x2206), (0x220F, 0x220F), (0x2211, 0x2212), (0x2215, 0x2215), (0x2219, 0x221A),
    (0x221E, 0x221E), (0x222B, 0x222B), (0x2248, 0x2248), (0x2260, 0x2260), (0x2264, 0x2265),
    # geometric shapes
    (0x25A0, 0x25A0), (0x25B2, 0x25B3), (0x25B6, 0x25B7), (0x25BC, 0x25BD), (0x25C0, 0x25C1), (0x25C6, 0x25C6),
    (0x25CA, 0x25CA),
    # alphabetic presentation forms (fi fl)
    (0xFB01, 0xFB02),
)

# Emoji, and the pieces emoji sequences are made of (variation selectors, keycap, skin tones, tags, the joiner):
# only to say "emoji" when such a character is refused (the font decides what is allowed, not this list).
EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0xFE0E, 0xFE0F), (0x20E3, 0x20E3), (0xE0020, 0xE007F), (0x200D, 0x200D),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25FB, 0x25FE), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299), (0x2139, 0x2139),
    (0x2194, 0x2199), (0x21A9, 0x21AA),
)
# fmt: on

# A title, a name, a position, an activity, a channel's detail, a key point: about four lines of a form's table cell.
SHORT_TEXT_MAX = 200
# A background, a medium's content, a summary, a strategy, an event's description: about two A4 pages at 16 pt.
LONG_TEXT_MAX = 5000
# The forms print each QR code 3 cm wide and encode it at error-correction level M (tasks/documents.qr_png), whose
# largest code (version 40, 177 modules) holds 2,331 bytes, in modules of 0.17 mm on paper: no phone reads that.
# 300 bytes need version 13 (69 modules, 0.41 mm each with the quiet zone), which phones read from a printed page,
# and are about an eighth of level M's capacity; a Drive or YouTube link is under 100. A Thai letter in a link is 3
# bytes of UTF-8, as the QR code encodes it.
MAX_LINK_BYTES = 300
# A file path named as evidence (a survey export, an events file): Linux's PATH_MAX.
MAX_PATH_LENGTH = 4096
# A year this large is a Buddhist-Era year typed by mistake (BE 2400 is CE 1857, long before any round).
BE_YEAR_FROM = 2400
BE_OFFSET = 543

WEB_SCHEMES = ("http", "https")


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


# A character the forms cannot print: outside the font's ranges, and neither tab nor line feed.
_UNPRINTABLE = re.compile(f"[^\t\n{_char_class(FONT_RANGES)}]")
_EMOJI = re.compile(f"[{_char_class(EMOJI_RANGES)}]")
_NEWLINES = re.compile(r"\r\n?")
# Format characters nobody sees (zero-width space and joiners, word joiner, byte-order mark, direction marks and
# embeddings): copied with text from web pages and Word, dropped. The soft hyphen (U+00AD) is in the font and kept.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_CONTROL_NAMES = dict(
    enumerate(
        "NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC "
        "FS GS RS US".split()
    )
)
_CONTROL_NAMES[0x7F] = "DEL"


def _describe(ch: str) -> str:
    cp = ord(ch)
    name = _CONTROL_NAMES.get(cp) or unicodedata.name(ch, "") or ("C1 control" if 0x80 <= cp <= 0x9F else "")
    return f"U+{cp:04X} {name}".rstrip()


def is_emoji(ch: str) -> bool:
    return bool(_EMOJI.match(ch))


def char_problem(text: str) -> str | None:
    """The first character of `text` the forms cannot print, said in one sentence (None when all print)."""
    m = _UNPRINTABLE.search(text)
    if m is None:
        return None
    ch, at = m.group(), m.start() + 1
    if unicodedata.category(ch) == "Cc":
        return (
            f"contains the control character {_describe(ch)} at character {at}: remove it; tab and line break "
            "are the only ones text may hold (ลบอักขระควบคุมออก)"
        )
    if is_emoji(ch):
        shown = text[max(m.start() - 1, 0) : m.end()] if unicodedata.category(ch) in ("Mn", "Me", "Cf") else ch
        return (
            f"contains the emoji {shown} ({_describe(ch)}) at character {at}: emoji cannot be printed on the "
            "forms, remove it (แบบฟอร์มพิมพ์อีโมจิไม่ได้ โปรดลบอีโมจิออก)"
        )
    return (
        f"contains “{ch}” ({_describe(ch)}) at character {at}, which the forms' font (Sarabun) cannot print: "
        "write it in Thai or Latin letters (แบบอักษรของแบบฟอร์มไม่มีตัวอักษรนี้)"
    )


def normalize_text(text: str) -> str:
    """Line breaks as LF, invisible format characters dropped, composed (NFC), no surrounding whitespace."""
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", _NEWLINES.sub("\n", text))).strip()


def printable(text: str) -> str:
    """`text` as the forms' font can print it, for text no input model checked (a survey export's comments):
    line breaks as LF; control characters, emoji and invisible marks dropped; any other character the font lacks
    replaced by `?`. Both renderers pass all their text through it, so neither crashes and both print the same."""
    return _UNPRINTABLE.sub(_replacement, _NEWLINES.sub("\n", text))


def _replacement(m: re.Match[str]) -> str:
    ch = m.group()
    return "" if is_emoji(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me", "Cs", "Zl", "Zp") else "?"


def _length_problem(text: str, *, min_length: int, max_length: int) -> str | None:
    if len(text) < min_length:
        return "empty: write it (ต้องระบุ)"
    if len(text) > max_length:
        return (
            f"too long: {len(text):,} characters, and this field takes at most {max_length:,} "
            f"(ข้อความยาวเกิน {max_length:,} ตัวอักษร)"
        )
    return None


def check_text(text: str, *, max_length: int, min_length: int = 0) -> str:
    """Free text as a form prints it, or ValueError saying what keeps it from the forms."""
    text = normalize_text(text)
    problem = _length_problem(text, min_length=min_length, max_length=max_length) or char_problem(text)
    if problem:
        raise ValueError(problem)
    return text


# A medium's file in kpi6's own local evidence store (`<round>/<province code>/step-<n>/<name>`: one it generated or
# the office's own file it stored); steps 3 and the portal read the recorded link back through MediaInput, so these
# file:// links, and only these, pass as a medium's link.
_GENERATED_MEDIUM_FILE = re.compile(r"file:///[^\s?#]*/[A-Z]{2}-\d{2,3}/step-\d+/[^/\s?#]+")


def check_link(link: str, *, generated_media: bool = False) -> str:
    """A web link a QR code on a form will encode and print: http(s), a host, no spaces or control characters,
    characters the font prints, at most MAX_LINK_BYTES of UTF-8. Its scheme comes back lower-cased."""
    link = link.strip()
    if generated_media and _GENERATED_MEDIUM_FILE.fullmatch(link) and not _UNPRINTABLE.search(link):
        return link
    space = next((i for i, ch in enumerate(link, start=1) if ch in " \t\n\r" or unicodedata.category(ch) == "Zs"), None)
    if space is not None:
        raise ValueError(
            f"the link contains a space or line break at character {space}: a link has none (write a "
            "space as %20, or copy the link again) (ลิงก์ต้องไม่มีช่องว่าง)"
        )
    control = next((ch for ch in link if unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        raise ValueError(
            f"the link contains the control character {_describe(control)}: copy the link again (ลิงก์มีอักขระควบคุม)"
        )
    scheme, sep, rest = link.partition("://")
    if not sep or scheme.lower() not in WEB_SCHEMES:
        raise ValueError(
            f"{link[:60]!r} is not a web link: a link must start with http:// or https:// "
            "(ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://)"
        )
    link = scheme.lower() + sep + rest
    if not urlsplit(link).hostname:
        raise ValueError(
            f"the link {link!r} has no host: write the whole address, e.g. https://drive.google.com/... (ลิงก์ไม่ครบ)"
        )
    problem = char_problem(link)
    if problem:
        raise ValueError(f"the link {problem}")
    size = len(link.encode("utf-8"))
    if size > MAX_LINK_BYTES:
        length = f"{len(link):,} characters" + (f" ({size:,} bytes of UTF-8)" if size != len(link) else "")
        raise ValueError(
            f"the link is too long for the form's QR code: {length}, and a code printed 3 cm wide scans only up to "
            f"{MAX_LINK_BYTES} bytes; give a shorter link, e.g. a Google Drive share link or a shortened URL "
            "(ลิงก์ยาวเกินไปสำหรับ QR code โปรดใช้ลิงก์ที่สั้นกว่านี้)"
        )
    return link


def check_path(path: str) -> str:
    """A file path: any name a file system takes (it is not printed), but no control character, not endless."""
    path = path.strip()
    control = next((ch for ch in path if unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        raise ValueError(
            f"the file path contains the control character {_describe(control)}: write the path again "
            "(ชื่อไฟล์มีอักขระควบคุม)"
        )
    problem = _length_problem(path, min_length=1, max_length=MAX_PATH_LENGTH)
    if problem:
        raise ValueError(f"the file path is {problem}")
    return path


def check_evidence(entry: str) -> str:
    """An evidence entry: a web link (checked as a link: the form's QR code may encode it) or a file path."""
    return (
        check_link(entry)
        if "://" in entry or entry.strip().lower().startswith(("http:", "https:"))
        else check_path(entry)
    )


@dataclass(frozen=True)
class _Checked:
    """Annotated metadata: run `check` on a string after pydantic's own string validation (and whitespace
    stripping), and show `max_length` in the JSON schema (the Prefect UI's form)."""

    check: Any
    max_length: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        out = handler(schema)
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        return out


@dataclass(frozen=True)
class MaxItems:
    """Annotated metadata for a list: at most `limit` entries, counted before each is validated."""

    limit: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "maxItems": self.limit}

    def _check(self, value: object) -> object:
        if isinstance(value, list | tuple) and len(value) > self.limit:
            raise ValueError(
                f"too many entries: {len(value):,}, and this list takes at most {self.limit:,} "
                f"(เกิน {self.limit:,} รายการ)"
            )
        return value


def text_type(max_length: int, *, min_length: int = 0) -> Any:
    """An annotated string type for free text that prints on the forms, at most `max_length` characters."""
    return Annotated[str, _Checked(lambda v: check_text(v, max_length=max_length, min_length=min_length), max_length)]


ShortText = text_type(SHORT_TEXT_MAX)
RequiredShortText = text_type(SHORT_TEXT_MAX, min_length=1)
LongText = text_type(LONG_TEXT_MAX)
Link = Annotated[str, _Checked(check_link, MAX_LINK_BYTES)]
MediumLink = Annotated[str, _Checked(lambda v: check_link(v, generated_media=True), MAX_LINK_BYTES)]
EvidenceEntry = Annotated[str, _Checked(check_evidence, MAX_PATH_LENGTH)]
PathText = Annotated[str, _Checked(check_path, MAX_PATH_LENGTH)]


# --- Buddhist-Era years ---------------------------------------------------------------------------------------


def buddhist_era_hint(year: int, text: str) -> str | None:
    """`looks like a Buddhist-Era year ...` with the CE year and `text` written in it; None for a CE year."""
    if year < BE_YEAR_FROM:
        return None
    ce = year - BE_OFFSET
    return (
        f"looks like a Buddhist-Era year (พ.ศ. {year}); write it in CE (ค.ศ.): {year} BE = {ce}, "
        f"so {text.replace(str(year), str(ce), 1)}"
    )


def buddhist_era_message(year: int, text: str) -> str | None:
    """What to say of a date written with a Buddhist-Era year (2567 for 2024); None for a CE year."""
    hint = buddhist_era_hint(year, text)
    return f"{text} {hint}" if hint else None


_LEADING_YEAR = re.compile(r"\s*(\d{4,})-")


def _written_year(value: object) -> tuple[int, str] | None:
    if isinstance(value, date):  # a date or datetime (YAML reads 2567-02-09 as one)
        return value.year, value.isoformat()
    if isinstance(value, str) and (m := _LEADING_YEAR.match(value)):
        return int(m.group(1)), value.strip()
    return None


def _common_era(value: object, inner: core_schema.ValidatorFunctionWrapHandler) -> object:
    """Name a Buddhist-Era year before the date is parsed (BE 2567-02-29 is no date in CE terms of 2567)."""
    written = _written_year(value)
    problem = buddhist_era_message(*written) if written else None
    if problem:
        raise ValueError(problem)
    result = inner(value)
    if isinstance(result, date) and (problem := buddhist_era_message(result.year, result.isoformat())):
        raise ValueError(problem)
    return result


@dataclass(frozen=True)
class _CommonEra:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_wrap_validator_function(_common_era, handler(source))


CEDate = Annotated[date, _CommonEra()]
CEDateTime = Annotated[datetime, _CommonEra()]


def evidence_addresses(entries: list[str], code: str, number: int) -> list[tuple[str, str]]:
    """A step's evidence as (text, address) an office's browser can open: a web link as it is; a file of the local
    evidence store (its `file://` link opens nothing off the server) as the portal's path for it,
    `/provinces/<code>/evidence/<step>/<place in the list>`; a local folder not at all."""
    from urllib.parse import unquote, urlsplit

    shown = []
    for i, link in enumerate(entries):
        parts = urlsplit(link)
        if parts.scheme in ("http", "https"):
            shown.append((link, link))
        elif parts.scheme == "file" and not link.endswith("/"):
            shown.append((unquote(parts.path.rsplit("/", 1)[-1]), f"/provinces/{code}/evidence/{number}/{i}"))
    return shown
