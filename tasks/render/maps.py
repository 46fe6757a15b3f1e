"""The tile map of the provinces (models/national.ProvinceMap) as SVG, for the PDF and the portal, and as PNG, for
the .docx and the Prefect artifact. The PNG is the SVG drawn by the same renderer as the forms (WeasyPrint, then
pypdfium2): one drawing, Thai shaped by HarfBuzz, in both."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import escape, quoteattr

from kpi6.models.national import NO_DATA, ProvinceMap
from kpi6.tasks.render.pdf import html_to_pdf, pdf_to_png

TILE_W, TILE_H, GAP = 84, 52, 4
TOP = 92  # the title's band
PAD = 10
NAME_WIDTH = TILE_W - 8


@cache
def _name_size(name: str) -> float:
    """The font size at which a Thai name fits its tile's width (measured with Sarabun, as it is drawn)."""
    from kpi6.tasks.render.documents import _font

    width = _font(40).getlength(name)
    return round(min(12.0, 40 * NAME_WIDTH / width), 1) if width else 12.0


def measure_names() -> None:
    """Every province's name measured now (the portal's start): the font's first load and 76 measures are most of
    the first map's time."""
    from kpi6.models.provinces import registry

    for p in registry():
        _name_size(p.name_th)


def _dark(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def size(m: ProvinceMap) -> tuple[int, int]:
    return PAD * 2 + m.cols * (TILE_W + GAP), TOP + m.rows * (TILE_H + GAP) + PAD


def map_svg(m: ProvinceMap, *, css_class: str = "map", width_cm: float | None = None) -> str:
    """The map as one `<svg>` element. Each tile is a `<g data-code="TH-50">` whose `data-value` is its value and whose
    rectangle has the fill of the legend's class for that value; Bangkok's is hatched and says it is not scored."""
    width, height = size(m)
    apart = f"apart-{m.measure}"  # ids unique when several maps share a page
    # its size on a page (`width_cm`, the height in proportion), or one unit a pixel
    if width_cm:  # as attributes and as style: WeasyPrint lays an inline SVG out by its CSS size
        w, h = f"{width_cm}cm", f"{width_cm * height / width:.2f}cm"
        shown = f'width="{w}" height="{h}" style="width: {w}; height: {h}"'
    else:
        shown = f'width="{width}" height="{height}"'
    out = [
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" {shown} '
        f'font-family="Sarabun" role="img" aria-label={quoteattr(m.title_th)}>',
        f'<defs><pattern id="{apart}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="8" stroke="#b0b0b0" '
        'stroke-width="3"/></pattern></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PAD}" y="34" font-size="26" font-weight="700">{escape(m.title_th)}</text>',
        f'<text x="{PAD}" y="60" font-size="16" fill="#444444">{escape(m.title_en)}</text>',
        f'<text x="{PAD}" y="82" font-size="16" fill="#444444">{escape(m.subtitle)}</text>',
    ]
    for t in m.tiles:
        x, y = PAD + t.col * (TILE_W + GAP), TOP + t.row * (TILE_H + GAP)
        fill = t.colour if t.scored else f"url(#{apart})"
        ink = "#ffffff" if t.scored and _dark(t.colour) else "#000000"
        value = "" if t.value is None else f' data-value="{t.value:g}"'
        out.append(
            f'<g class="tile" id="{m.measure}-{t.code}" data-code="{t.code}"{value}>'
            f"<title>{escape(t.name_th)} {escape(t.text)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE_W}" height="{TILE_H}" rx="4" fill="{fill}" stroke="#6b6b6b" '
            f'stroke-width="0.8"/>'
            f'<text x="{x + TILE_W / 2}" y="{y + 20}" font-size="{_name_size(t.name_th)}" text-anchor="middle" '
            f'fill="{ink}">{escape(t.name_th)}</text>'
            f'<text x="{x + TILE_W / 2}" y="{y + 42}" font-size="{15 if t.scored else 11}" font-weight="700" '
            f'text-anchor="middle" fill="{ink}">{escape(t.text)}</text></g>'
        )
    out.append(_legend(m, apart))
    out.append("</svg>")
    return "".join(out)


def _legend(m: ProvinceMap, apart: str) -> str:
    """In the sea east of the southern provinces: the classes, grey for no value, Bangkok apart, how to read."""
    x = PAD + 4 * (TILE_W + GAP) + 10
    y = TOP + 11 * (TILE_H + GAP) + 26
    entries = [(c.colour, c.label, f' data-low="{c.low:g}" data-high="{c.high:g}"') for c in m.classes]
    if m.no_data:
        entries.append((NO_DATA, m.no_data, ""))
    entries.append((f"url(#{apart})", "กรุงเทพมหานคร ไม่ประเมิน", ""))
    out = [f'<g class="legend"><text x="{x}" y="{y}" font-size="17" font-weight="700">คำอธิบายสัญลักษณ์</text>']
    for i, (colour, label, values) in enumerate(entries):
        row = y + 14 + i * 30
        out.append(
            f'<g class="legend-entry" data-colour="{colour}"{values}><rect x="{x}" y="{row}" width="34" height="22" '
            f'fill="{colour}" stroke="#6b6b6b" stroke-width="0.8"/>'
            f'<text x="{x + 44}" y="{row + 17}" font-size="16">{escape(label)}</text></g>'
        )
    note = y + 14 + len(entries) * 30 + 22
    lines = ("หนึ่งช่องต่อหนึ่งจังหวัด วางตามตำแหน่งโดยประมาณ", "ไม่ใช่แผนที่ตามมาตราส่วน · ตำแหน่งช่องกำหนดโดย kpi6")
    for i, line in enumerate(lines):
        out.append(f'<text x="{x}" y="{note + 17 * i}" font-size="12" fill="#555555">{line}</text>')
    out.append("</g>")
    return "".join(out)


def map_png(m: ProvinceMap, *, dpi: int = 110) -> bytes:
    """The map as PNG: its SVG on a page of its own size, drawn by WeasyPrint and rasterised by pypdfium2."""
    width, height = size(m)
    html = (
        f"<!DOCTYPE html><html lang='th'><head><meta charset='utf-8'><style>@page {{ size: {width}px {height}px; "
        f"margin: 0 }} body {{ margin: 0 }} svg {{ display: block }}</style></head><body>{map_svg(m)}</body></html>"
    )
    return pdf_to_png(html_to_pdf(html), dpi=dpi)
