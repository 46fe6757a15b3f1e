"""Form 1 and Form 2 as .docx with python-docx, laid out like the PDF.

Thai is a complex script in Word: every run names "TH Sarabun New" in `w:rFonts w:cs` (and the other
slots), with `w:szCs`, `w:bCs` and `w:lang w:bidi="th-TH"`, and the `w:cs` flag on runs with Thai text;
the Normal style and the document defaults say the same, with the theme attributes removed (they would
win over an explicit font). So Word on a government PC uses the standard font and Thai word breaking.

Every label, heading and column title comes from the form's `ctx.labels` (`models.wording`), as in the PDF's
templates: this module writes no wording of its own.

Every text goes through `models.text.printable`, as in the PDF: a control character (which python-docx refuses
in XML) or an emoji from a survey export's comments is dropped, so both files print the same text.
"""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from kpi6.models.forms import EvidenceQR, Form1Context, Form2Context, Header, StepRow
from kpi6.models.text import printable
from kpi6.models.thai import digits
from kpi6.models.wording import FormLabels

FONT = "TH Sarabun New"
BODY_PT = 16
THAI = re.compile("[\u0e00-\u0e7f]")


def _font_elements(parent, *, size_pt: float, bold: bool = False, thai: bool = True) -> None:  # type: ignore[no-untyped-def]
    """rFonts, b/bCs, sz/szCs, cs, lang in schema order, replacing what was there."""
    for tag in ("w:rFonts", "w:b", "w:bCs", "w:sz", "w:szCs", "w:cs", "w:lang"):
        for old in parent.findall(qn(tag)):
            parent.remove(old)
    fonts = OxmlElement("w:rFonts")
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FONT)
    elements = [fonts]
    if bold:
        elements += [OxmlElement("w:b"), OxmlElement("w:bCs")]
    half_points = str(round(size_pt * 2))
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), half_points)
        elements.append(el)
    if thai:
        elements.append(OxmlElement("w:cs"))
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:bidi"), "th-TH")
    elements.append(lang)
    # Insert before anything that must follow them in CT_RPr (e.g. w:color stays where it is).
    anchor = parent.find(qn("w:rStyle"))
    index = list(parent).index(anchor) + 1 if anchor is not None else 0
    for offset, el in enumerate(elements):
        parent.insert(index + offset, el)


def _setup_styles(doc) -> None:  # type: ignore[no-untyped-def]
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _font_elements(rpr, size_pt=BODY_PT, thai=False)
    normal = doc.styles["Normal"]
    _font_elements(normal.element.get_or_add_rPr(), size_pt=BODY_PT, thai=False)
    pf = normal.paragraph_format
    pf.space_after = Pt(0)
    pf.space_before = Pt(0)
    pf.line_spacing = 1.0


def _page(doc) -> None:  # type: ignore[no-untyped-def]
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance = Cm(1.2)


def run(paragraph: Paragraph, text: str, *, bold: bool = False, size: float = BODY_PT):  # type: ignore[no-untyped-def]
    text = printable(text)
    r = paragraph.add_run(text)
    _font_elements(r._r.get_or_add_rPr(), size_pt=size, bold=bold, thai=bool(THAI.search(text)))
    return r


def para(
    container: Any,  # a Document, a cell or a section's header: all have add_paragraph
    text: str = "",
    *,
    bold: bool = False,
    align: str | None = None,
    size: float = BODY_PT,
    indent_first: float | None = None,
    left: float | None = None,
) -> Paragraph:
    p: Paragraph = container.add_paragraph()
    if text:
        run(p, text, bold=bold, size=size)
    if align:
        p.alignment = {
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "justify": WD_ALIGN_PARAGRAPH.THAI_JUSTIFY,
        }[align]
    if indent_first is not None:
        p.paragraph_format.first_line_indent = Cm(indent_first)
    if left is not None:
        p.paragraph_format.left_indent = Cm(left)
    return p


def _cell(cell: _Cell, text: str, *, bold: bool = False, align: str | None = None, size: float = BODY_PT) -> None:
    p = cell.paragraphs[0]
    run(p, text, bold=bold, size=size)
    if align:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.RIGHT


