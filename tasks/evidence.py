"""Evidence stores: one interface, two backends (`local`, the embedded default, and `gdrive`).

Evidence lives in a folder per step, `<round>/<province code>/step-<n>/` (the survey's in `step-4/survey/`).
A store finds or creates a folder and returns its link; it puts a file in a folder and returns what it
stored (name, link, MD5, size). The QR codes on the forms encode these links.

The local store keeps the tree under a folder of the data folder; its links are `file://` URIs, or URLs
under `KPI6_EVIDENCE_BASE_URL` when the office serves that folder.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from kpi6.models.errors import InputError
from pydantic import BaseModel

WEB_SCHEMES = ("http://", "https://")

# Evidence field -> folder below <round>/<province code>/.
FIELD_FOLDERS: dict[str, tuple[str, ...]] = {
    "plan": ("step-1",),
    "media": ("step-2",),
    "form1": ("step-3",),
    "dissemination": ("step-4",),
    "survey": ("step-4", "survey"),
    "form2": ("step-5",),
}


def folder_parts(round_id: str, province_code: str, field: str) -> tuple[str, ...]:
    return (round_id, province_code, *FIELD_FOLDERS[field])


class StoredFile(BaseModel):
    """A file as the store holds it; `link` opens it (a Drive webViewLink or a local URL)."""

    name: str
    link: str
    md5: str
    size: int
    id: str | None = None


class EvidenceStore(Protocol):
    def folder_link(self, parts: tuple[str, ...]) -> str:
        """Find or create the folder `parts` (e.g. `("2567-1", "TH-50", "step-1")`) and return its link."""
        ...

    def put_bytes(self, parts: tuple[str, ...], name: str, data: bytes) -> StoredFile:
        """Store `data` as `name` in the folder; a file with the same name, size and MD5 is kept as is."""
        ...

    def put_file(self, parts: tuple[str, ...], source: Path) -> StoredFile:
        """Store a local file under its own (sanitized) name in the folder; same rule as put_bytes."""
        ...


def md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalEvidenceStore:
    """Evidence in a local folder tree."""

    def __init__(self, root: Path, base_url: str | None = None) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/") + "/" if base_url else None

    def _folder(self, parts: tuple[str, ...]) -> Path:
        folder = self.root.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def link(self, path: Path) -> str:
        slash = "/" if path.is_dir() else ""
        if self.base_url:
            return self.base_url + quote(path.relative_to(self.root).as_posix() + slash)
        return path.resolve().as_uri() + slash

    def folder_link(self, parts: tuple[str, ...]) -> str:
        return self.link(self._folder(parts))

    def _stored(self, target: Path, md5: str) -> StoredFile:
        return StoredFile(name=target.name, link=self.link(target), md5=md5, size=target.stat().st_size)

    def put_bytes(self, parts: tuple[str, ...], name: str, data: bytes) -> StoredFile:
        target = self._folder(parts) / name
        if not (target.is_file() and target.read_bytes() == data):
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_bytes(data)
            tmp.replace(target)
        return self._stored(target, hashlib.md5(data, usedforsecurity=False).hexdigest())

    def put_file(self, parts: tuple[str, ...], source: Path) -> StoredFile:
        """Copy unless the folder holds the same bytes already; the source is hashed once (videos are large)."""
        target = self._folder(parts) / safe_name(source.name)
        md5 = md5_file(source)
        if not (target.is_file() and target.stat().st_size == source.stat().st_size and md5_file(target) == md5):
            tmp = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        return self._stored(target, md5)


# Evidence types the letter's offices send, with how each file begins (a renamed file is refused).
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".pptx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",), ".xls": (b"\xd0\xcf\x11\xe0",), ".ods": (b"PK\x03\x04",),
    ".csv": (b"",),  # a survey or events export; its content is checked when it is imported
    ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".mp4": (b"ftyp",), ".mov": (b"ftyp", b"moov", b"wide", b"mdat", b"free"),
}
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def safe_name(name: str) -> str:
    """The file's own name, without folders, control characters or characters that filesystems refuse;
    Thai and spaces are kept. An empty result is refused."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 150:
        name = stem[: 150 - len(ext) - 1] + "." + ext
    if not name or name in (".", ".."):
        raise InputError("an evidence file has no usable name")
    return name


def check_evidence_file(path: Path, *, max_mb: float) -> str:
    """A file the store may take: an allowed type whose content matches, not too large. Its safe name."""
    ext = path.suffix.lower()
    if ext not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(e.lstrip(".") for e in ALLOWED_TYPES))
        raise InputError(f"evidence file {path.name}: type {ext or '(none)'} is not accepted; use one of {allowed}")
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise InputError(f"evidence file {path.name} is {size / 1024 / 1024:.0f} MB; the limit is {max_mb:g} MB "
                         "(KPI6_EVIDENCE_MAX_MB)")
    with path.open("rb") as fh:
        head = fh.read(16)
    if not any(head.startswith(m) or (ext in (".mp4", ".mov") and head[4:8] == m) for m in ALLOWED_TYPES[ext]):
        raise InputError(f"evidence file {path.name} is not a real {ext.lstrip('.')} file (its content says otherwise)")
    return safe_name(path.name)


def check_evidence(entries: list[str], *, what: str, max_mb: float = 500) -> None:
    """Each evidence entry is a web link or an acceptable file; say which one is not, before any write."""
    for entry in entries:
        if entry.startswith(WEB_SCHEMES):
            continue
        path = Path(entry).expanduser()
        if not path.is_file():
            raise InputError(f"{what}: evidence file not found: {entry} (give a file path or an http(s) link)")
        try:
            check_evidence_file(path, max_mb=max_mb)
        except InputError as exc:
            raise InputError(f"{what}: {exc}") from None


def store_evidence(store: EvidenceStore, parts: tuple[str, ...], entries: list[str]) -> list[str]:
    """A link for each entry: web links kept, files put in the folder."""
    return [entry if entry.startswith(WEB_SCHEMES) else store.put_file(parts, Path(entry).expanduser()).link
            for entry in entries]
