"""Form 1 and Form 2 as .pdf (Jinja2 + WeasyPrint) and .docx (python-docx) from one context; QR codes
and the satisfaction chart as PNG images shared by both renderers."""

from __future__ import annotations

import base64
import io
from functools import cache
from xml.sax.saxutils import escape as xml_escape

import qrcode
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

from kpi6.models.forms import (
    ChartBar,
    Form1Context,
    Form2Context,
    MediumDocument,
    evidence_qrs,
    handbook_chapters,
)
from kpi6.models.text import printable
from kpi6.models.thai import digits, thai_digits
from kpi6.tasks.render import docx
from kpi6.tasks.render.pdf import TEMPLATES_DIR, font_files, html_to_pdf, pdf_to_png

FormContext = Form1Context | Form2Context


@cache
def jinja() -> Environment:
    """Templates in `templates/`; every value is HTML-escaped (user text prints as text)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thai"] = thai_digits
    return env


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@cache
def qr_png(url: str) -> bytes:
    """A QR code for `url` as PNG bytes (error correction M, quiet zone of 2 modules)."""
    if not url:
        raise ValueError("an evidence field has no link to encode")
    # PilImage is qrcode's own choice when Pillow is installed; named, the type checker knows it too
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=2, image_factory=PilImage)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(font_files()[(700 if bold else 400, "normal")]), size, layout_engine=ImageFont.Layout.RAQM
    )


def chart_png(bars: list[ChartBar], *, arabic: bool) -> bytes:
    return _chart_png(tuple((printable(b.label), printable(b.value), b.fraction) for b in bars), arabic=arabic)


@cache
def _chart_png(bars_data: tuple[tuple[str, str, float], ...], *, arabic: bool) -> bytes:
    """Horizontal bars of each item's mean out of 5, Thai labels shaped by Raqm/HarfBuzz (cached)."""
    bars = [ChartBar(label=label, value=value, fraction=fraction) for label, value, fraction in bars_data]
    width, row, pad = 1200, 64, 30
    size = 30
    label_font = _font(size)
    while size > 18 and max(label_font.getlength(b.label) for b in bars) > width * 0.5:
        size -= 2
        label_font = _font(size)
    left = int(max(label_font.getlength(b.label) for b in bars)) + 40
    value_font = _font(30, bold=True)
    height = pad * 2 + row * len(bars) + 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    plot = width - left - 110
    for k in range(6):  # scale 0..5
        x = left + plot * k / 5
        draw.line([(x, pad), (x, pad + row * len(bars))], fill="#cccccc", width=2)
        draw.text(
            (x, pad + row * len(bars) + 8), digits(k, arabic=arabic), font=value_font, fill="#444444", anchor="ma"
        )
    for i, bar in enumerate(bars):
        y = pad + i * row
        draw.text((left - 20, y + row / 2), bar.label, font=label_font, fill="black", anchor="rm")
        draw.rectangle([left, y + 12, left + plot * max(0.0, min(bar.fraction, 1.0)), y + row - 12], fill="#1f5fa8")
        draw.text((left + plot * bar.fraction + 14, y + row / 2), bar.value, font=value_font, fill="black", anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def chart_svg(bars: list[ChartBar], *, arabic: bool) -> str:
    """The same chart as inline SVG for the PDF: each item's label above its bar, so long questions fit."""
    width, label_h, bar_h, gap, axis = 1000, 34, 30, 16, 40
    size = 26
    longest = max(bars, key=lambda b: len(b.label)).label
    while size > 16 and _font(size).getlength(longest) > width:
        size -= 1
    row = label_h + bar_h + gap
    height = row * len(bars) + axis
    plot = width - 90
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="15cm" height="{15 * height / width:.2f}cm" font-family="Sarabun">'
    ]
    for k in range(6):  # scale 0..5
        x = plot * k / 5
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - axis + 4}" stroke="#cccccc" stroke-width="2"/>'
        )
        anchor = "start" if k == 0 else "end" if k == 5 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="24" text-anchor="{anchor}" fill="#444444">'
            f"{digits(k, arabic=arabic)}</text>"
        )
    for i, bar in enumerate(bars):
        y = i * row
        length = plot * max(0.0, min(bar.fraction, 1.0))
        parts.append(f'<text x="0" y="{y + label_h - 8}" font-size="{size}">{xml_escape(bar.label)}</text>')
        parts.append(f'<rect x="0" y="{y + label_h}" width="{length:.1f}" height="{bar_h}" fill="#1f5fa8"/>')
        parts.append(
            f'<text x="{length + 10:.1f}" y="{y + label_h + bar_h - 6}" font-size="26" font-weight="700">'
            f"{xml_escape(bar.value)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def qr_images(ctx: FormContext) -> dict[str, bytes]:
    """The QR image of every evidence link."""
    return {q.url: qr_png(q.url) for q in evidence_qrs(ctx)}


def render_html(ctx: FormContext) -> str:
    template = jinja().get_template(f"form{ctx.form}.html.j2")
    survey = ctx.satisfaction if isinstance(ctx, Form2Context) else None
    return template.render(
        ctx=ctx,
        qr={u: data_uri(p) for u, p in qr_images(ctx).items()},
        chart=Markup(chart_svg(survey.bars, arabic=ctx.arabic_digits)) if survey else "",  # escaped in chart_svg
    )


def render_form_pdf(ctx: FormContext) -> bytes:
    """The form as PDF: A4, Sarabun embedded, QR codes, page numbers from page 2."""
    return html_to_pdf(render_html(ctx), stylesheets=("forms.css",))


def render_form_docx(ctx: FormContext) -> bytes:
    """The form as .docx: every run in TH Sarabun New (complex script) 16 pt, Thai language."""
    survey = ctx.satisfaction if isinstance(ctx, Form2Context) else None
    chart = chart_png(survey.bars, arabic=ctx.arabic_digits) if survey else None
    return docx.render(ctx, qrs=qr_images(ctx), chart=chart)


def render_infographic(doc: MediumDocument) -> tuple[bytes, bytes]:
    """An A4 infographic of the medium's five elements and key points: (PDF, PNG of page 1)."""
    html = (
        jinja().get_template("infographic.html.j2").render(m=doc, d=lambda text: digits(text, arabic=doc.arabic_digits))
    )
    pdf = html_to_pdf(html, stylesheets=("media.css",))
    return pdf, pdf_to_png(pdf, dpi=110)


def render_handbook(doc: MediumDocument) -> bytes:
    """A handbook: cover, table of contents with page numbers, one chapter per element, page numbers."""
    html = (
        jinja()
        .get_template("handbook.html.j2")
        .render(
            m=doc,
            chapters=handbook_chapters(doc),
            arabic=doc.arabic_digits,
            d=lambda text: digits(text, arabic=doc.arabic_digits),
        )
    )
    return html_to_pdf(html, stylesheets=("media.css",))
