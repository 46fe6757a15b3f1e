"""Helpers that read what a user sees in our PDFs and .docx files (independent of how we wrote them)."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from pydantic import BaseModel

from kpi6.models.forms import build_form1, build_form2
from kpi6.models.inputs import ReportInput, SatisfactionItem
from kpi6.models.provinces import registry
from kpi6.models.wording import WORDING, FormsWording
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.render.docx import docx_text
from tests.support.factories import full_inputs


def squash(text: str) -> str:
    """NFKC (ำ == ํา) and no whitespace: line breaks and table cells don't change what was written."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def pdf_images(pdf: bytes, scale: float = 3) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=scale).to_pil() for page in doc]
    finally:
        doc.close()


def decode_qr(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def docx_images(data: bytes) -> list[Image.Image]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [Image.open(io.BytesIO(z.read(n))) for n in z.namelist() if n.startswith("word/media/")]


def text_fields(model: BaseModel) -> list[str]:
    """Every string of a form's data a reader is meant to see in a context (links included); not its fixed
    labels (`ctx.labels`, some printed only with a survey), which tests/tasks/test_form_wording.py checks."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                if name != "labels":
                    walk(getattr(value, name))
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value.strip():
            found.append(value)

    walk(model)
    return found


SURVEY = [
    SatisfactionItem(item="ความชัดเจนของเนื้อหา", counts=[50, 60, 20, 10, 3]),
    SatisfactionItem(item="ประโยชน์ต่อการปฏิบัติงาน", counts=[70, 50, 15, 5, 3]),
]


def form_contexts(*, arabic: bool = False, title: str | None = None, wording: FormsWording = WORDING):  # type: ignore[no-untyped-def]
    """Form 1 and Form 2 contexts for Chiang Mai in round 2567-1, from the test factories' inputs."""
    inputs = full_inputs()
    media = inputs.media.model_copy(deep=True)
    media.media[0].link = "https://evidence.example/2567-1/TH-50/medium-1/handbook.pdf"
    media.media[1].link = "https://evidence.example/2567-1/TH-50/medium-2/infographic.pdf"
    media.media[0].key_points = ["สำรวจเส้นทาง", "ยื่นขึ้นทะเบียน 2 ครั้ง"]
    if title:
        media.media[0].title = title
    report = ReportInput(signer_name="นายสมชาย ใจดี", signer_position="ท้องถิ่นจังหวัดเชียงใหม่", arabic_digits=arabic)
    province, config = registry().get("TH-50"), load_round("2567-1")
    f1 = build_form1(
        province=province,
        config=config,
        plan=inputs.plan,
        media=media,
        report=report,
        plan_link="https://evidence.example/2567-1/TH-50/plan/",
        done={1: date(2024, 1, 10), 2: date(2024, 1, 30)},
        report_day=date(2024, 2, 9),
        wording=wording,
    )
    diss = inputs.dissemination.model_copy(update={"satisfaction": SURVEY, "strategy": "ชี้แจงในการประชุมประจำเดือน"})
    f2 = build_form2(
        province=province,
        config=config,
        dissemination=diss,
        report=report,
        dissemination_link="https://evidence.example/2567-1/TH-50/dissemination/",
        survey_link="https://evidence.example/2567-1/TH-50/survey/",
        done={4: date(2024, 3, 7)},
        report_day=date(2024, 3, 22),
        wording=wording,
    )
    return f1, f2


__all__ = ["decode_qr", "docx_images", "docx_text", "form_contexts", "pdf_images", "pdf_pages", "squash", "text_fields"]
