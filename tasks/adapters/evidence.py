"""Evidence stores: one interface, two backends (`local`, the embedded default, and `gdrive`).

Evidence lives in a folder per step, `<round>/<province code>/step-<n>/` (the survey's in `step-4/survey/`).
A store finds or creates a folder and returns its link; it puts a file in a folder and returns what it
stored (name, link, MD5, size). The QR codes on the forms encode these links.

The local store keeps the tree under a folder of the data folder; its links are `file://` URIs, or URLs
under `KPI6_EVIDENCE_BASE_URL` when the office serves that folder.

An office's evidence file is read only through `files.open_regular` (a regular file, reached without any
symbolic link, not a device, a FIFO or a /proc file) and only from that one open file: `check_evidence` checks
it before any write, and each store's `put_file` opens it again and checks, hashes and copies what it reads from
that open file, so a file swapped for a symlink between the check and the store is refused, not copied.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol
from urllib.parse import quote

from pydantic import BaseModel

from kpi6.models.errors import InputError
from kpi6.models.steps import evidence_folder
from kpi6.tasks.adapters.files import MB, open_regular

WEB_SCHEMES = ("http://", "https://")


def folder_parts(round_id: str, province_code: str, field: str) -> tuple[str, ...]:
    """The folder of evidence field `field` (a step's declaration names its fields) for a province's round."""
    return (round_id, province_code, *evidence_folder(field))


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


def default_max_bytes() -> int:
    """The largest evidence file accepted (KPI6_EVIDENCE_MAX_MB), in bytes."""
    from kpi6.settings import get_settings

    return int(get_settings().evidence_max_mb * MB)


class LocalEvidenceStore:
    """Evidence in a local folder tree."""

    def __init__(self, root: Path, base_url: str | None = None, *, max_bytes: int | None = None) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes

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
        """Copy unless the folder holds the same bytes already. The open file is checked and hashed, then copied
        from the same open file; the copy is kept only if its bytes are the ones checked (the same SHA-256)."""
        with open_evidence(source, max_bytes=self.max_bytes) as evidence:
            checked = evidence.scan()
            target = self._folder(parts) / evidence.name
            if target.is_file() and target.stat().st_size == checked.size and md5_file(target) == checked.md5:
                return self._stored(target, checked.md5)
            # A name of its own (runs may be parallel), created afresh: never an existing file or link.
            tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
            try:
                with os.fdopen(fd, "wb") as out:
                    copied = evidence.scan(sink=out)
                if copied != checked:
                    raise InputError(
                        f"{evidence.label} changed while it was being stored; nothing was stored, "
                        "try again once it is no longer being written"
                    )
                tmp.replace(target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return self._stored(target, checked.md5)


# Evidence types the letter's offices send, with how each file begins (a renamed file is refused).
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ods": (b"PK\x03\x04",),
    ".csv": (b"",),  # a survey or events export: text, checked by `_text_problem`
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".mp4": (b"ftyp",),
    ".mov": (b"ftyp", b"moov", b"wide", b"mdat", b"free"),
}
# How much of a file's beginning its content check reads.
HEAD_BYTES = 64 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


MAX_NAME_BYTES = 200  # of UTF-8: a filesystem takes 255, and a survey's ".rejected.csv" goes beside it


def safe_name(name: str) -> str:
    """The file's own name, without folders, control characters or characters that filesystems refuse;
    Thai and spaces are kept. An empty result is refused."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    if len(name.encode()) > MAX_NAME_BYTES:  # a Thai character is 3 bytes
        if len(ext.encode()) > 16:  # not an extension: the whole name is cut
            stem, dot, ext = name, "", ""
        room = MAX_NAME_BYTES - len((dot + ext).encode())
        stem = stem.encode()[:room].decode(errors="ignore").rstrip()
        name = stem + ("." + ext if ext else "")
    if not name or name in (".", "..") or name.startswith("."):
        raise InputError("an evidence file has no usable name")
    return name


def _shown(text: str) -> str:
    """A name as one line of a terminal: control characters escaped."""
    return text if text.isprintable() else ascii(text)


def _text_problem(head: bytes, *, whole: bool) -> str | None:
    """What keeps the beginning of a CSV export from being text, or None. The encodings are those of
    `tables.decode_text` (UTF-16 with a BOM, UTF-8 with or without one, else the Thai Windows code page), decoded
    incrementally so that a character cut at the end of `head` is not an error unless `head` is the whole file."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tries = [("utf-16", head)]
    elif head.startswith(codecs.BOM_UTF8):
        tries = [("utf-8", head[len(codecs.BOM_UTF8) :])]
    else:
        tries = [("utf-8", head), ("cp874", head)]
    for encoding, data in tries:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=whole)
            break
        except UnicodeDecodeError:
            continue
    else:
        return "is not a text file in UTF-8, UTF-16 or Thai Windows encoding; save it from Excel as 'CSV UTF-8'"
    if "\x00" in text:
        return "is not a text file: it holds NUL bytes, as programs and binary files do"
    if not text.strip():
        return "is empty"
    return None


def content_problem(ext: str, head: bytes, *, whole: bool) -> str | None:
    """What is wrong with a file of type `ext` that begins with `head` (`whole`: that is all of it), or None."""
    if not head:
        return "is empty"
    if ext == ".csv":
        return _text_problem(head, whole=whole)
    if not any(head.startswith(m) or (ext in (".mp4", ".mov") and head[4:8] == m) for m in ALLOWED_TYPES[ext]):
        return f"is not a real {ext.lstrip('.')} file (its content says otherwise)"
    return None


@dataclass(frozen=True)
class Scanned:
    """What one read of an evidence file saw."""

    size: int
    md5: str
    sha256: str


@dataclass
class EvidenceSource:
    """An evidence file opened through `files.open_regular`: everything is read from this one open file."""

    fh: BinaryIO
    name: str  # its safe name, the one it is stored under
    ext: str
    label: str  # "evidence file <name>", to begin a message with
    size: int  # as the open file said when it was opened
    max_bytes: int

    def _check(self, head: bytes, *, whole: bool) -> None:
        if problem := content_problem(self.ext, head, whole=whole):
            raise InputError(f"{self.label} {problem}")

    def check_head(self) -> None:
        """Check the content on the file's first part; a text file (CSV) all through, for the NUL bytes a
        program appended to a page of text would carry (a text head alone let such a file pass)."""
        self.fh.seek(0)
        data = self.fh.read(HEAD_BYTES + 1)
        self._check(data[:HEAD_BYTES], whole=len(data) <= HEAD_BYTES)
        if self._nul_checked(data):
            self.fh.seek(0)
            while chunk := self.fh.read(1 << 20):
                self._no_nul(chunk)

    def _nul_checked(self, first: bytes) -> bool:
        """A CSV in UTF-8 or the Thai code page holds no NUL byte anywhere (UTF-16 text is full of them)."""
        return self.ext == ".csv" and not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))

    def _no_nul(self, chunk: bytes) -> None:
        if b"\x00" in chunk:
            raise InputError(f"{self.label} is not a text file: it holds NUL bytes, as programs and binary files do")

    def scan(self, sink: IO[bytes] | None = None) -> Scanned:
        """Read the whole file from its start: check its content on its first part (before anything is written
        to `sink`), hash it, copy it to `sink`. A file that grows past the limit or changes size is refused."""
        self.fh.seek(0)
        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        head, size, checked, nul_checked = b"", 0, False, None
        while chunk := self.fh.read(1 << 20):
            if nul_checked is None:
                nul_checked = self._nul_checked(chunk)
            if nul_checked:
                self._no_nul(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise InputError(
                    f"{self.label} grew past the limit of {self.max_bytes / MB:g} MB "
                    "(KPI6_EVIDENCE_MAX_MB) while it was being read"
                )
            if not checked and len(head) <= HEAD_BYTES:
                head += chunk[: HEAD_BYTES + 1 - len(head)]
                if len(head) > HEAD_BYTES:
                    self._check(head[:HEAD_BYTES], whole=False)
                    checked = True
            md5.update(chunk)
            sha256.update(chunk)
            if sink is not None:
                sink.write(chunk)
        if not checked:
            self._check(head, whole=True)
        if size != self.size:
            raise InputError(
                f"{self.label} changed while it was being read ({self.size} bytes when opened, "
                f"{size} read); try again once it is no longer being written"
            )
        return Scanned(size=size, md5=md5.hexdigest(), sha256=sha256.hexdigest())


def _too_large(label: str, size: int, max_bytes: int) -> InputError:
    return InputError(f"{label} is {size / MB:.0f} MB; the limit is {max_bytes / MB:g} MB (KPI6_EVIDENCE_MAX_MB)")


@contextmanager
def open_evidence(path: Path, *, max_bytes: int) -> Iterator[EvidenceSource]:
    """An office's evidence file, open for checking and storing: an accepted type by its (safe) name, a regular
    file reached without symlinks (files.open_regular), no larger than `max_bytes`. Its content is not read yet."""
    path = Path(path)
    label = f"evidence file {_shown(path.name)}"
    name = safe_name(path.name)
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(e.lstrip(".") for e in ALLOWED_TYPES))
        raise InputError(f"{label}: type {ext or '(none)'} is not accepted; use one of {allowed}")
    with open_regular(path, what="evidence file") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise _too_large(label, size, max_bytes)
        yield EvidenceSource(fh=fh, name=name, ext=ext, label=label, size=size, max_bytes=max_bytes)


def check_evidence_file(path: Path, *, max_mb: float) -> str:
    """A file the store may take: an allowed type whose content matches, not too large. Its safe name."""
    with open_evidence(path, max_bytes=int(max_mb * MB)) as evidence:
        evidence.check_head()
        return evidence.name


def check_evidence(entries: list[str], *, what: str, max_mb: float = 500) -> None:
    """Each evidence entry is a web link or an acceptable file; say which one is not, before any write."""
    for entry in entries:
        if entry.startswith(WEB_SCHEMES):
            continue
        path = Path(entry).expanduser()
        if not os.path.lexists(path):
            raise InputError(f"{what}: evidence file not found: {_shown(entry)} (give a file path or an http(s) link)")
        try:
            check_evidence_file(path, max_mb=max_mb)
        except InputError as exc:
            raise InputError(f"{what}: {exc}") from None


def store_evidence(store: EvidenceStore, parts: tuple[str, ...], entries: list[str]) -> list[str]:
    """A link for each entry: web links kept, files put in the folder."""
    return [
        entry if entry.startswith(WEB_SCHEMES) else store.put_file(parts, Path(entry).expanduser()).link
        for entry in entries
    ]
