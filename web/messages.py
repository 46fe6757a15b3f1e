"""kpi6's errors as the one Thai sentence an office reads (the detail, in English, follows for DLA's staff)."""

from __future__ import annotations

from kpi6.models.errors import (
    DeliveryBusyError,
    DeliveryError,
    DeliveryUnknownError,
    InputError,
    Kpi6Error,
    OutputError,
    StepOrderError,
)

# Most specific first.
THAI = (
    (DeliveryUnknownError, "ไม่แน่ใจว่าอีเมลถึง สถ. แล้วหรือไม่ ระบบจะไม่ส่งซ้ำจนกว่า สถ. จะตรวจกล่องอีเมล กรุณาติดต่อ สถ."),
    (DeliveryBusyError, "มีการส่งรายงานฉบับนี้อยู่แล้ว กรุณารอสักครู่แล้วโหลดหน้าใหม่"),
    (DeliveryError, "ส่งอีเมลหรืออัปโหลดหลักฐานไม่สำเร็จ ระบบยังไม่บันทึกขั้นตอนนี้ กรุณาลองใหม่ภายหลัง"),
    (StepOrderError, "ยังทำขั้นตอนนี้ไม่ได้ กรุณาทำขั้นตอนก่อนหน้าให้เสร็จก่อน"),
    (OutputError, "ระบบเขียนไฟล์เอกสารไม่ได้ กรุณาแจ้งผู้ดูแลระบบของ สถ."),
    (InputError, "ข้อมูลที่กรอกไม่ถูกต้อง กรุณาแก้ไขตามรายละเอียดด้านล่างแล้วส่งใหม่"),
    (Kpi6Error, "ทำรายการไม่สำเร็จ กรุณาตรวจรายละเอียดด้านล่าง"),
)
UNEXPECTED = "เกิดข้อผิดพลาดในระบบ ระบบยังไม่บันทึกขั้นตอนนี้ กรุณาแจ้ง สถ. พร้อมรหัสงาน {run}"


def thai_message(exc: BaseException, *, run: str = "") -> tuple[str, str]:
    """The Thai sentence, and the detail to show under it (kpi6's own one line; nothing for an unexpected error,
    whose traceback goes to the log with the run's id)."""
    for kind, sentence in THAI:
        if isinstance(exc, kind):
            return sentence, str(exc)
    return UNEXPECTED.format(run=run), ""
