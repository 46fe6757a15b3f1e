"""The fixed wording of Form 1 and Form 2, written once: every heading, label, column title and fixed sentence.

Pure data (no I/O). Two kinds of text:

- labels (`Form1Labels`, `Form2Labels`): what the renderers print as they are. `models.forms` hands each form
  its labels, in the form's digits, as `ctx.labels`; the Jinja templates (PDF) and `tasks/render/docx.py`
  (.docx) print only those, so a change here changes both files alike.
- sentences with `{placeholders}`: `models.forms` fills them with a form's data (its round and office, a
  medium's number, the survey's counts) into the context's fields.

Digits are written Arabic here; a form that prints Thai digits (the default) gets them Thai (`localized`).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from kpi6.models.inputs import MediaFormat
from kpi6.models.survey import BandScheme
from kpi6.models.thai import digits


class Wording(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FormLabels(Wording):
    """What both forms print around their data: the office line, the steps table, the signature."""

    office: str = "หน่วยงาน"
    step_columns: tuple[str, ...] = ("ขั้นตอน", "การดำเนินงาน", "กำหนดแล้วเสร็จ", "วันที่ดำเนินการ")
    report_date: str = "รายงาน ณ วันที่"
    signed: str = "ลงชื่อ ............................ ผู้รายงาน"


class MediumLabels(Wording):
    """The row labels of a medium's table in Form 1, in the order they print."""

    title: str = "ชื่อเรื่อง"
    aspect: str = "ด้านที่ช่วยยกระดับผลการประเมิน LPA"
    background: str = "ที่มา/สาเหตุ"
    content: str = "เนื้อหา (ความรู้ แนวทาง และวิธีปฏิบัติ)"
    agency: str = "หน่วยงานผู้จัดทำ"
    format: str = "รูปแบบสื่อ"


class Form1Labels(FormLabels):
    """Form 1's section headings and column titles."""

    plan: str = "1. แผนและขั้นตอนการดำเนินงาน"
    plan_columns: tuple[str, ...] = ("ที่", "กิจกรรม", "ระยะเวลา", "ผู้รับผิดชอบ")
    steps: str = "2. การดำเนินงานตามขั้นตอนที่ 1 - 3"
    media: str = "3. สื่อเพื่อส่งเสริม พัฒนา และสร้างความเข้มแข็งให้องค์กรปกครองส่วนท้องถิ่น จำนวน 2 เรื่อง"
    medium: MediumLabels = MediumLabels()


class Form2Labels(FormLabels):
    """Form 2's section headings, column titles and the survey's captions (printed when there is a survey)."""

    steps: str = "1. การดำเนินงานตามขั้นตอนที่ 4 - 5"
    strategy: str = "2. ยุทธศาสตร์การนำสื่อไปชี้แจง ถ่ายทอด และแนะนำ"
    events: str = "3. การนำสื่อไปชี้แจง ถ่ายทอด และแนะนำให้องค์กรปกครองส่วนท้องถิ่น"
    event_columns: tuple[str, ...] = ("ที่", "วันที่", "ช่องทาง", "อปท. (แห่ง)", "ผู้เข้าร่วม (คน)", "รายละเอียด")
    events_total: str = "รวม (อปท. นับไม่ซ้ำ)"
    satisfaction: str = "4. ผลการประเมินความพึงพอใจ"
    survey_columns: tuple[str, ...] = ("ประเด็นความพึงพอใจ", "ค่าเฉลี่ย", "S.D.", "ร้อยละพึงพอใจ", "ระดับ")
    survey_overall: str = "ภาพรวม"
    counts_caption: str = "จำนวนผู้ตอบจำแนกตามระดับความพึงพอใจ (ราย)"
    counts_item: str = "ประเด็น"
    comments: str = "ข้อเสนอแนะและความคิดเห็นของผู้ตอบแบบสำรวจ"
    results: str = "5. สรุปผลการดำเนินงาน"
    evidence: str = "6. หลักฐานการดำเนินงาน"


class HeaderWording(Wording):
    """The header both forms open with."""

    form_no: str = "แบบฟอร์ม {form}"
    title: str = "แบบรายงานผลการดำเนินงาน"
    steps: str = "(ขั้นตอนที่ {first} - {last})"
    indicator: str = (
        "ตัวชี้วัดที่ 6 ความสำเร็จของการจัดทำสื่อเพื่อส่งเสริม พัฒนา และสร้างความเข้มแข็งให้องค์กรปกครองส่วนท้องถิ่น "
        "รวมทั้งช่วยยกระดับผลการประเมินประสิทธิภาพขององค์กรปกครองส่วนท้องถิ่น (LPA)"
    )
    period: str = "รอบการประเมินที่ {round} ประจำปีงบประมาณ พ.ศ. {year}"
    department: str = "กรมส่งเสริมการปกครองท้องถิ่น"
    office: str = "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{province}"


