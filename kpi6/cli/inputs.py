"""The office's input file (`--input FILE`): YAML or JSON, read as the steps' inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from kpi6.models.errors import InputError

if TYPE_CHECKING:
    from kpi6.models.inputs import ProvinceInputs

# An input file is a page or two of YAML (the survey export and the events file are files of their own).
INPUT_FILE_MAX_MB = 5


def read_input_file(path: Path) -> ProvinceInputs:
    """The steps' inputs from a YAML or JSON file: a regular file of at most INPUT_FILE_MAX_MB, in UTF-8."""
    from kpi6.tasks.adapters.files import MB, read_regular, read_yaml, utf8_text

    if path.suffix.lower() != ".json":
        data = read_yaml(path, what="input file", max_bytes=INPUT_FILE_MAX_MB * MB)
    else:
        text = utf8_text(read_regular(path, what="input file", max_bytes=INPUT_FILE_MAX_MB * MB), source=str(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(f"{path}: not valid JSON (or nested too deeply)") from None
    if data is not None and not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with keys plan, media, form1, dissemination, form2")
    from kpi6.models.inputs import anchor_paths, parse_inputs

    return anchor_paths(parse_inputs(data, source=str(path)), path.resolve().parent)
