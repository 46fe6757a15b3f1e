"""The Thai holidays kept in the data folder (tasks/adapters/holiday_cache.py): a read-only command then counts
working days without importing the `holidays` package, and counts them exactly as the package would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from datetime import date
from kpi6.tasks.adapters import holiday_cache
from kpi6.models.calendar import WorkingDayCalendar, thai_year
holiday_cache.prime([2023, 2024, 2025])
imported = "holidays" in sys.modules
cal = WorkingDayCalendar()
print(json.dumps({
    "imported": imported,
    "days": {str(y): {d.isoformat(): n for d, n in thai_year(y).items()} for y in (2023, 2024, 2025)},
    "late": cal.working_days_after(date(2023, 12, 1), date(2025, 6, 30)),
}))
"""


def probe(data: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "KPI6_DATA_DIR": str(data)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_years_are_kept_once_and_then_read_without_the_package_with_the_same_days(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kpi6.tasks.adapters.holiday_cache import installed_release

    first = probe(tmp_path)
    assert first["imported"]  # built by the package, then kept
    kept = json.loads((tmp_path / "cache" / "thai-holidays.json").read_text(encoding="utf-8"))
    assert kept["release"] == installed_release() and kept["release"].startswith("holidays-")
    assert set(kept["years"]) == {"2023:th", "2024:th", "2025:th"}
    assert kept["years"]["2024:th"]["2024-05-10"]  # the Royal Ploughing Ceremony: a government holiday
    second = probe(tmp_path)
    assert not second["imported"]
    assert second["days"] == first["days"] and second["late"] == first["late"]


def test_a_file_of_another_release_or_not_ours_is_ignored_and_written_anew(tmp_path) -> None:  # type: ignore[no-untyped-def]
    truth = probe(tmp_path / "clean")
    path = tmp_path / "data" / "cache" / "thai-holidays.json"
    path.parent.mkdir(parents=True)
    forged = {"release": "holidays-0.0", "years": {"2024:th": {"2024-06-03": "วันหยุดปลอม"}}}
    for content in (json.dumps(forged), "{not json", "x" * 2_000_000):
        path.write_text(content, encoding="utf-8")
        seen = probe(tmp_path / "data")
        assert seen["imported"] and seen["days"] == truth["days"] and seen["late"] == truth["late"]
        assert json.loads(path.read_text(encoding="utf-8"))["release"] != "holidays-0.0"
    path.unlink()
    os.mkfifo(path)  # a FIFO would hang an open that waits for a writer: it is refused, then replaced
    seen = probe(tmp_path / "data")
    assert seen["imported"] and seen["days"] == truth["days"] and path.is_file()
    target = tmp_path / "elsewhere.json"
    release = json.loads(path.read_text(encoding="utf-8"))["release"]
    target.write_text(json.dumps({**forged, "release": release}, ensure_ascii=False), encoding="utf-8")
    path.unlink()
    path.symlink_to(target)  # a link is not followed: the forged days behind it are never used
    seen = probe(tmp_path / "data")
    assert seen["imported"] and seen["days"] == truth["days"]
    assert not path.is_symlink() and "วันหยุดปลอม" in target.read_text(encoding="utf-8")
