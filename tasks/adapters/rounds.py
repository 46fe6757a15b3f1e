"""Round configuration files at the edge: find, read and validate `<id>.yaml`."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from kpi6.models.errors import RoundConfigError, UnknownRoundError
from kpi6.models.round import ROUND_ID, RoundConfig, parse_round
from kpi6.settings import get_settings
from kpi6.tasks.adapters.files import read_yaml


def round_dirs() -> list[Path]:
    """Where round files are looked for, first match wins: KPI6_ROUNDS_DIR, data_dir/rounds, shipped."""
    settings = get_settings()
    dirs = [d for d in (settings.rounds_dir, settings.data_dir / "rounds") if d is not None]
    dirs.append(Path(str(resources.files("kpi6.deployments") / "rounds")))
    return dirs


# Round files read and validated, by path and what the file system says of the file (a changed file is read
# again): the portal asks for the round on every page, a read-only command for every round to find today's.
_parsed: dict[tuple[str, int, int, int, int], RoundConfig] = {}
_parsed_lock = threading.Lock()


def read_round_file(path: Path) -> RoundConfig:
    """Parse and validate one round file; any problem is one line naming the file and the field."""
    try:
        st = path.stat()
        key: tuple[str, int, int, int, int] | None = (str(path), st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)
    except OSError:
        key = None  # read_yaml says what is wrong
    with _parsed_lock:
        known = _parsed.get(key) if key else None
    if known is not None:
        return known.model_copy(deep=True)  # a caller's copy: the cached one is never handed out
    data = read_yaml(path, what="round file", error=RoundConfigError, follow_links=True)
    config = parse_round(data, source=str(path))
    if path.stem != config.id:
        raise RoundConfigError(f"{path}: field id: {config.id!r} does not match the file name {path.stem!r}")
    if key:
        with _parsed_lock:
            if len(_parsed) > 64:
                _parsed.clear()
            _parsed[key] = config.model_copy(deep=True)
    return config


_listed: dict[tuple[tuple[str, int], ...], dict[str, Path]] = {}


def available_rounds() -> dict[str, Path]:
    """Every round file by id, first folder first; listed again only when a folder changes (its mtime)."""
    dirs = [d for d in reversed(round_dirs()) if d.is_dir()]
    try:
        key = tuple((str(d), d.stat().st_mtime_ns) for d in dirs)
    except OSError:  # a folder removed meanwhile: list what is there now
        key = ()
        dirs = [d for d in dirs if d.is_dir()]
    with _parsed_lock:
        known = _listed.get(key) if key else None
    if known is not None:
        return dict(known)
    found: dict[str, Path] = {}
    for d in dirs:
        found.update({p.stem: p for p in sorted(d.glob("*.yaml")) if ROUND_ID.match(p.stem)})
    listed = dict(sorted(found.items()))
    with _parsed_lock:
        if len(_listed) > 16:
            _listed.clear()
        if key:
            _listed[key] = listed
    return dict(listed)


def load_round(round_id: str) -> RoundConfig:
    """The round's configuration, or a clear error listing the rounds that exist."""
    if not ROUND_ID.match(round_id.strip()):
        raise UnknownRoundError(f"round id {round_id!r} is not of the form <fiscal year BE>-<round>, e.g. 2567-1")
    rounds = available_rounds()
    path = rounds.get(round_id.strip())
    if path is None:
        known = ", ".join(rounds) or "none"
        raise UnknownRoundError(
            f"unknown round {round_id!r}; rounds available: {known}. "
            f"Add deployments/rounds/{round_id}.yaml or a file in {get_settings().data_dir / 'rounds'}"
        )
    return read_round_file(path)


def round_for_date(day: date) -> RoundConfig | None:
    """The available round whose period contains `day`, if any."""
    for rid in available_rounds():
        config = load_round(rid)
        start, end = config.period
        if start <= day <= end:
            return config
    return None


def config_digest(config: RoundConfig) -> tuple[dict[str, Any], str]:
    """The configuration as JSON data and its SHA-256, to store a snapshot and notice changes."""
    data = json.loads(config.model_dump_json())
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return data, digest


def default_round_id(today: date, chosen: str | None = None) -> str:
    """The round a reader means by default: `chosen` (a setting), else the round of `today`, else the latest."""
    if chosen:
        return load_round(chosen).id
    current = round_for_date(today)
    if current is not None:
        return current.id
    rounds = available_rounds()
    if not rounds:
        raise UnknownRoundError("no round file is available")
    return max(rounds, key=lambda rid: tuple(int(p) for p in rid.split("-")))
