"""Form 1 and Form 2 as users see them: same content in .docx and .pdf, correct Thai, QR codes that scan."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from kpi6.tasks.render.documents import render_form_docx, render_form_pdf
from kpi6.tasks.render.pdf import LocalOnlyFetcher, RenderError, allowed_roots, embedded_font_names, html_to_pdf
from tests.support.docs import (
    decode_qr,
    docx_images,
    docx_text,
    form_contexts,
    pdf_images,
    pdf_pages,
    squash,
    text_fields,
)


@pytest.fixture(autouse=True)
def prefect_harness():  # pure rendering: no Prefect needed
    yield


@pytest.fixture(scope="module")
def rendered():
    f1, f2 = form_contexts()
    return {1: (f1, render_form_pdf(f1), render_form_docx(f1)), 2: (f2, render_form_pdf(f2), render_form_docx(f2))}


@pytest.mark.parametrize("form", [1, 2])
def test_every_field_of_the_context_is_in_both_files(rendered, form):
    ctx, pdf, docx = rendered[form]
    pdf_text, docx_text_ = squash("".join(pdf_pages(pdf))), squash(docx_text(docx))
    fields = text_fields(ctx)
    assert len(fields) > 30
    missing_pdf = [f for f in fields if squash(f) not in pdf_text]
    missing_docx = [f for f in fields if squash(f) not in docx_text_]
    assert missing_pdf == [] and missing_docx == []


def test_arabic_digits_option_changes_both_files():
    f1, _ = form_contexts(arabic=True)
    pdf_text, docx_t = "".join(pdf_pages(render_form_pdf(f1))), docx_text(render_form_docx(f1))
    for text in (pdf_text, docx_t):
        assert "9 กุมภาพันธ์ 2567" in text
        assert "๒๕๖๗" not in text


def test_thai_digits_and_buddhist_era_dates_by_default(rendered):
    _, pdf, docx = rendered[1]
    for text in ("".join(pdf_pages(pdf)), docx_text(docx)):
        assert "๙ กุมภาพันธ์ ๒๕๖๗" in text
        # Arabic digits only inside links (QR text) and the LPA acronym's neighbours, never in dates.
        without_links = re.sub(r"https?://\S+", "", text)
        assert not re.search(r"[0-9]", without_links.replace("LPA", "")), re.findall(r".{10}[0-9].{10}", without_links)[
            :3
        ]


@pytest.mark.parametrize(
    "text",
    [
        "ดำเนินงาน การ น้ำ ที่ หนี้ ผู้ใหญ่ ป้ำ น้ำ",  # ำ before the first า
        "การ ดำเนินงาน น้ำ ที่ หนี้ ผู้ใหญ่ ป้ำ น้ำ",  # า before the first ำ
    ],
)
def test_thai_extracts_back_as_written(text):
    pdf = html_to_pdf(f"<body style='font-family:Sarabun;font-size:16pt'><p>{text}</p><p><b>{text}</b></p></body>")
    out = pdf_pages(pdf)[0]
    assert squash(out) == squash(text + text)
    assert "กำร" not in out and "ดาเนิน" not in out
    assert "".join(out.split()) == "".join((text + text).split())  # even without NFKC: search finds ดำเนินงาน


@pytest.mark.parametrize("weight", [400, 700])
@pytest.mark.parametrize("size", [16, 30])
def test_stacked_marks_stay_in_their_word_for_readers_that_order_by_position(size, weight):
    text = "คู่มือการขึ้นทะเบียนทางหลวงท้องถิ่น น้ำที่ผู้ใหญ่ขึ้นลงทั้งนี้ตั้งแต่ ปั้น ตั๋ว ญี่ปุ่น ปฏิบัติ"
    pdf = html_to_pdf(
        f"<body style='font-family:Sarabun;font-size:{size}pt;font-weight:{weight};width:8cm'><p>{text}</p></body>"
    )
    assert "".join(pdf_pages(pdf)[0].split()) == "".join(text.split())


def test_lines_break_between_thai_words_never_inside_one():
    words = [
        "จังหวัด",
        "องค์กร",
        "ท้องถิ่น",
        "น้ำ",
        "ประชาชน",
        "หนี้",
        "ที่",
        "ผู้ใหญ่",
        "ถนน",
        "โรงเรียน",
        "ขยะ",
        "รายได้",
        "ตรวจสอบ",
        "คุณภาพ",
        "บริการ",
        "สาธารณะ",
    ]
    seq = [words[(i * 7) % len(words)] for i in range(150)]
    pdf = html_to_pdf(f"<body style='font-family:Sarabun;font-size:16pt;width:6cm'><p>{''.join(seq)}</p></body>")
    lines = [unicodedata.normalize("NFKC", line) for line in "".join(pdf_pages(pdf)).split("\r\n")]
    assert len(lines) > 20
    bounds, pos = set(), 0
    for w in seq:
        pos += len(unicodedata.normalize("NFKC", w))
        bounds.add(pos)
    pos, inside = 0, []
    for line in lines[:-1]:
        pos += len(line)
        if pos not in bounds:
            inside.append(line)
    assert inside == []
    assert "".join(lines) == unicodedata.normalize("NFKC", "".join(seq))


@pytest.mark.parametrize("width", [5.0, 5.5, 6.0, 6.5, 7.0])
def test_the_compound_tua_chi_wat_is_never_split_across_lines(width):
    """ตัวชี้วัด is three dictionary words (ตัว ชี้ วัด) to the line breaker, one word to a reader."""
    text = "ผลการประเมินตัวชี้วัดที่ 4.1 ของ อปท. ที่ไม่ผ่านตัวชี้วัดมีจำนวนมาก " * 6
    pdf = html_to_pdf(
        f"<html><head><title>ตัวชี้วัด</title></head><body style='font-family:Sarabun;"
        f"font-size:16pt;width:{width}cm'><p>{text}</p></body></html>"
    )
    lines = [unicodedata.normalize("NFKC", line) for line in "".join(pdf_pages(pdf)).split("\r\n")]
    assert len(lines) > 5
    assert not any(line.rstrip().endswith(("ตัว", "ตัวชี้")) for line in lines[:-1])
    assert "".join(lines).count("ตัวชี้วัด") == 12


def test_pdf_embeds_sarabun_and_nothing_else(rendered):
    for form in (1, 2):
        assert embedded_font_names(rendered[form][1]) == {"Sarabun", "Sarabun-Bold"}


def test_a_font_that_does_not_load_is_an_error_not_a_silent_fallback(monkeypatch, tmp_path):
    from kpi6.tasks.render import pdf as pdfmod

    missing = tmp_path / "Sarabun-Missing.ttf"
    monkeypatch.setattr(pdfmod, "font_files", lambda: {(400, "normal"): missing})
    monkeypatch.setattr(pdfmod, "allowed_roots", lambda: [pdfmod.TEMPLATES_DIR, tmp_path])
    monkeypatch.setattr(pdfmod, "_stylesheets", {})  # parsed font faces are kept per process
    monkeypatch.setattr(pdfmod, "_font_config", None)
    with pytest.raises(RenderError, match="font"):
        html_to_pdf("<body style='font-family:Sarabun'><p>ดำเนินงาน</p></body>")


def test_text_in_a_font_we_do_not_ship_is_refused():
    with pytest.raises(RenderError, match="DejaVu|embeds"):
        html_to_pdf("<body style='font-family:DejaVu Sans'><p>ดำเนินงาน LPA</p></body>")


@pytest.mark.parametrize("form", [1, 2])
def test_qr_codes_scan_back_to_the_evidence_links(rendered, form):
    ctx, pdf, docx = rendered[form]
    links = {ctx.plan_qr.url, *(m.qr.url for m in ctx.media)} if form == 1 else {e.url for e in ctx.evidence}
    from_pdf = {t for image in pdf_images(pdf) for t in decode_qr(image)}
    from_docx = {t for image in docx_images(docx) for t in decode_qr(image)}
    assert from_pdf == links
    assert from_docx == links
    # ...and each link is printed under its code as text.
    assert all(squash(link) in squash("".join(pdf_pages(pdf))) for link in links)


def test_pdf_is_a4_with_page_numbers_from_page_two(rendered):
    import pypdfium2 as pdfium

    _, pdf, _ = rendered[1]
    doc = pdfium.PdfDocument(pdf)
    width, height = doc[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert "- ๑ -" not in pages[0]
    assert pages[1].splitlines()[-1].strip() == "- ๒ -"  # drawn last, in the top margin box


def test_docx_runs_name_th_sarabun_new_as_complex_script_font(rendered):
    for form in (1, 2):
        doc = Document(io.BytesIO(rendered[form][2]))
        runs = list(doc.element.body.iter(qn("w:r"))) + list(doc.sections[0].header._element.iter(qn("w:r")))
        text_runs = [r for r in runs if r.find(qn("w:t")) is not None]
        assert len(text_runs) > 50
        for r in text_runs:
            rpr = r.find(qn("w:rPr"))
            fonts = rpr.find(qn("w:rFonts"))
            assert fonts.get(qn("w:cs")) == "TH Sarabun New"
            assert fonts.get(qn("w:ascii")) == "TH Sarabun New"
            assert rpr.find(qn("w:szCs")) is not None
            assert rpr.find(qn("w:lang")).get(qn("w:bidi")) == "th-TH"
            if re.search("[\u0e00-\u0e7f]", r.find(qn("w:t")).text):
                assert rpr.find(qn("w:cs")) is not None
        body_sizes = {r.find(qn("w:rPr")).find(qn("w:szCs")).get(qn("w:val")) for r in text_runs}
        assert "32" in body_sizes  # 16 pt body


def test_docx_defaults_and_normal_style_say_th_sarabun_new_without_theme_fonts(rendered):
    doc = Document(io.BytesIO(rendered[1][2]))
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    normal = doc.styles["Normal"].element.find(qn("w:rPr"))
    for rpr in (defaults, normal):
        fonts = rpr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:cs")) == "TH Sarabun New"
        assert not [k for k in fonts.keys() if k.endswith("Theme")]
        assert rpr.find(qn("w:szCs")).get(qn("w:val")) == "32"
        assert rpr.find(qn("w:lang")).get(qn("w:bidi")) == "th-TH"


def test_docx_page_is_a4_with_thai_official_margins_and_page_numbers(rendered):
    doc = Document(io.BytesIO(rendered[2][2]))
    s = doc.sections[0]

    def cm(length):  # stored in twips
        return round(length / Cm(1), 2)

    assert (cm(s.page_width), cm(s.page_height)) == (21, 29.7)
    assert (cm(s.left_margin), cm(s.right_margin), cm(s.top_margin), cm(s.bottom_margin)) == (3, 2, 2.5, 2)
    assert s.different_first_page_header_footer
    fields = [f.get(qn("w:instr")) for f in s.header._element.iter(qn("w:fldSimple"))]
    assert fields and fields[0].startswith("PAGE")


def test_user_text_is_escaped_and_reads_no_local_file():
    title = '<img src="file:///etc/passwd"><script>x</script>'
    f1, _ = form_contexts(title=title)
    pdf = render_form_pdf(f1)
    assert squash(title) in squash("".join(pdf_pages(pdf)))
    assert squash(title) in squash(docx_text(render_form_docx(f1)))


def test_fetcher_reads_only_templates_fonts_and_data():
    fetcher = LocalOnlyFetcher(allowed_roots())
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.org/a.css",
        (allowed_roots()[0] / ".." / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch((allowed_roots()[0] / "forms.css").as_uri()).read()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_raw_html_cannot_pull_a_local_file_into_the_pdf(tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text("<p>SECRET-TOKEN</p>")
    pdf = html_to_pdf(
        f"<body style='font-family:Sarabun'><p>ก</p><object data='{secret.as_uri()}'></object>"
        f"<iframe src='{secret.as_uri()}'></iframe><img src='file:///etc/hostname'></body>"
    )
    assert "SECRET-TOKEN" not in "".join(pdf_pages(pdf))


# Third-party text (a survey export's comments and questions) reaches the renderers unchecked: a character the
# font cannot draw is dropped (emoji, control characters) or replaced, never a crash at step 5.
ODD_COMMENTS = ["ดีมาก 👍👍", "ขอบคุณค่ะ\x07\x1b[0m", "เนื้อหา\x00ชัดเจน", "很好", "🙏", "ควรมีวิดีโอ\r\nเพิ่ม"]


def test_odd_characters_in_survey_comments_do_not_crash_either_renderer():
    from kpi6.models.forms import summarize_satisfaction
    from kpi6.models.survey import SurveyResult
    from tests.support.docs import SURVEY

    _, f2 = form_contexts()
    survey = SurveyResult(
        respondents=143,
        items=[SURVEY[0].model_copy(update={"item": "ความชัดเจน 😀\x07"}), SURVEY[1]],
        comments=ODD_COMMENTS,
    )
    f2 = f2.model_copy(update={"satisfaction": summarize_satisfaction(survey, arabic=False)})
    pdf, docx = render_form_pdf(f2), render_form_docx(f2)
    for text in (squash("".join(pdf_pages(pdf))), squash(docx_text(docx))):
        assert squash("ดีมาก") in text and squash("ขอบคุณค่ะ") in text and squash("เนื้อหาชัดเจน") in text
        assert squash("ควรมีวิดีโอ") in text and squash("ความชัดเจน") in text
        assert "👍" not in text and "\x07" not in text


def test_a_context_built_without_validation_still_renders_with_emoji_and_control_characters():
    f1, _ = form_contexts()
    media = [m.model_copy(update={"title": "คู่มือ 😀\x00\x07\x1b ทางหลวง"}) for m in f1.media]
    f1 = f1.model_copy(update={"media": media})
    pdf, docx = render_form_pdf(f1), render_form_docx(f1)
    assert squash("คู่มือทางหลวง") in squash("".join(pdf_pages(pdf)))
    assert squash("คู่มือทางหลวง") in squash(docx_text(docx))
    assert embedded_font_names(pdf) == {"Sarabun", "Sarabun-Bold"}


def test_a_link_as_long_as_the_inputs_accept_still_scans_from_the_printed_form():
    from kpi6.models.text import MAX_LINK_BYTES

    f1, _ = form_contexts()
    link = "https://evidence.example/2567-1/TH-50/" + "a" * (MAX_LINK_BYTES - 38)
    assert len(link.encode()) == MAX_LINK_BYTES
    f1.media[0].qr.url = link
    pdf = render_form_pdf(f1)
    assert link in {t for image in pdf_images(pdf, scale=200 / 72) for t in decode_qr(image)}  # a 200 dpi scan