class SignatureWording(Wording):
    """The signer's lines, and the dotted lines to sign on when the office named no signer."""

    name: str = "({name})"
    no_name: str = "(" + "." * 30 + ")"
    no_position: str = "ตำแหน่ง " + "." * 30


class Form1Wording(Wording):
    labels: Form1Labels = Form1Labels()
    plan_evidence: str = "แผนและขั้นตอนการดำเนินงาน"
    medium: str = "สื่อเรื่องที่ {number}"
    format_names: dict[MediaFormat, str] = {
        MediaFormat.infographic: "อินโฟกราฟิก (Infographic)",
        MediaFormat.ebook: "หนังสืออิเล็กทรอนิกส์ (e-Book)",
        MediaFormat.handbook: "คู่มือ (Handbook)",
        MediaFormat.video: "คลิปวิดีโอ (Video clip)",
        MediaFormat.website: "เว็บไซต์ (Website)",
        MediaFormat.other: "สื่ออื่น ๆ (Other)",
    }


class Form2Wording(Wording):
    labels: Form2Labels = Form2Labels()
    more_laos: str = "และอีก {count} แห่ง"
    laos_of_type: str = "{type}\u00a0{count}\u00a0แห่ง"
    respondents: str = "ผู้ตอบแบบสำรวจ {count} ราย"
    respondents_by_type: str = "ผู้ตอบแบบสำรวจ {count} ราย ({by_type})"
    respondents_of_type: str = "{type} {count} ราย"
    coverage: str = "อปท. ที่ตอบแบบสำรวจ {answered} แห่ง จาก {disseminated} แห่งที่ได้รับการเผยแพร่ คิดเป็นร้อยละ {percent}"
    band_notes: dict[BandScheme, str] = {
        BandScheme.width_0_8: "เกณฑ์การแปลผลค่าเฉลี่ย: 4.21 - 5.00 มากที่สุด, 3.41 - 4.20 มาก, 2.61 - 3.40 ปานกลาง, "
        "1.81 - 2.60 น้อย, 1.00 - 1.80 น้อยที่สุด",
        BandScheme.width_0_5: "เกณฑ์การแปลผลค่าเฉลี่ย: 4.51 - 5.00 มากที่สุด, 3.51 - 4.50 มาก, 2.51 - 3.50 ปานกลาง, "
        "1.51 - 2.50 น้อย, 1.00 - 1.50 น้อยที่สุด",
    }
    chart_title: str = "ค่าเฉลี่ยความพึงพอใจรายข้อ (คะแนนเต็ม 5)"
    repeated_comment: str = "{comment} ({count} ราย)"
    more_comments: str = "และความคิดเห็นอื่นอีก {count:,} รายการ (ดูไฟล์ผลการสำรวจในหลักฐาน)"
    no_survey: str = "ยังไม่มีผลการสำรวจความพึงพอใจรายข้อ"
    results: str = (
        "สำนักงานได้นำสื่อไปชี้แจง ถ่ายทอด และแนะนำให้องค์กรปกครองส่วนท้องถิ่น จำนวน {events} ครั้ง "
        "รวม {laos:,} แห่ง ผู้เข้าร่วม {people:,} คน และสำรวจความพึงพอใจ มีผู้ตอบแบบสำรวจ {respondents:,} ราย"
    )
    results_satisfaction: str = "ความพึงพอใจโดยรวมอยู่ในระดับ{band} (ค่าเฉลี่ย {mean} ร้อยละ {percent} พึงพอใจในระดับมากขึ้นไป)"
    dissemination_evidence: str = "หลักฐานการนำสื่อไปชี้แจง ถ่ายทอด และแนะนำ"
    survey_evidence: str = "หลักฐานการประเมินความพึงพอใจ"


class FormsWording(Wording):
    """All the fixed wording of both forms."""

    header: HeaderWording = HeaderWording()
    signature: SignatureWording = SignatureWording()
    form1: Form1Wording = Form1Wording()
    form2: Form2Wording = Form2Wording()


WORDING = FormsWording()

W = TypeVar("W", bound=Wording)


def _digits_in(value: object, *, arabic: bool) -> object:
    if isinstance(value, str):
        return digits(value, arabic=arabic)
    if isinstance(value, dict):
        return {k: _digits_in(v, arabic=arabic) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_digits_in(v, arabic=arabic) for v in value)
    return value


def localized(wording: W, *, arabic: bool) -> W:
    """The same wording in the document's digits: Thai unless it prints Arabic ones."""
    return type(wording).model_validate(_digits_in(wording.model_dump(), arabic=arabic))