def set_widths(table: Table, widths: list[float]) -> None:
    """Fixed column widths in the grid and every cell, so Word and LibreOffice lay the table out alike."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(round(w / 2.54 * 1440)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Cm(w)


def grid(
    doc: Any,  # a Document or a cell
    head: list[str],
    rows: list[list[str]],
    *,
    widths: list[float],
    numeric: frozenset[int] = frozenset(),
    size: float = BODY_PT,
    head_size: float | None = None,
) -> Table:
    table: Table = doc.add_table(rows=len(rows) + (1 if head else 0), cols=len(head or rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table_rows = list(table.rows)
    if head:
        for cell, text in zip(table_rows[0].cells, head, strict=True):
            _cell(cell, text, bold=True, align="center", size=head_size or size)
    for row, values in zip(table_rows[1 if head else 0 :], rows, strict=True):
        cells = row.cells
        for c, text in enumerate(values):
            _cell(cells[c], text, align="right" if c in numeric else None, size=size)
    set_widths(table, widths)
    return table


def page_numbers(doc, *, arabic: bool) -> None:  # type: ignore[no-untyped-def]
    """`- ๒ -` at the top centre from page 2, as Thai official documents number their pages."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(p, "- ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    if not arabic:  # the section's number format: Thai digits (Word and LibreOffice both honour it)
        number_type = section._sectPr.find(qn("w:pgNumType"))
        if number_type is None:
            number_type = OxmlElement("w:pgNumType")
            section._sectPr.insert_element_before(
                number_type,
                "w:cols",
                "w:formProt",
                "w:vAlign",
                "w:noEndnote",
                "w:titlePg",
                "w:textDirection",
                "w:bidi",
                "w:rtlGutter",
                "w:docGrid",
                "w:printerSettings",
                "w:sectPrChange",
            )
        number_type.set(qn("w:fmt"), "thaiNumbers")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    _font_elements(rpr, size_pt=BODY_PT)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = digits(2, arabic=arabic)
    r.append(t)
    field.append(r)
    p._p.append(field)
    run(p, " -")


def qr_block(doc, item: EvidenceQR, png: bytes) -> None:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=1, cols=2)
    set_widths(table, [3.6, 12.4])
    pic = table.cell(0, 0).paragraphs[0]
    pic.add_run().add_picture(io.BytesIO(png), width=Cm(3))
    text = table.cell(0, 1)
    run(text.paragraphs[0], item.label, bold=True)
    run(text.add_paragraph(), item.url, size=11)


def heading(doc, h: Header, w: FormLabels) -> None:  # type: ignore[no-untyped-def]
    para(doc, h.form_no, bold=True, align="right")
    para(doc, h.title, bold=True, align="center", size=18)
    para(doc, h.steps, bold=True, align="center", size=18)
    para(doc, h.indicator, align="center")
    para(doc, h.period, align="center")
    para(doc, h.department, bold=True, align="center")
    p = para(doc)
    run(p, f"{w.office} ", bold=True)
    run(p, h.office)


def signature_block(doc, ctx: Form1Context | Form2Context) -> None:  # type: ignore[no-untyped-def]
    para(doc)
    for i, text in enumerate(
        [
            f"{ctx.labels.report_date} {ctx.report_date}",
            ctx.labels.signed,
            ctx.signature.name,
            ctx.signature.position,
            ctx.signature.office,
        ]
    ):
        p = para(doc, text, align="center", left=7.5)
        p.paragraph_format.keep_with_next = i < 4


def steps_table(doc, steps: list[StepRow], w: FormLabels) -> None:  # type: ignore[no-untyped-def]
    grid(
        doc,
        list(w.step_columns),
        [[s.number, s.name, s.deadline, s.done] for s in steps],
        widths=[1.6, 7, 3.7, 3.7],
    )


