"""Files an office uploads through the portal, kept until a step's run stores them as evidence.

An upload is written to a temporary file while it is read, and refused as soon as it passes the limit; then it
is checked by the same code that checks an evidence file named in an input (`evidence.open_evidence`: an accepted
type whose content matches). It is kept under its SHA-256, in its province's folder of the round:
`<data>/uploads/<round>/<code>/<sha256>/<its own safe name>`, so the same file uploaded twice is kept once, and a
path is never guessable without the file itself. A step's input names an upload by that path, and the run stores
it as evidence through `store_evidence`, as it stores any office file.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from kpi6.models.errors import InputError
from kpi6.settings import get_settings
from kpi6.tasks.adapters.evidence import default_max_bytes, open_evidence, safe_name
from kpi6.tasks.adapters.files import MB

UPLOAD_ID = re.compile(r"[0-9a-f]{64}")
INCOMING = ".incoming"


class Upload(BaseModel):
    """A kept upload: its id (SHA-256), the name it was uploaded under (made safe) and its size."""

    id: str
    name: str
    size: int
    path: str  # what a step's input names as evidence

    @property
    def is_image(self) -> bool:
        return self.name.lower().endswith((".png", ".jpg", ".jpeg"))


def uploads_root() -> Path:
    return get_settings().data_dir / "uploads"


def _folder(round_id: str, code: str) -> Path:
    for part in (round_id, code):  # both come from the registry and the round files; never a path
        if not part or "/" in part or part.startswith("."):
            raise InputError(f"not a round or province: {part!r}")
    return uploads_root() / round_id / code


def receive(
    chunks: Iterable[bytes], filename: str, *, round_id: str, code: str, max_bytes: int | None = None
) -> Upload:
    """Keep an uploaded file: written as it arrives, refused the moment it passes `max_bytes` (default
    KPI6_EVIDENCE_MAX_MB), then checked as evidence. The client's name is only a label: its folders and control
    characters are dropped. Nothing of a refused file is kept."""
    limit = default_max_bytes() if max_bytes is None else max_bytes
    name = safe_name(filename or "")
    folder = _folder(round_id, code)
    incoming = folder / INCOMING / secrets.token_hex(16)
    incoming.mkdir(parents=True)
    try:
        tmp = incoming / name
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:  # a name this filesystem refuses
            raise InputError(f"file {name!r} cannot be kept under that name ({exc.strerror}): rename it") from None
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise InputError(
                        f"file {name} is larger than the limit of {limit / MB:g} MB (KPI6_EVIDENCE_MAX_MB)"
                    )
                out.write(chunk)
        with open_evidence(tmp, max_bytes=limit) as evidence:
            scanned = evidence.scan()
        target = folder / scanned.sha256
        staged = incoming / "kept"  # moved into place whole: a reader never sees a half-made folder
        staged.mkdir()
        (staged / name).hardlink_to(tmp)
        try:
            staged.rename(target)
        except OSError:  # the same file again (or at the same moment): the first one is kept
            if not target.is_dir():
                raise
        return _kept(target)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def _kept(target: Path) -> Upload:
    files = (  # the file, and none of what a run may write beside it (a survey's rejected rows)
        [p for p in target.iterdir() if not p.name.startswith(".") and not p.name.endswith(".rejected.csv")]
        if target.is_dir()
        else []
    )
    if len(files) != 1 or files[0].is_symlink() or not files[0].is_file():
        raise InputError("this file is not (or no longer) kept: upload it again")
    return Upload(id=target.name, name=files[0].name, size=files[0].stat().st_size, path=str(files[0]))


def kept(round_id: str, code: str, upload_id: str) -> Upload:
    """An upload of this province's round, by id; InputError if there is none (another province's id too)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise InputError("this file is not (or no longer) kept: upload it again")
    return _kept(_folder(round_id, code) / upload_id)


def kept_all(round_id: str, code: str, upload_ids: Iterable[str]) -> list[Upload]:
    """Each id's upload, once each, in the order given."""
    return [kept(round_id, code, i) for i in dict.fromkeys(upload_ids) if i]
