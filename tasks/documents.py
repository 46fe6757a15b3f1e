"""Form 1 and Form 2 as .pdf (Jinja2 + WeasyPrint) and .docx (python-docx) from one context; QR codes
and the satisfaction chart as PNG images shared by both renderers."""

from __future__ import annotations

import base64
import io
from functools import cache

import qrcode
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from kpi6.models.forms import (
    ChartBar,
    Form1Context,
    Form2Context,
    MediumDocument,
    evidence_qrs,
    handbook_chapters,
)
from kpi6.models.thai import digits
from kpi6.tasks import docx_forms
from kpi6.tasks.pdf import TEMPLATES_DIR, font_files, pdf_to_png
from kpi6.tasks.pdf import render_pdf as html_to_pdf
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

FormContext = Form1Context | Form2Context


@cache
def jinja() -> Environment:
    """Templates in `templates/`; every value is HTML-escaped (user text prints as text)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@cache
def qr_png(url: str) -> bytes:
    """A QR code for `url` as PNG bytes (error correction M, quiet zone of 2 modules)."""
    if not url:
        raise ValueError("an evidence field has no link to encode")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_files()[(700 if bold else 400, "normal")]), size,
                              layout_engine=ImageFont.Layout.RAQM)


def chart_png(bars: list[ChartBar], *, arabic: bool) -> bytes:
    return _chart_png(tuple((b.label, b.value, b.fraction) for b in bars), arabic=arabic)


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
        draw.text((x, pad + row * len(bars) + 8), digits(k, arabic=arabic), font=value_font, fill="#444444",
                  anchor="ma")
    for i, bar in enumerate(bars):
        y = pad + i * row
        draw.text((left - 20, y + row / 2), bar.label, font=label_font, fill="black", anchor="rm")
        draw.rectangle([left, y + 12, left + plot * max(0.0, min(bar.fraction, 1.0)), y + row - 12], fill="#1f5fa8")
        draw.text((left + plot * bar.fraction + 14, y + row / 2), bar.value, font=value_font, fill="black",
                  anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def images(ctx: FormContext) -> tuple[dict[str, bytes], bytes | None]:
    """The QR image of every evidence link, and the chart (Form 2 with a survey)."""
    chart = None
    if isinstance(ctx, Form2Context) and ctx.satisfaction:
        chart = chart_png(ctx.satisfaction.bars, arabic=ctx.arabic_digits)
    return {q.url: qr_png(q.url) for q in evidence_qrs(ctx)}, chart


def render_html(ctx: FormContext) -> str:
    qrs, chart = images(ctx)
    template = jinja().get_template(f"form{ctx.form}.html.j2")
    return template.render(
        ctx=ctx, qr={u: data_uri(p) for u, p in qrs.items()}, chart=data_uri(chart) if chart else "",
        d=lambda text: digits(text, arabic=ctx.arabic_digits),
    )


def render_pdf(ctx: FormContext) -> bytes:
    """The form as PDF: A4, Sarabun embedded, QR codes, page numbers from page 2."""
    return html_to_pdf(render_html(ctx), stylesheets=("forms.css",))


def render_docx(ctx: FormContext) -> bytes:
    """The form as .docx: every run in TH Sarabun New (complex script) 16 pt, Thai language."""
    qrs, chart = images(ctx)
    return docx_forms.render(ctx, qrs=qrs, chart=chart)


def render_infographic(doc: MediumDocument) -> tuple[bytes, bytes]:
    """An A4 infographic of the medium's five elements and key points: (PDF, PNG of page 1)."""
    html = jinja().get_template("infographic.html.j2").render(
        m=doc, d=lambda text: digits(text, arabic=doc.arabic_digits))
    pdf = html_to_pdf(html, stylesheets=("media.css",))
    return pdf, pdf_to_png(pdf, dpi=110)


def render_handbook(doc: MediumDocument) -> bytes:
    """A handbook: cover, table of contents with page numbers, one chapter per element, page numbers."""
    html = jinja().get_template("handbook.html.j2").render(
        m=doc, chapters=handbook_chapters(doc), arabic=doc.arabic_digits,
        d=lambda text: digits(text, arabic=doc.arabic_digits))
    return html_to_pdf(html, stylesheets=("media.css",))
