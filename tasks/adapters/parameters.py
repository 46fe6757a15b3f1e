"""A run's inputs as Prefect parameters: inline when small, else a stored file the parameters name.

Prefect refuses flow-run parameters over 512 KB (a long survey export read into the inputs crashed a run), so
large inputs travel as a JSON file in the data folder, named by its SHA-256, and the flow reads it back.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypedDict

from pydantic import ValidationError

from kpi6.models.errors import InputError
from kpi6.models.inputs import ProvinceInputs
from kpi6.settings import get_settings
from kpi6.tasks.adapters.files import MB, read_regular

INLINE_LIMIT = 256 * 1024  # well under Prefect's 512 KB, leaving room for the run's other parameters
STORED_LIMIT = 64 * MB


class InputsParameters(TypedDict, total=False):
    """The inputs as province-round's parameters: one of the two."""

    inputs: ProvinceInputs
    inputs_file: str


def inputs_parameters(inputs: ProvinceInputs) -> InputsParameters:
    """`{"inputs": ...}`, or `{"inputs_file": path}` when the inputs are too large to travel inline."""
    data = inputs.model_dump_json(exclude_none=True).encode()
    if len(data) <= INLINE_LIMIT:
        return {"inputs": inputs}
    if len(data) > STORED_LIMIT:
        raise InputError(f"the inputs are {len(data) / MB:.0f} MB once read; the limit is {STORED_LIMIT // MB} MB")
    folder = get_settings().data_dir / "run-inputs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha256(data).hexdigest()}.json"
    if not target.is_file():
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return {"inputs_file": str(target)}


def load_inputs(path: str) -> ProvinceInputs:
    """Inputs stored by inputs_parameters (checked again: the file is outside the run)."""
    data = read_regular(Path(path), what="the run's stored inputs", max_bytes=STORED_LIMIT)
    try:
        return ProvinceInputs.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(
            f"{Path(path).name}: the run's stored inputs are not valid ({exc.error_count()} problem(s))"
        ) from None


__all__ = ["INLINE_LIMIT", "inputs_parameters", "load_inputs"]
