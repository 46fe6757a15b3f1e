"""The forms' fixed wording is written once (models/wording.py): both renderers print it from there, and only there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from kpi6.models.forms import summarize_satisfaction
from kpi6.models.survey import SurveyResult
from kpi6.models.wording import WORDING
from kpi6.tasks.render import documents as documents_module
from kpi6.tasks.render import docx as docx_module
from kpi6.tasks.render.documents import render_form_docx, render_form_pdf
from kpi6.tasks.render.pdf import TEMPLATES_DIR
from tests.support.docs import SURVEY, docx_text, form_contexts, pdf_pages, squash

# Thai letters, marks and digits (not the block's unassigned ends, which docx.py's own pattern for Thai names).
THAI = re.compile("[\u0e01-\u0e5b]")
TEMPLATES = [TEMPLATES_DIR / n for n in ("form1.html.j2", "form2.html.j2", "_macros.html.j2")]
RENDERERS = [Path(docx_module.__file__), Path(documents_module.__file__)]


@pytest.fixture(autouse=True)
def prefect_harness():  # pure rendering: no Prefect needed
    yield


def strings(value: object) -> list[str]:
    """Every string in a wording model (nested models, tuples and mappings included)."""
    if isinstance(value, BaseModel):
        return [s for name in type(value).model_fields for s in strings(getattr(value, name))]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def both_texts(ctx) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return squash("".join(pdf_pages(render_form_pdf(ctx)))), squash(docx_text(render_form_docx(ctx)))


def test_a_label_changed_in_the_wording_changes_both_files_and_the_old_one_is_gone():
    w1, w2 = WORDING.form1, WORDING.form2
    signed = "ลายมือชื่อ ............................ ผู้รายงาน"
    labels1 = w1.labels.model_copy(
        update={
            "plan_columns": (*w1.labels.plan_columns[:3], "ผู้ดูแลกิจกรรม"),
            "steps": "2. งานที่ทำตามขั้นตอนที่ 1 - 3",
            "signed": signed,
            "medium": w1.labels.medium.model_copy(update={"background": "เหตุผลความจำเป็น"}),
        }
    )
    labels2 = w2.labels.model_copy(
        update={
            "event_columns": (*w2.labels.event_columns[:4], "จำนวนผู้ฟัง (คน)", w2.labels.event_columns[5]),
            "events_total": "ยอดรวมทุกครั้ง",
            "survey_columns": (*w2.labels.survey_columns[:2], "SD", *w2.labels.survey_columns[3:]),
            "signed": signed,
        }
    )
    wording = WORDING.model_copy(
        update={
            "form1": w1.model_copy(update={"labels": labels1, "medium": "สื่อชิ้นที่ {number}"}),
            "form2": w2.model_copy(update={"labels": labels2, "chart_title": "คะแนนเฉลี่ยรายข้อ (เต็ม 5)"}),
        }
    )
    f1, f2 = form_contexts(wording=wording)
    # (old text, new text as printed in Thai digits, how often the new text prints)
    changes = {
        1: [
            ("ผู้รับผิดชอบ", "ผู้ดูแลกิจกรรม", 1),
            ("๒. การดำเนินงานตามขั้นตอนที่ ๑ - ๓", "๒. งานที่ทำตามขั้นตอนที่ ๑ - ๓", 1),
            ("ที่มา/สาเหตุ", "เหตุผลความจำเป็น", 2),  # both media
            ("สื่อเรื่องที่", "สื่อชิ้นที่ ๑", 2),  # a sentence: the medium's heading and its QR code's label
            ("ลงชื่อ", "ลายมือชื่อ", 1),  # a label both forms share
        ],
        2: [
            ("ผู้เข้าร่วม (คน)", "จำนวนผู้ฟัง (คน)", 1),
            ("รวม (อปท. นับไม่ซ้ำ)", "ยอดรวมทุกครั้ง", 1),
            ("S.D.", "SD", 1),
            ("ค่าเฉลี่ยความพึงพอใจรายข้อ", "คะแนนเฉลี่ยรายข้อ (เต็ม ๕)", 1),
            ("ลงชื่อ", "ลายมือชื่อ", 1),
        ],
    }
    for form, ctx in ((1, f1), (2, f2)):
        for kind, text in zip(("pdf", "docx"), both_texts(ctx), strict=True):
            for old, new, times in changes[form]:
                assert text.count(squash(new)) == times, (form, kind, new)
                assert squash(old) not in text, (form, kind, old)


def _full_forms(*, arabic: bool):  # type: ignore[no-untyped-def]
    """Both forms with every label in print: Form 2 with a survey export (respondents by type, comments)."""
    f1, f2 = form_contexts(arabic=arabic)
    survey = SurveyResult(respondents=143, items=SURVEY, by_type={"อบต.": 100, "เทศบาล": 43}, comments=["ดีมาก"])
    return f1, f2.model_copy(update={"satisfaction": summarize_satisfaction(survey, arabic=arabic)})


@pytest.mark.parametrize("arabic", [False, True])
def test_every_label_of_a_form_prints_in_both_files_in_the_forms_digits(arabic):
    for ctx in _full_forms(arabic=arabic):
        labels = strings(ctx.labels)
        assert len(labels) > 15
        assert any(re.search("[๐-๙]" if not arabic else "[0-9]", s) for s in labels)
        assert not any(re.search("[0-9]" if not arabic else "[๐-๙]", s) for s in labels)
        pdf, docx = both_texts(ctx)
        assert [s for s in labels if squash(s) not in pdf] == []
        assert [s for s in labels if squash(s) not in docx] == []


def _template_text(path: Path) -> str:
    return re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)


def _code_strings(path: Path) -> list[str]:
    """The string literals of a Python module, docstrings left out (they explain, they don't print)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_the_renderers_write_no_wording_of_their_own():
    sources = {p.name: _template_text(p) for p in TEMPLATES}
    sources.update({p.name: "\n".join(_code_strings(p)) for p in RENDERERS})
    assert {name: THAI.findall(text)[:5] for name, text in sources.items() if THAI.search(text)} == {}
    # Nor wording without Thai letters (S.D.): no piece of a label or sentence outside its placeholders.
    pieces = {p.strip() for s in strings(WORDING) for p in re.split(r"\{[^}]*\}", s) if len(p.strip()) >= 3}
    assert "S.D." in pieces
    assert [(p, name) for p in sorted(pieces) for name, text in sources.items() if p in text] == []
