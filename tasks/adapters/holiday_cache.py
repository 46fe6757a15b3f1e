"""The Thai holidays of the years a round spans, kept in a small file in the data folder, so a read-only command
does not import the `holidays` package (about 90 ms of its 0.5 s): `prime` seeds models.calendar from the file and
adds the years it lacks. The file is keyed by the installed package's release (its dist-info folder's name): a new
release (new cabinet holidays) is asked again. A file that is unreadable, too large, a link or a FIFO (read as every
file kpi6 reads: `files.read_regular`), of another release or not in this shape is ignored and written anew."""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ValidationError

from kpi6.models.calendar import remember_thai_year, thai_year
from kpi6.models.errors import Kpi6Error
from kpi6.settings import get_settings
from kpi6.tasks.adapters.files import read_regular

MAX_BYTES = 1_000_000  # a few years of about 30 days each; anything larger is not ours


class _Kept(BaseModel):
    release: str
    years: dict[str, dict[date, str]]  # "<year>:<language>" -> day -> name


def installed_release() -> str | None:
    """The `holidays` distribution installed beside the package, e.g. `holidays-0.109`, found without importing
    it; None if it cannot be told (then nothing is kept)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    found = sorted(p.name.removesuffix(".dist-info") for p in site.glob("holidays-*.dist-info"))
    return found[0] if len(found) == 1 else None


def cache_path() -> Path:
    return get_settings().data_dir / "cache" / "thai-holidays.json"


def _read(path: Path, release: str) -> dict[str, dict[date, str]]:
    try:
        kept = _Kept.model_validate_json(read_regular(path, what="holiday cache", max_bytes=MAX_BYTES))
    except (Kpi6Error, OSError, ValidationError):
        return {}
    return kept.years if kept.release == release else {}


def _write(path: Path, kept: _Kept) -> None:
    """Whole or not at all (a new temporary file, then renamed over the old one; a link there is replaced, not
    followed); a folder that cannot be written leaves the next command to build the years again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(kept.model_dump(mode="json"), ensure_ascii=False))
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


_primed: set[tuple[int, str]] = set()  # years this process has seeded or built: the portal opens a round per page


def prime(years: Iterable[int], language: str = "th") -> None:
    """Seed models.calendar with `years` from the file; build the ones it lacks and keep them for next time."""
    wanted = {(y, language) for y in years}
    if wanted <= _primed:
        return
    _primed.update(wanted)
    release = installed_release()
    if release is None:
        return
    path = cache_path()
    years_kept = _read(path, release)
    for key, days in years_kept.items():
        year, _, lang = key.partition(":")
        if year.isdigit():
            remember_thai_year(int(year), lang, days)
    missing = sorted(y for y, _ in wanted if f"{y}:{language}" not in years_kept)
    if missing:
        built = {f"{y}:{language}": dict(thai_year(y, language)) for y in missing}
        _write(path, _Kept(release=release, years=years_kept | built))
