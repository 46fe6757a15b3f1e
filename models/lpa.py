"""The five aspects of the Local Performance Assessment (LPA) that a medium may help raise. Pure."""

from __future__ import annotations

import re
from enum import StrEnum


class LpaAspect(StrEnum):
    management = "management"
    personnel = "personnel"
    finance = "finance"
    public_services = "public_services"
    governance = "governance"

    @property
    def name_th(self) -> str:
        return _NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _NAMES[self][1]

    @property
    def label(self) -> str:
        return f"{self.name_th} ({self.name_en})"


_NAMES: dict[LpaAspect, tuple[str, str]] = {
    LpaAspect.management: ("ด้านการบริหารจัดการ", "management"),
    LpaAspect.personnel: ("ด้านการบริหารงานบุคคลและกิจการสภา", "personnel and council affairs"),
    LpaAspect.finance: ("ด้านการบริหารงานการเงินและการคลัง", "finance and fiscal administration"),
    LpaAspect.public_services: ("ด้านการบริการสาธารณะ", "public services"),
    LpaAspect.governance: ("ด้านธรรมาภิบาล", "good governance"),
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


_LOOKUP: dict[str, LpaAspect] = {}
for _aspect, (_th, _en) in _NAMES.items():
    for _name in (_aspect.value, _th, _th.removeprefix("ด้าน"), _en):
        _LOOKUP[_key(_name)] = _aspect


def parse_aspect(text: str) -> LpaAspect:
    """An aspect from its key, Thai name (with or without ด้าน) or English name."""
    found = _LOOKUP.get(_key(text))
    if found is None:
        choices = "; ".join(a.label for a in LpaAspect)
        raise ValueError(f"unknown LPA aspect {text!r}; use one of: {choices}")
    return found


class LaoType(StrEnum):
    """The three kinds of Local Administrative Organization."""

    pao = "อบจ."  # องค์การบริหารส่วนจังหวัด
    municipality = "เทศบาล"  # เทศบาลนคร / เมือง / ตำบล
    sao = "อบต."  # องค์การบริหารส่วนตำบล


_LAO_TYPE_WORDS: tuple[tuple[str, LaoType], ...] = (
    ("องค์การบริหารส่วนจังหวัด", LaoType.pao),
    ("อบจ", LaoType.pao),
    ("pao", LaoType.pao),
    ("องค์การบริหารส่วนตำบล", LaoType.sao),
    ("อบต", LaoType.sao),
    ("sao", LaoType.sao),
    ("เทศบาล", LaoType.municipality),
    ("ทน.", LaoType.municipality),
    ("ทม.", LaoType.municipality),
    ("ทต.", LaoType.municipality),
    ("municipality", LaoType.municipality),
)


def lao_type_of(text: str) -> LaoType | None:
    """The LAO type a cell or an LAO's name starts with (`อบต.บ้านใหม่`, `เทศบาลตำบลแม่ริม`), if any."""
    t = text.strip().lower()
    for word, kind in _LAO_TYPE_WORDS:
        if t.startswith(word):
            return kind
    return None
