"""The national report (models/national.NationalReport) as PDF (Jinja2 + WeasyPrint, the maps as SVG) and as
.docx (python-docx, the maps as PNG), in the forms' Thai official style."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Cm
from markupsafe import Markup

from kpi6.models.national import NationalReport
from kpi6.models.text import printable
from kpi6.models.thai import thai_digits
from kpi6.tasks.render import docx
from kpi6.tasks.render.documents import jinja
from kpi6.tasks.render.maps import map_png, map_svg
from kpi6.tasks.render.pdf import html_to_pdf


def render_national_html(report: NationalReport) -> str:
    first, *others = report.maps
    maps = [Markup(map_svg(first, width_cm=14.5))] + [Markup(map_svg(m, width_cm=7.6)) for m in others]  # escaped
    return jinja().get_template("national.html.j2").render(r=report, maps=maps)


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
    docx.para(doc, report.as_of + (" · กำหนดการตัวอย่าง" if report.sample_dates else ""), align="center")
    doc.add_picture(io.BytesIO(images[0]), width=Cm(15.5))
    docx.para(doc, "๑. แผนที่ตามตัวชี้วัดย่อย", bold=True)
    for png in images[1:]:
        doc.add_picture(io.BytesIO(png), width=Cm(11))
    docx.para(doc, f"๒. คะแนนของ {report.provinces_total} จังหวัด เรียงตามคะแนนรวม", bold=True)
    docx.grid(
        doc,
        ["อันดับ", "จังหวัด", "คะแนนรวม", "คะแนนขั้นตอน", "หักล่าช้า", "รายงานที่ส่งช้า", "วันทำการที่ช้า", "ความพึงพอใจ (ผู้ตอบ)"],
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
        widths=[1.3, 4.0, 1.6, 1.6, 1.5, 1.6, 1.6, 2.8],
        numeric=frozenset({0, 2, 3, 4, 5, 6, 7}),
        size=12,
        head_size=11,
    )
    docx.para(doc, "๓. จำนวนจังหวัดที่ดำเนินการแต่ละขั้นตอนแล้ว รายสัปดาห์", bold=True)
    steps = [f"ขั้นตอนที่ {thai_digits(i + 1)}" for i in range(len(report.step_names))]
    docx.grid(
        doc,
        ["สัปดาห์สิ้นสุด", *steps, "ครบกำหนดขั้นตอนที่"],
        [[w.label, *w.done, w.due] for w in report.weeks],
        widths=[3.2, *[1.9] * len(steps), 2.3],
        numeric=frozenset(range(1, len(steps) + 1)),
        size=12,
        head_size=11,
    )
    names = " · ".join(f"ขั้นตอนที่ {thai_digits(i + 1)} {n}" for i, n in enumerate(report.step_names))
    docx.para(doc, names, size=13)
    docx.para(doc, "๔. ความพึงพอใจของ อปท. ต่อสื่อ", bold=True)
    docx.para(doc, report.satisfaction_line)
    docx.grid(
        doc,
        ["ระดับความพึงพอใจ (ค่าเฉลี่ย)", "จำนวนจังหวัด"],
        [[b.label, b.provinces] for b in report.satisfaction_bands],
        widths=[9.0, 3.0],
        numeric=frozenset({1}),
        size=14,
    )
    docx.para(doc, "๕. สิ่งที่จังหวัดเลือกทำสื่อ: จุดอ่อนของ อปท. ตามผลการประเมิน LPA", bold=True)
    for title, rows in (
        ("ด้านของ LPA ที่สื่อช่วยยกระดับ", report.aspects),
        ("ตัวชี้วัด LPA ที่ อปท. ได้คะแนนน้อย ตามรหัสในผลการประเมิน (๑๐ อันดับแรก)", report.indicators),
        ("เรื่องที่จัดทำสื่อ (๑๐ อันดับแรก)", report.topics),
    ):
        docx.para(doc, title, bold=True, size=15)
        if rows:
            docx.grid(
                doc,
                [title, "จำนวนสื่อ", "จำนวนจังหวัด"],
                [[c.label, c.topics, c.provinces] for c in rows],
                widths=[10.0, 3.0, 3.0],
                numeric=frozenset({1, 2}),
                size=14,
            )
        else:
            docx.para(doc, "ยังไม่มีจังหวัดใดบันทึกแผนพร้อมเรื่องที่เลือก")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
