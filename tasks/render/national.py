"""The national report (models/national.NationalReport) as PDF (Jinja2 + WeasyPrint, the maps as SVG) and as
.docx (python-docx, the maps as PNG), in the forms' Thai official style."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Cm
from markupsafe import Markup

from kpi6.models import national as wording
from kpi6.models.national import BAND_COLUMNS, CHOICE_COLUMNS, NO_CHOICES, RANKED_COLUMNS, SAMPLE_DATES, NationalReport
from kpi6.models.text import printable
from kpi6.models.thai import thai_digits
from kpi6.tasks.render import docx
from kpi6.tasks.render.documents import jinja
from kpi6.tasks.render.maps import map_png, map_svg
from kpi6.tasks.render.pdf import html_to_pdf


def render_national_html(report: NationalReport) -> str:
    first, *others = report.maps
    maps = [Markup(map_svg(first, width_cm=14.5))] + [Markup(map_svg(m, width_cm=7.6)) for m in others]  # escaped
    return jinja().get_template("national.html.j2").render(r=report, maps=maps, w=wording)


def render_national_pdf(report: NationalReport) -> bytes:
    """A4, Sarabun embedded; page 1 the map of total scores, then the other maps and the tables."""
    return html_to_pdf(render_national_html(report), stylesheets=("forms.css",))


def render_national_docx(report: NationalReport, maps: list[bytes] | None = None) -> bytes:
    """The same report for Word: the maps as PNG (`maps`, in the report's order, drawn when not given)."""
    images = maps if maps is not None else [map_png(m) for m in report.maps]
    doc = Document()
    docx._setup_styles(doc)
    docx._page(doc)
    docx.page_numbers(doc, arabic=False)
    core = doc.core_properties
    core.title = printable(f"{report.title} {report.subtitle}")
    core.author = "กรมส่งเสริมการปกครองท้องถิ่น"
    core.language = "th-TH"
    docx.para(doc, report.title, bold=True, align="center", size=18)
    docx.para(doc, report.subtitle, align="center")
    docx.para(doc, report.as_of + (f" · {SAMPLE_DATES}" if report.sample_dates else ""), align="center")
    doc.add_picture(io.BytesIO(images[0]), width=Cm(15.5))
    docx.para(doc, report.headings["maps"], bold=True)
    for png in images[1:]:
        doc.add_picture(io.BytesIO(png), width=Cm(11))
    docx.para(doc, report.headings["ranked"], bold=True)
    docx.grid(
        doc,
        list(RANKED_COLUMNS),
        [
            [
                thai_digits(p.rank),
                p.name_th,
                p.total,
                p.points,
                p.penalty,
                p.late_reports,
                p.working_days_late,
                p.satisfaction,
            ]
            for p in report.ranked
        ],
        widths=[1.3, 3.6, 1.6, 1.6, 1.5, 1.6, 2.0, 2.8],
        numeric=frozenset({0, 2, 3, 4, 5, 6, 7}),
        size=12,
        head_size=11,
    )
    docx.para(doc, report.headings["weeks"], bold=True)
    steps = len(report.week_columns) - 2
    docx.grid(
        doc,
        report.week_columns,
        [[w.label, *w.done, w.due] for w in report.weeks],
        widths=[3.2, *[1.9] * steps, 2.3],
        numeric=frozenset(range(1, steps + 1)),
        size=12,
        head_size=11,
    )
    docx.para(doc, report.step_legend, size=13)
    docx.para(doc, report.headings["satisfaction"], bold=True)
    docx.para(doc, report.satisfaction_line)
    docx.grid(
        doc,
        list(BAND_COLUMNS),
        [[b.label, b.provinces] for b in report.satisfaction_bands],
        widths=[9.0, 3.0],
        numeric=frozenset({1}),
        size=14,
    )
    docx.para(doc, report.headings["choices"], bold=True)
    for table in report.choices:
        docx.para(doc, table.title, bold=True, size=15)
        if table.rows:
            docx.grid(
                doc,
                [table.title, *CHOICE_COLUMNS],
                [[c.label, c.topics, c.provinces] for c in table.rows],
                widths=[10.0, 3.0, 3.0],
                numeric=frozenset({1, 2}),
                size=14,
            )
        else:
            docx.para(doc, NO_CHOICES)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