def _form1(doc, ctx: Form1Context, qrs: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    w = ctx.labels
    heading(doc, ctx.header, w)
    para(doc, w.plan, bold=True)
    grid(
        doc,
        list(w.plan_columns),
        [[r.number, r.activity, r.period, r.responsible] for r in ctx.plan_rows],
        widths=[1.1, 6.8, 4.3, 3.8],
    )
    qr_block(doc, ctx.plan_qr, qrs[ctx.plan_qr.url])
    para(doc, w.steps, bold=True)
    steps_table(doc, ctx.steps, w)
    para(doc, w.media, bold=True)
    for m in ctx.media:
        para(doc, m.heading, bold=True)
        content = m.content + "".join(f"\n• {p}" for p in m.key_points)
        table = grid(
            doc,
            [],
            [
                [w.medium.title, m.title],
                [w.medium.aspect, m.aspect],
                [w.medium.background, m.background],
                [w.medium.content, content],
                [w.medium.agency, m.agency],
                [w.medium.format, m.format],
            ],
            widths=[5, 11],
        )
        for row in table.rows:
            for r in row.cells[0].paragraphs[0].runs:
                _font_elements(r._r.get_or_add_rPr(), size_pt=BODY_PT, bold=True)
        qr_block(doc, m.qr, qrs[m.qr.url])
    signature_block(doc, ctx)


def _form2(doc, ctx: Form2Context, qrs: dict[str, bytes], chart: bytes | None) -> None:  # type: ignore[no-untyped-def]
    w = ctx.labels
    heading(doc, ctx.header, w)
    para(doc, w.steps, bold=True)
    steps_table(doc, ctx.steps, w)
    para(doc, w.strategy, bold=True)
    para(doc, ctx.strategy, indent_first=2.5)
    para(doc, w.events, bold=True)
    rows = [[e.number, e.date, e.channel, e.laos, e.participants, e.description] for e in ctx.events]
    rows.append(["", w.events_total, "", ctx.total_laos, ctx.total_participants, ""])
    grid(
        doc,
        list(w.event_columns),
        rows,
        widths=[1, 3.2, 3.0, 1.7, 1.9, 5.2],
        numeric=frozenset({3, 4}),
        size=14,
    )
    para(doc, w.satisfaction, bold=True)
    s = ctx.satisfaction
    if s:
        para(doc, s.respondents_line)
        if s.coverage:
            para(doc, s.coverage)
        rows = [[r.item, r.mean, r.sd, r.percent, r.band] for r in s.rows]
        rows.append([w.survey_overall, s.overall_mean, s.overall_sd, s.overall_percent, s.overall_band])
        table = grid(
            doc,
            list(w.survey_columns),
            rows,
            widths=[7.0, 1.9, 1.6, 2.3, 2.7],
            numeric=frozenset({1, 2, 3}),
            size=14,
            head_size=13,
        )
        for cell in table.rows[-1].cells:
            for r in cell.paragraphs[0].runs:
                _font_elements(r._r.get_or_add_rPr(), size_pt=14, bold=True)
        para(doc, s.band_note, size=13)
        para(doc, w.counts_caption, size=13)
        grid(
            doc,
            [w.counts_item, *s.levels],
            [[r.item, *r.counts] for r in s.rows],
            widths=[6.2, 1.9, 1.6, 1.9, 1.6, 2.3],
            numeric=frozenset(range(1, len(s.levels) + 1)),
            size=12,
            head_size=12,
        )
        para(doc, s.chart_title, bold=True, align="center")
        if chart:
            p = para(doc, align="center")
            p.add_run().add_picture(io.BytesIO(chart), width=Cm(15))
        if s.comments:
            para(doc, w.comments, bold=True)
            for c in s.comments:
                para(doc, f"• {c}", indent_first=0.5)
    else:
        para(doc, ctx.no_survey_note)
    para(doc, w.results, bold=True)
    para(doc, ctx.results, indent_first=2.5)
    para(doc, w.evidence, bold=True)
    for ev in ctx.evidence:
        qr_block(doc, ev, qrs[ev.url])
    signature_block(doc, ctx)


def render(ctx: Form1Context | Form2Context, *, qrs: dict[str, bytes], chart: bytes | None) -> bytes:
    doc = Document()
    _setup_styles(doc)
    _page(doc)
    page_numbers(doc, arabic=ctx.arabic_digits)
    core = doc.core_properties
    core.title = printable(f"{ctx.header.title} {ctx.header.steps} {ctx.header.office}")
    core.author = printable(ctx.header.office)
    core.language = "th-TH"
    if isinstance(ctx, Form1Context):
        _form1(doc, ctx, qrs)
    else:
        _form2(doc, ctx, qrs, chart)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """All text of a .docx body (tables included), paragraph by paragraph."""
    doc = Document(io.BytesIO(data))
    body = doc.element.body
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))
