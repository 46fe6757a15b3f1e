"""The local evidence store: a folder per evidence field, `<root>/<round>/<province>/<field>/`.

A link is the folder's or file's URL under `KPI6_EVIDENCE_BASE_URL` when the office serves the folder,
else its `file://` URI. The Google Drive store (a later issue) returns share links in the same places.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

from kpi6.models.errors import InputError

WEB_SCHEMES = ("http://", "https://")


class LocalEvidenceStore:
    def __init__(self, root: Path, base_url: str | None = None) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/") + "/" if base_url else None

    def _folder(self, round_id: str, province_code: str, field: str) -> Path:
        folder = self.root / round_id / province_code / field
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def link(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix() + ("/" if path.is_dir() else "")
        return self.base_url + quote(rel) if self.base_url else path.resolve().as_uri() + ("/" if path.is_dir() else "")

    def folder_link(self, round_id: str, province_code: str, field: str) -> str:
        return self.link(self._folder(round_id, province_code, field))

    def put_bytes(self, round_id: str, province_code: str, field: str, name: str, data: bytes) -> str:
        target = self._folder(round_id, province_code, field) / name
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
        return self.link(target)

    def put_file(self, round_id: str, province_code: str, field: str, source: Path) -> str:
        target = self._folder(round_id, province_code, field) / source.name
        shutil.copyfile(source, target)
        return self.link(target)


def check_evidence(entries: list[str], *, what: str) -> None:
    """Each evidence entry is a web link or a file that exists; say which one is not, before any write."""
    for entry in entries:
        if entry.startswith(WEB_SCHEMES):
            continue
        if not Path(entry).expanduser().is_file():
            raise InputError(f"{what}: evidence file not found: {entry} (give a file path or an http(s) link)")


def store_evidence(store: LocalEvidenceStore, round_id: str, code: str, field: str, entries: list[str]) -> list[str]:
    """The field's folder link first, then a link for each entry (files copied into the folder)."""
    links = [store.folder_link(round_id, code, field)]
    for entry in entries:
        links.append(entry if entry.startswith(WEB_SCHEMES)
                     else store.put_file(round_id, code, field, Path(entry).expanduser()))
    return links
