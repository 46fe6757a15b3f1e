"""Thai dates and digits, the LPA's five aspects, the media completeness check and the generated media."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image

from kpi6.models.errors import InputError
from kpi6.models.forms import medium_document, summarize_satisfaction
from kpi6.models.inputs import MediaSetInput, SatisfactionItem, parse_inputs
from kpi6.models.lpa import LpaAspect, parse_aspect
from kpi6.models.survey import BandScheme, SurveyResult
from kpi6.models.thai import thai_date, thai_digits, thai_number
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.render.documents import render_handbook, render_infographic
from tests.support.docs import pdf_pages, squash
from tests.support.factories import medium


@pytest.fixture(autouse=True)
def prefect_harness():
    yield


def test_thai_dates_in_buddhist_era_with_thai_month_names():
    assert thai_date(date(2023, 12, 13)) == "๑๓ ธันวาคม ๒๕๖๖"
    assert thai_date(date(2024, 2, 9), arabic=True) == "9 กุมภาพันธ์ 2567"
    assert thai_date(date(2024, 1, 1), short=True) == "๑\u00a0ม.ค.\u00a0๒๕๖๗"
    assert thai_digits("ข้อ 10 ปี 2567") == "ข้อ ๑๐ ปี ๒๕๖๗"
    assert thai_number(1234) == "๑,๒๓๔"
    assert (
        thai_number(4.255, arabic=True, decimals=2) == "4.25" or thai_number(4.255, arabic=True, decimals=2) == "4.26"
    )


def test_five_lpa_aspects_with_thai_and_english_names():
    assert [a.name_th for a in LpaAspect] == [
        "ด้านการบริหารจัดการ",
        "ด้านการบริหารงานบุคคลและกิจการสภา",
        "ด้านการบริหารงานการเงินและการคลัง",
        "ด้านการบริการสาธารณะ",
        "ด้านธรรมาภิบาล",
    ]
    assert LpaAspect.finance.name_en == "finance and fiscal administration"
    for text in ("ด้านธรรมาภิบาล", "ธรรมาภิบาล", "good governance", "Good-Governance", "governance"):
        assert parse_aspect(text) is LpaAspect.governance
    with pytest.raises(ValueError, match="unknown LPA aspect 'ด้านกีฬา'.*ด้านการบริหารจัดการ"):
        parse_aspect("ด้านกีฬา")


def test_a_medium_lacking_an_element_is_refused_naming_it_in_thai_and_english():
    data = {"media": {"media": [medium().model_dump(), medium(background="", agency=" ").model_dump()]}}
    with pytest.raises(InputError) as err:
        parse_inputs(data, source="input.yaml")
    message = str(err.value)
    assert "medium 2" in message
    assert "ความเป็นมา/สาเหตุ (background)" in message and "หน่วยงานที่จัดทำ (producing agency)" in message
    assert "title" not in message.split("lacks:")[1]


def test_an_unknown_aspect_and_a_video_without_link_are_refused():
    with pytest.raises(InputError, match="unknown LPA aspect"):
        parse_inputs(
            {"media": {"media": [{**medium().model_dump(), "lpa_aspect": "x"}, medium().model_dump()]}}, source="f"
        )
    video = medium(format="video").model_dump()
    with pytest.raises(InputError, match="video: give its link"):
        parse_inputs({"media": {"media": [video, medium().model_dump()]}}, source="f")
    ok = MediaSetInput(media=[medium(format="video", link="https://v.example/1"), medium()])
    assert not ok.media[0].generated and ok.media[1].generated


def test_satisfaction_summary_means_bands_and_share_satisfied():
    items = [SatisfactionItem(item="ก", counts=[10, 0, 0, 0, 0]), SatisfactionItem(item="ข", counts=[0, 0, 10, 0, 0])]
    survey = SurveyResult(respondents=10, items=items, comments=["ดี", "ดี", "ขอวิดีโอ"])
    s = summarize_satisfaction(survey, arabic=True, laos_disseminated=20)
    assert [r.mean for r in s.rows] == ["5.00", "3.00"] and [r.sd for r in s.rows] == ["0.00", "0.00"]
    assert [r.percent for r in s.rows] == ["100.00", "0.00"]
    # Twenty answers, ten 5s and ten 3s: mean 4, sample SD sqrt(20 / 19) = 1.026.
    assert s.overall_mean == "4.00" and s.overall_sd == "1.03" and s.overall_band == "มาก"
    assert s.overall_percent == "50.00" and "4.21 - 5.00 มากที่สุด" in s.band_note
    assert s.comments == ["ดี (2 ราย)", "ขอวิดีโอ"]
    assert [b.fraction for b in s.bars] == [1.0, 0.6]
    thai = summarize_satisfaction(survey, arabic=False, scheme=BandScheme.width_0_5)
    assert thai.overall_sd == "๑.๐๓" and "4.51" not in thai.band_note and "๔.๕๑ - ๕.๐๐ มากที่สุด" in thai.band_note
    assert summarize_satisfaction(None, arabic=False) is None


def _doc():
    m = medium(title="คู่มือการขึ้นทะเบียนทางหลวงท้องถิ่น", key_points=["สำรวจเส้นทาง", "จัดทำแผนที่", "ยื่นขึ้นทะเบียน"])
    return medium_document(m, load_round("2567-1"))


def test_infographic_is_one_a4_page_as_pdf_and_png_with_the_five_elements():
    doc = _doc()
    pdf, png = render_infographic(doc)
    pdfdoc = pdfium.PdfDocument(pdf)
    assert len(pdfdoc) == 1
    assert tuple(round(v) for v in pdfdoc[0].get_size()) == (595, 842)
    text = squash(pdf_pages(pdf)[0])
    for field in (doc.title, doc.aspect, doc.background, doc.content, doc.agency, *doc.key_points):
        assert squash(field) in text
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert abs(image.height / image.width - 297 / 210) < 0.01
    assert len(image.convert("L").getcolors(maxcolors=1 << 16)) > 10  # not blank


def test_handbook_has_cover_contents_with_page_numbers_and_numbered_pages():
    doc = _doc()
    pages = pdf_pages(render_handbook(doc))
    assert len(pages) >= 5
    assert squash(doc.title) in squash(pages[0])
    assert "สารบัญ" in pages[1]
    for title in ("ความเป็นมาและสาเหตุ", "ความรู้ แนวทาง และวิธีปฏิบัติ", "ประเด็นสำคัญ", "หน่วยงานผู้จัดทำ"):
        assert squash(title) in squash(pages[1])
    # The contents give each chapter's page, and that page carries the chapter and its number.
    for line in pages[1].splitlines()[1:]:
        if "ประเด็นสำคัญ" in line:
            page_no = int(line.rstrip()[-1].translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")))
            assert "ประเด็นสำคัญ" in pages[page_no - 1]
            assert thai_digits(page_no) in pages[page_no - 1].splitlines()[-1]
    assert "สำรวจเส้นทาง" in "".join(pages[2:]).replace("ํา", "ำ")
