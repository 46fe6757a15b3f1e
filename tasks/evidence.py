"""Evidence stores: one interface, two backends (`local`, the embedded default, and `gdrive`).

Evidence lives in a folder per step, `<round>/<province code>/step-<n>/` (the survey's in `step-4/survey/`).
A store finds or creates a folder and returns its link; it puts a file in a folder and returns what it
stored (name, link, MD5, size). The QR codes on the forms encode these links.

The local store keeps the tree under a folder of the data folder; its links are `file://` URIs, or URLs
under `KPI6_EVIDENCE_BASE_URL` when the office serves that folder.
"""

from __future__ import annotations

import hashlib
import shutil
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

    def _stored(self, target: Path) -> StoredFile:
        return StoredFile(name=target.name, link=self.link(target), md5=md5_file(target), size=target.stat().st_size)

    def put_bytes(self, parts: tuple[str, ...], name: str, data: bytes) -> StoredFile:
        target = self._folder(parts) / name
        if not (target.is_file() and target.read_bytes() == data):
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_bytes(data)
            tmp.replace(target)
        return self._stored(target)

    def put_file(self, parts: tuple[str, ...], source: Path) -> StoredFile:
        target = self._folder(parts) / source.name
        if not (target.is_file() and target.stat().st_size == source.stat().st_size
                and md5_file(target) == md5_file(source)):
            tmp = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        return self._stored(target)


def check_evidence(entries: list[str], *, what: str) -> None:
    """Each evidence entry is a web link or a file that exists; say which one is not, before any write."""
    for entry in entries:
        if entry.startswith(WEB_SCHEMES):
            continue
        if not Path(entry).expanduser().is_file():
            raise InputError(f"{what}: evidence file not found: {entry} (give a file path or an http(s) link)")


def store_evidence(store: EvidenceStore, parts: tuple[str, ...], entries: list[str]) -> list[str]:
    """A link for each entry: web links kept, files put in the folder."""
    return [entry if entry.startswith(WEB_SCHEMES) else store.put_file(parts, Path(entry).expanduser()).link
            for entry in entries]
