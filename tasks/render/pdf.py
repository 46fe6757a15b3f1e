"""HTML to PDF with WeasyPrint, made safe and right for Thai; PDF pages to PNG with pypdfium2.

- Fonts: Sarabun from the `fontpkg-sarabun` package, loaded by `@font-face` from its files, never
  assumed to be on the machine. A font that fails to load would make WeasyPrint fall back silently to
  a non-Thai font; `html_to_pdf` checks the embedded font names and raises instead.
- Characters: every character of the HTML passes through `models.text.printable` first, so text no input model
  checked (a survey export's comments) prints without what Sarabun cannot draw (an emoji, a control character),
  where WeasyPrint would fall back to another font or a .notdef box.
- Fetching: only our templates, the font files and `data:` images; user text cannot read local files or
  reach the network (a title `<img src="file:///etc/passwd">` is escaped text anyway).
- Extraction: HarfBuzz shapes ำ (SARA AM) as two glyphs, nikhahit + sara aa, and WeasyPrint's ToUnicode
  map gives a glyph the text of its cluster at first use: `ดำเนินงาน` came back as `ดาเนินงาน`, or every
  later `า` as `ำ`. `_fix_to_unicode` maps such glyphs to their own characters from the font's glyph
  names, so the glyphs extract as the source does under Unicode NFKC normalization.
- Readers that order glyphs by position (pdfium, poppler) moved a tone mark stacked on an upper vowel
  (ขึ้น) after the next letter or onto another line. `_actual_text` gives each line with Thai marks its
  text in logical order as `/ActualText`, with ำ as typed, so copy-paste and search find the source text.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fontpkg
import pydyf
import weasyprint
from fontTools.ttLib import TTFont
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from kpi6.models.errors import Kpi6Error
from kpi6.models.text import printable

TEMPLATES_DIR = Path(str(resources.files("kpi6.templates"))).resolve()
FONT_FAMILY = "Sarabun"
FONT_WEIGHTS = (400, 700)
LOGGER = logging.getLogger("kpi6.pdf")


class RenderError(Kpi6Error):
    """A document could not be produced correctly (e.g. the Thai font did not load)."""


@cache
def font_files() -> dict[tuple[int, str], Path]:
    """(weight, style) -> the Sarabun file shipped by fontpkg-sarabun."""
    return {
        (w, s): Path(fontpkg.path("sarabun", weight=w, style=s)) for w in FONT_WEIGHTS for s in ("normal", "italic")
    }


def font_face_css() -> str:
    rules = []
    for (weight, style), path in font_files().items():
        rules.append(
            f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; font-style: {style}; "
            f"src: url('{path.as_uri()}'); }}"
        )
    return "\n".join(rules)


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types: URLFetcher is Any
    """Reads `data:` URIs and files under the allowed folders; everything else is refused."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = [r.resolve() for r in roots]

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        if url.startswith("file:"):
            from urllib.parse import unquote, urlparse

            path = Path(unquote(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise ValueError(f"kpi6 reads only its own templates and fonts, not {url}")
        return super().fetch(url, headers)


def allowed_roots() -> list[Path]:
    return [TEMPLATES_DIR, *{p.parent for p in font_files().values()}]


_AGL = re.compile(r"^uni((?:[0-9A-F]{4})+)(?:\..*)?$")
NIKHAHIT = "\u0e4d"
SARA_AM = "\u0e33"


def _glyph_texts(font_data: bytes, index: int) -> dict[int, str]:
    """Glyph id -> the characters its `uniXXXX[XXXX…][.suffix]` name stands for."""
    font = TTFont(io.BytesIO(font_data), fontNumber=index, lazy=True)
    texts: dict[int, str] = {}
    for gid, name in enumerate(font.getGlyphOrder()):
        m = _AGL.match(name)
        if m:
            hexes = m.group(1)
            text = "".join(chr(int(hexes[i : i + 4], 16)) for i in range(0, len(hexes), 4))
            if NIKHAHIT in text and len(text) > 1:
                # A nikhahit+tone ligature comes from ำ after the tone mark: keep the source order.
                text = text.replace(NIKHAHIT, "") + NIKHAHIT
            texts[gid] = text
    return texts


def _original_font_data(font: Any) -> bytes | None:
    try:
        from weasyprint.pdf.fonts import get_hb_object_data

        data: bytes | None = get_hb_object_data(font.hb_face)
        return data
    except Exception:
        return None


# Per font (WeasyPrint's hash of its description, and face index): its glyph texts, read from the font once
# per process rather than copying the whole font out of HarfBuzz at every PDF.
_GLYPH_TEXTS: dict[tuple[str, int], dict[int, str] | None] = {}


def _font_glyph_texts(font: Any) -> dict[int, str] | None:
    key = (font.hash, font.index)
    if key not in _GLYPH_TEXTS:
        data = _original_font_data(font)
        _GLYPH_TEXTS[key] = _glyph_texts(data, font.index) if data is not None else None
    return _GLYPH_TEXTS[key]


def _fixed_maps(document: Any) -> dict[str, dict[int, str]]:
    """Font resource name -> glyph id -> text, with glyphs split off a cluster given their own characters."""
    maps: dict[str, dict[int, str]] = {}
    for font in document.fonts.values():
        mapping = dict(font.to_unicode)
        texts = _font_glyph_texts(font)
        if texts is not None:
            for gid, text in mapping.items():
                if (text == "" or SARA_AM in text) and gid in texts:
                    mapping[gid] = texts[gid]
        maps[font.hash] = mapping
    return maps


def _fix_to_unicode(document: Any, pdf: pydyf.PDF, maps: dict[str, dict[int, str]]) -> None:
    """Rewrite each font's ToUnicode map from `maps`."""
    by_name = {font.name: font.hash for font in document.fonts.values()}
    objects = {o.number: o for o in pdf.objects if hasattr(o, "number")}
    for obj in pdf.objects:
        if not isinstance(obj, dict) or "ToUnicode" not in obj or obj.get("BaseFont") not in by_name:
            continue
        mapping = maps[by_name[obj["BaseFont"]]]
        stream = objects[int(obj["ToUnicode"].split()[0])]
        for i, line in enumerate(stream.stream):
            m = re.fullmatch(rb"<([0-9a-f]+)> <([0-9a-f]*)>", line) if isinstance(line, bytes) else None
            if m and int(m.group(1), 16) in mapping:
                new = mapping[int(m.group(1), 16)].encode("utf-16-be").hex()
                stream.stream[i] = f"<{m.group(1).decode()}> <{new}>".encode()


_GLYPHS = re.compile(rb"<([0-9a-fA-F]*)>")
# Thai marks drawn above or below their base (and SARA AM's pieces): readers that order glyphs by position
# put them after the next letter or on another line, so lines with them carry their text as ActualText.
THAI_MARKS = re.compile("[\u0e31\u0e33-\u0e3a\u0e47-\u0e4e]")


def _line_text(ops: list[bytes], font: str | None, maps: dict[str, dict[int, str]]) -> tuple[str, str | None]:
    text = []
    for op in ops:
        if op.endswith(b" Tf"):
            font = op.split()[0][1:].decode()
        elif op.endswith(b" TJ") or op.endswith(b" Tj"):
            mapping = maps.get(font or "", {})
            for hexes in _GLYPHS.findall(op):
                for i in range(0, len(hexes), 4):
                    text.append(mapping.get(int(hexes[i : i + 4], 16), ""))
    return "".join(text), font


def _span(text: str, line: list[bytes]) -> list[bytes]:
    if not THAI_MARKS.search(text):
        return line
    text = text.replace(NIKHAHIT + "\u0e32", SARA_AM)  # ำ as typed, so search finds it
    return [b"/Span <</ActualText <feff" + text.encode("utf-16-be").hex().encode() + b">>> BDC", *line, b"EMC"]


def _wrap_lines(ops: list[object], maps: dict[str, dict[int, str]]) -> list[object]:
    """One content stream with each text line (from one `Tm` to the next or to `ET`) given its ActualText."""
    out: list[object] = []
    line: list[bytes] | None = None
    font: str | None = None
    in_text = False
    for op in ops:
        ends_line = not isinstance(op, bytes) or op == b"ET" or (in_text and op.endswith(b" Tm"))
        if ends_line and line is not None:
            text, font = _line_text(line, font, maps)
            out.extend(_span(text, line))
            line = None
        if isinstance(op, bytes) and in_text and line is not None:
            line.append(op)
            continue
        out.append(op)
        if not isinstance(op, bytes):
            continue
        if op == b"BT":
            in_text = True
        elif op == b"ET":
            in_text = False
        elif in_text and op.endswith(b" Tm"):
            line = []
        elif in_text and op.endswith(b" Tf"):
            font = op.split()[0][1:].decode()
    return out


def _actual_text(pdf: pydyf.PDF, maps: dict[str, dict[int, str]]) -> None:
    """Give each line of Thai text its text in logical order: `/Span <</ActualText …>> BDC … EMC`.

    The glyphs are drawn in logical order but marks sit at offsets; pdfium and poppler order text by
    position and moved a tone mark stacked on an upper vowel (ขึ้น) after the next letter or to another line.
    """
    for obj in pdf.objects:
        ops = getattr(obj, "stream", None)
        if isinstance(ops, list) and b"BT" in ops:
            ops[:] = _wrap_lines(ops, maps)


def _finish(document: Any, pdf: pydyf.PDF) -> None:
    maps = _fixed_maps(document)
    _fix_to_unicode(document, pdf, maps)
    _actual_text(pdf, maps)


# What WeasyPrint logs when a font does not load or a character has no glyph (then it falls back silently).
FONT_FAILURES = ("load font", "cannot be loaded", ".notdef", "not supported by fonts")


class _FontWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _QuietFallback(logging.Filter):
    """WeasyPrint says so at every PDF when HarfBuzz's subsetter is missing; fontTools does the job."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "instead of HarfBuzz-Subset" not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_QuietFallback())
_lock = threading.Lock()
_font_config: FontConfiguration | None = None


_stylesheets: dict[tuple[str, ...], list[weasyprint.CSS]] = {}


def _sheets(names: tuple[str, ...], fetcher: URLFetcher) -> list[weasyprint.CSS]:
    """The font faces and the named stylesheets of `templates/`, parsed once per process."""
    if names not in _stylesheets:
        assert _font_config is not None
        _stylesheets[names] = [
            weasyprint.CSS(string=font_face_css(), font_config=_font_config),
            *(
                weasyprint.CSS(filename=str(TEMPLATES_DIR / n), url_fetcher=fetcher, font_config=_font_config)
                for n in names
            ),
        ]
    return _stylesheets[names]


# Compounds the Thai dictionary splits into words of their own (ตัว ชี้ วัด, วัน ทำ การ) but a reader takes as one word.
KEEP_TOGETHER = ("ตัวชี้วัด", "วันทำการ")
_TEXT = re.compile(r">([^<]+)<")
_SVG = re.compile(r"(<svg\b.*?</svg>)", re.S)


def keep_words_together(html: str) -> str:
    """Wrap each compound of KEEP_TOGETHER in the body's text in a no-wrap span (not inside SVG, where a span
    is not allowed, nor in the head)."""
    head, sep, body = html.partition("<body")
    if not sep:
        head, body = "", html

    def spans(m: re.Match[str]) -> str:
        text = m.group(1)
        for word in KEEP_TOGETHER:
            text = text.replace(word, f'<span style="white-space:nowrap">{word}</span>')
        return f">{text}<"

    parts = _SVG.split(body)
    body = "".join(part if part.startswith("<svg") else _TEXT.sub(spans, part) for part in parts)
    return head + sep + body


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = (), base_url: Path = TEMPLATES_DIR) -> bytes:
    """One HTML string (plus stylesheets of `templates/` by name) to PDF bytes, with the Thai font embedded
    and extractable text. Characters the font cannot draw are dropped or replaced first (`printable`)."""
    global _font_config
    watcher = _FontWarnings()
    wp_logger = logging.getLogger("weasyprint")
    with _lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        wp_logger.addHandler(watcher)
        try:
            fetcher = LocalOnlyFetcher(allowed_roots())
            doc = weasyprint.HTML(
                string=keep_words_together(printable(html)), base_url=str(base_url) + "/", url_fetcher=fetcher
            )
            rendered = doc.render(font_config=_font_config, stylesheets=_sheets(stylesheets, fetcher))
            used: set[str] = set()

            def finish(document: Any, pdf_obj: pydyf.PDF) -> None:
                used.update(f.name.decode().split("+", 1)[-1] for f in document.fonts.values())
                _finish(document, pdf_obj)

            pdf: bytes = rendered.write_pdf(finisher=finish)
        finally:
            wp_logger.removeHandler(watcher)
    font_problems = [m for m in watcher.messages if any(k in m for k in FONT_FAILURES)]
    if font_problems:
        raise RenderError(f"the Thai font did not load or lacks a character: {font_problems[0]}")
    if any(not n.startswith(FONT_FAMILY) for n in used):
        raise RenderError(f"the PDF embeds {sorted(used)} besides {FONT_FAMILY}; is fontpkg-sarabun installed?")
    return pdf


def embedded_font_names(pdf: bytes) -> set[str]:
    """The names of the fonts the text of a PDF is drawn in, as a PDF reader sees them (all pages)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    names: set[str] = set()
    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            textpage = page.get_textpage()
            buf = ctypes.create_string_buffer(256)
            flags = ctypes.c_int()
            for i in range(textpage.count_chars()):
                n = raw.FPDFText_GetFontInfo(textpage, i, buf, 256, ctypes.byref(flags))
                if n:
                    names.add(buf.value.decode(errors="replace").split("+", 1)[-1])
    finally:
        doc.close()
    return names


def pdf_to_png(pdf: bytes, *, page: int = 0, dpi: int = 150) -> bytes:
    """One page of a PDF as PNG bytes."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
