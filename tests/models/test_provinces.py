"""The 76 provincial offices and look-up by ISO code, Thai name or English name."""

from __future__ import annotations

import re

import pytest

from kpi6.models.errors import Kpi6Error, UnknownProvinceError
from kpi6.models.provinces import Province, ProvinceRegistry, registry


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # type: ignore[no-untyped-def]
    """Overrides conftest's session-wide Prefect harness: these tests are pure and need no server."""
    yield


# ISO 3166-2:TH province codes, Bangkok (TH-10) and Pattaya (TH-S) excluded.
EXPECTED_CODES = (
    [f"TH-{n}" for n in range(11, 20)]
    + [f"TH-{n}" for n in range(20, 28)]
    + [f"TH-{n}" for n in range(30, 50)]
    + [f"TH-{n}" for n in range(50, 59)]
    + [f"TH-{n}" for n in range(60, 68)]
    + [f"TH-{n}" for n in range(70, 78)]
    + [f"TH-{n}" for n in range(80, 87)]
    + [f"TH-{n}" for n in range(90, 97)]
)


def test_seventy_six_provinces() -> None:
    assert len(registry()) == 76
    assert len(list(registry())) == 76


def test_codes_are_the_iso_province_codes_without_bangkok() -> None:
    codes = [p.code for p in registry()]
    assert sorted(codes) == sorted(EXPECTED_CODES)
    assert all(re.fullmatch(r"TH-\d\d", c) for c in codes)


def test_codes_and_names_are_unique_and_non_empty() -> None:
    provinces = list(registry())
    for attr in ("code", "name_th", "name_en"):
        values = [getattr(p, attr) for p in provinces]
        assert all(v.strip() == v and v for v in values), attr
        assert len(set(values)) == 76, f"duplicate {attr}"


def test_bangkok_is_absent() -> None:
    assert "TH-10" not in {p.code for p in registry()}
    assert "Bangkok" not in {p.name_en for p in registry()}
    assert "กรุงเทพมหานคร" not in {p.name_th for p in registry()}


def test_some_provinces_are_present() -> None:
    by_code = {p.code: p for p in registry()}
    assert by_code["TH-50"].name_en == "Chiang Mai"
    assert by_code["TH-50"].name_th == "เชียงใหม่"
    assert by_code["TH-38"].name_en == "Bueng Kan"  # the newest province (2011)
    assert by_code["TH-96"].name_th == "นราธิวาส"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("Bangkok", id="english"),
        pytest.param("  bangkok ", id="english-spaces-lowercase"),
        pytest.param("กรุงเทพมหานคร", id="thai"),
        pytest.param("กรุงเทพฯ", id="thai-short"),
        pytest.param("TH-10", id="iso-code"),
        pytest.param("10", id="number"),
    ],
)
def test_asking_for_bangkok_gives_a_clear_error(query: str) -> None:
    with pytest.raises(UnknownProvinceError) as info:
        registry().get(query)
    msg = str(info.value)
    assert "Bangkok" in msg
    assert "76" in msg
    assert isinstance(info.value, Kpi6Error)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("TH-50", "TH-50", id="iso-code"),
        pytest.param("50", "TH-50", id="number-only"),
        pytest.param("th-50", "TH-50", id="lowercase-code"),
        pytest.param(" TH-50 ", "TH-50", id="code-with-spaces"),
        pytest.param("TH-11", "TH-11", id="first-code"),
        pytest.param("96", "TH-96", id="last-number"),
        pytest.param("เชียงใหม่", "TH-50", id="thai-name"),
        pytest.param("จังหวัดเชียงใหม่", "TH-50", id="thai-name-with-changwat-prefix"),
        pytest.param("จังหวัด เชียงใหม่", "TH-50", id="thai-prefix-then-space"),
        pytest.param("จ.เชียงใหม่", "TH-50", id="thai-abbreviated-prefix"),
        pytest.param("ชลบุรี", "TH-20", id="thai-name-chon-buri"),
        pytest.param("Chon Buri", "TH-20", id="english-official"),
        pytest.param("chon buri", "TH-20", id="english-lowercase"),
        pytest.param("Chonburi", "TH-20", id="english-no-space"),
        pytest.param("CHON-BURI", "TH-20", id="english-hyphen-upper"),
        pytest.param(" CHIANG MAI ", "TH-50", id="english-upper-padded"),
        pytest.param("chiangmai", "TH-50", id="english-joined"),
        pytest.param("Phra Nakhon Si Ayutthaya", "TH-14", id="english-long-name"),
        pytest.param("Bueng Kan", "TH-38", id="bueng-kan"),
    ],
)
def test_lookup(query: str, code: str) -> None:
    found = registry().get(query)
    assert isinstance(found, Province)
    assert found.code == code


def test_lookup_returns_the_same_province_every_way() -> None:
    r = registry()
    assert r.get("TH-50") == r.get("เชียงใหม่") == r.get("Chiang Mai") == r.get("50")
    assert r.get("TH-50").label == "TH-50 เชียงใหม่"


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        pytest.param("Chiang Mia", "Chiang Mai", id="typo-chiang-mai"),
        pytest.param("Chon Bur", "Chon Buri", id="truncated-chon-buri"),
        pytest.param("Nakhon Ratchasim", "Nakhon Ratchasima", id="truncated-korat"),
        pytest.param("เชียงให", "เชียงใหม่", id="thai-typo"),
    ],
)
def test_unknown_name_suggests_close_matches(query: str, suggestion: str) -> None:
    with pytest.raises(UnknownProvinceError) as info:
        registry().get(query)
    msg = str(info.value)
    assert "unknown province" in msg
    assert repr(query) in msg
    assert "Did you mean" in msg
    hint = msg.split("Did you mean:", 1)[1]
    assert suggestion in hint


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("Atlantis", id="made-up"),
        pytest.param("TH-99", id="unused-code"),
        pytest.param("TH-S", id="pattaya-special-city"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
    ],
)
def test_unknown_province_raises(query: str) -> None:
    with pytest.raises(UnknownProvinceError, match="unknown province"):
        registry().get(query)


def test_registry_from_csv() -> None:
    r = ProvinceRegistry.from_csv("code,name_th,name_en\nTH-50,เชียงใหม่,Chiang Mai\n")
    assert len(r) == 1
    assert r.get("chiang mai").code == "TH-50"
    with pytest.raises(UnknownProvinceError):
        r.get("Chiang Rai")


def test_province_is_immutable() -> None:
    p = registry().get("TH-50")
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen models
        p.code = "TH-51"  # type: ignore[misc]
    assert registry().get("TH-50").code == "TH-50"
