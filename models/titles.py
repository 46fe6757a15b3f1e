"""What a form built from kpi6's input models (the Prefect UI's run form) calls each field and section. Pure."""

from __future__ import annotations

from pydantic import ConfigDict

# What a form built from these models (the Prefect UI's run form) calls each field and section: Thai first, English
# beside. A field not listed keeps pydantic's title; a title is only a label, never a rule.
FIELD_TITLES = {
    "plan": "ขั้นตอนที่ ๑ แผนและขั้นตอนการดำเนินงาน · plan",
    "media": "ขั้นตอนที่ ๒ สื่อ ๒ เรื่อง · media",
    "form1": "ขั้นตอนที่ ๓ แบบฟอร์ม ๑ · Form 1",
    "dissemination": "ขั้นตอนที่ ๔ การเผยแพร่และความพึงพอใจ · dissemination",
    "form2": "ขั้นตอนที่ ๕ แบบฟอร์ม ๒ · Form 2",
    "activities": "กิจกรรม · activities",
    "activity": "กิจกรรม · activity",
    "start": "วันเริ่ม · start",
    "end": "วันสิ้นสุด · end",
    "responsible": "ผู้รับผิดชอบ · responsible",
    "topics": "เรื่องที่เลือก · topics",
    "title": "ชื่อเรื่อง · title",
    "aspect": "ด้านของ LPA · LPA aspect",
    "lpa_aspect": "ด้านของ LPA ที่ช่วยยกระดับ · LPA aspect",
    "format": "รูปแบบ · format",
    "indicators": "ตัวชี้วัด LPA · indicators",
    "background": "ความเป็นมา/สาเหตุ · background",
    "content": "เนื้อหา ความรู้ แนวทาง · content",
    "agency": "หน่วยงานที่จัดทำ · producing agency",
    "key_points": "ประเด็นสำคัญ · key points",
    "link": "ลิงก์ของสื่อ · link",
    "file": "ไฟล์สื่อบนเซิร์ฟเวอร์ · file",
    "evidence": "หลักฐาน (ลิงก์หรือไฟล์) · evidence",
    "done_at": "วันเวลาที่เสร็จ · done at",
    "submitted_at": "วันเวลาที่ส่ง · submitted at",
    "channel": "ช่องทาง · channel",
    "channel_detail": "รายละเอียดช่องทาง · channel detail",
    "signer_name": "ชื่อผู้ลงนาม · signer",
    "signer_position": "ตำแหน่งผู้ลงนาม · signer's position",
    "summary": "สรุปผล · summary",
    "arabic_digits": "ใช้เลขอารบิก · Arabic digits",
    "events": "การเผยแพร่แต่ละครั้ง · events",
    "events_file": "ไฟล์รายการเผยแพร่บนเซิร์ฟเวอร์ · events file",
    "date": "วันที่ · date",
    "laos": "อปท. ที่ได้รับสื่อ · LAOs",
    "laos_by_type": "จำนวน อปท. ตามประเภท · LAOs by type",
    "laos_reached": "จำนวน อปท. · LAOs reached",
    "laos_total": "จำนวน อปท. ทั้งหมดที่ได้รับสื่อ · LAOs in all",
    "participants": "ผู้เข้าร่วม (คน) · participants",
    "description": "รายละเอียด · description",
    "strategy": "กลยุทธ์การเผยแพร่ · strategy",
    "survey_respondents": "จำนวนผู้ตอบแบบสำรวจ · respondents",
    "satisfaction": "ผลความพึงพอใจรายข้อ · satisfaction counts",
    "survey_file": "ไฟล์แบบสำรวจบนเซิร์ฟเวอร์ · survey export",
    "source": "ไฟล์ · source",
    "skip_invalid": "ข้ามแถวที่ไม่ถูกต้อง · skip invalid rows",
    "columns": "ชื่อคอลัมน์ · columns",
    "item": "ข้อคำถาม · item",
    "counts": "จำนวนผู้ตอบ มากที่สุด มาก ปานกลาง น้อย น้อยที่สุด · counts per level",
    "timestamp": "คอลัมน์วันเวลา · timestamp column",
    "lao_name": "คอลัมน์ชื่อ อปท. · LAO name column",
    "lao_type": "คอลัมน์ประเภท อปท. · LAO type column",
    "position": "คอลัมน์ตำแหน่งผู้ตอบ · position column",
    "ratings": "คอลัมน์ข้อคำถาม · rating columns",
    "comments": "คอลัมน์ข้อเสนอแนะ · comment columns",
    "optional": "ข้อที่ตอบหรือไม่ก็ได้ · optional items",
}
MODEL_TITLES = {
    "PlanActivity": "กิจกรรม · activity",
    "PlanTopic": "เรื่องที่เลือก · topic",
    "PlanInput": "แผน · plan",
    "MediaInput": "สื่อ · medium",
    "MediaSetInput": "สื่อ ๒ เรื่อง · media",
    "ReportInput": "รายงาน · report",
    "DisseminationEvent": "การเผยแพร่ · event",
    "SurveySource": "ไฟล์แบบสำรวจ · survey export",
    "DisseminationInput": "การเผยแพร่และความพึงพอใจ · dissemination",
    "ProvinceInputs": "ข้อมูลของแต่ละขั้นตอน · inputs",
    "SatisfactionItem": "ผลความพึงพอใจหนึ่งข้อ · satisfaction item",
    "SurveyColumns": "ชื่อคอลัมน์ของแบบสำรวจ · survey columns",
}


def _field_title(name: str, info: object) -> str:
    return FIELD_TITLES.get(name) or name.replace("_", " ").capitalize()


def _model_title(model: type) -> str:
    return MODEL_TITLES.get(model.__name__, model.__name__)


# A model's config takes these (`ConfigDict(..., **FORM_TITLES)`) to be titled in Thai in the form.
FORM_TITLES = ConfigDict(field_title_generator=_field_title, model_title_generator=_model_title)
