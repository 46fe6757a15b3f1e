"""Where a run's files go: the output folder (forms and media under `<output>/<round>/<code>/`), the
evidence store the settings choose, and clearing a round's files."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from kpi6.models.errors import OutputError
from kpi6.settings import get_settings
from kpi6.tasks.adapters.evidence import EvidenceStore, LocalEvidenceStore


def output_root(output_dir: str | None) -> Path:
    s = get_settings()
    return Path(output_dir) if output_dir else (s.output_dir or s.data_dir)


_drive_stores: dict[tuple[Path | None, str | None, str | None, bool], EvidenceStore] = {}


def evidence_store(output_dir: str | None) -> EvidenceStore:
    """The store the settings choose; a Drive store is kept per process (it remembers folder ids)."""
    s = get_settings()
    if s.evidence_backend == "gdrive":
        from kpi6.tasks.adapters.drive import store_from_settings

        key = (s.google_credentials, s.drive_root_folder_id, s.drive_api_root, s.drive_public_links)
        if key not in _drive_stores:
            _drive_stores[key] = store_from_settings(s)
        return _drive_stores[key]
    return LocalEvidenceStore(s.evidence_dir or output_root(output_dir) / "evidence", s.evidence_base_url)


def local_evidence_file(output_dir: str | None, round_id: str, code: str, link: str) -> Path | None:
    """The file behind a `file://` link of the local evidence store, if it is a regular file of this province's
    round there (reached without a symbolic link); else None. The portal serves a recorded evidence entry so."""
    from urllib.parse import unquote, urlsplit

    store = evidence_store(output_dir)
    parts = urlsplit(link)
    if not isinstance(store, LocalEvidenceStore) or parts.scheme != "file" or parts.netloc or link.endswith("/"):
        return None
    folder = (store.root / round_id / code).resolve()
    path = Path(unquote(parts.path))
    try:
        inside = path.resolve(strict=True).relative_to(folder)
    except (OSError, ValueError):
        return None
    found = folder / inside
    if found != path or any(p.is_symlink() for p in (found, *found.parents)) or not found.is_file():
        return None
    return found


def check_output_dir(output_dir: str | None) -> Path:
    """The output folder exists (or is made) and takes files; else one clear error before any write."""
    root = output_root(output_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".kpi6-write-test-"):  # own name: runs may be parallel
            pass
        store = evidence_store(output_dir)
        if isinstance(store, LocalEvidenceStore):
            store.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write forms and media to {exc.filename or root}: {exc.strerror or exc}") from None
    return root


def clear_round_outputs(output_dir: str, round_id: str) -> None:
    """Remove what earlier runs of a round wrote under `output_dir`: forms and media, the local evidence store's
    round folder and the round's e-mails in the outbox (the demo starts its round afresh, files included)."""
    root = output_root(output_dir).resolve()
    store = evidence_store(output_dir)
    folders = [root / round_id]
    if isinstance(store, LocalEvidenceStore):
        folders.append(store.root / round_id)
    outbox = get_settings().outbox_dir or root / "outbox"
    inside = [f for f in folders if f.resolve().is_relative_to(root)]  # never a shared store elsewhere
    for folder in inside:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    if outbox.resolve().is_relative_to(root):
        for eml in outbox.glob(f"kpi6.{round_id}.*.eml"):
            eml.unlink(missing_ok=True)


def province_folder(output_dir: str | None, round_id: str, code: str) -> Path:
    folder = output_root(output_dir) / round_id / code
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def province_files(output_dir: str | None, round_id: str, code: str) -> list[Path]:
    """The forms and media a province's runs left in its folder (receipts and temporary files skipped)."""
    folder = output_root(output_dir) / round_id / code
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def round_forms_zip(output_dir: str | None, round_id: str, codes: list[str], target: BinaryIO) -> int:
    """Every listed province's report forms of the round (`form*.pdf`, `form*.docx`, as its runs wrote them) in one
    zip, `<round>/<code>/<name>`, written to `target`; how many files it holds. A symbolic link is skipped."""
    import zipfile

    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for code in codes:
            for path in province_files(output_dir, round_id, code):
                if path.name.startswith("form") and path.suffix in (".pdf", ".docx") and not path.is_symlink():
                    archive.write(path, f"{round_id}/{code}/{path.name}")
                    count += 1
    return count


def write_files(folder: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write each file whole (via a temporary name) and return its SHA-256 by name."""
    hashes = {}
    for name, data in files.items():
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        hashes[name] = hashlib.sha256(data).hexdigest()
    return hashes
