"""The 76 provincial offices (every province but Bangkok) and look-up by code, Thai or English name."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

from pydantic import BaseModel, ConfigDict

from kpi6.models.errors import UnknownProvinceError

# Prefixes a clerk may type before a Thai province name ("จังหวัดเชียงใหม่", "จ.เชียงใหม่").
_THAI_PREFIXES = ("จังหวัด", "จ.")
_BANGKOK = {"bangkok", "กรุงเทพมหานคร", "กรุงเทพฯ", "กรุงเทพ", "th10", "10", "bkk"}


class Province(BaseModel):
    """One provincial office, named by its ISO 3166-2:TH code."""

    model_config = ConfigDict(frozen=True)

    code: str
    name_th: str
    name_en: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.name_th}"


def _key(text: str) -> str:
    """Case-, space- and punctuation-insensitive key ("chon buri" == "Chonburi" == " CHON-BURI ")."""
    text = text.strip().casefold()
    for prefix in _THAI_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return re.sub(r"[\s\-_.']+", "", text)


@dataclass(frozen=True)
class ProvinceRegistry:
    """Look-up over a fixed list of provinces."""

    provinces: tuple[Province, ...]

    @classmethod
    def from_csv(cls, text: str) -> ProvinceRegistry:
        rows = csv.DictReader(io.StringIO(text))
        return cls(tuple(Province(**row) for row in rows))

    @cached_property
    def _index(self) -> dict[str, Province]:
        index: dict[str, Province] = {}
        for p in self.provinces:
            for name in (p.code, p.code.removeprefix("TH-"), p.name_th, p.name_en, p.label):
                index[_key(name)] = p
        return index

    def get(self, query: str) -> Province:
        """The province named by code ("TH-50", "50"), Thai or English name, or its label ("TH-50 เชียงใหม่", as the
        Prefect UI's form offers it); else a clear error."""
        found = self._index.get(_key(query))
        if found is not None:
            return found
        if _key(query) in _BANGKOK:
            raise UnknownProvinceError(
                f"{query!r} is Bangkok, which has no provincial office under indicator 6; "
                "choose one of the 76 provinces in `kpi6 provinces`"
            )
        names = [p.name_en for p in self.provinces] + [p.name_th for p in self.provinces]
        close = difflib.get_close_matches(query.strip(), names, n=3, cutoff=0.5)
        if not close:
            close = [n for n in names if _key(query) and _key(query)[:3] in _key(n)][:3]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownProvinceError(
            f"unknown province {query!r} (ไม่พบจังหวัดนี้).{hint} "
            "Use an ISO code like TH-50, or a name from `kpi6 provinces`."
        )

    def __iter__(self) -> Iterator[Province]:
        return iter(self.provinces)

    def __len__(self) -> int:
        return len(self.provinces)


@cache
def registry() -> ProvinceRegistry:
    """The 76 offices from the packaged data file (read once)."""
    text = resources.files("kpi6.models").joinpath("data/provinces.csv").read_text(encoding="utf-8")
    return ProvinceRegistry.from_csv(text)
