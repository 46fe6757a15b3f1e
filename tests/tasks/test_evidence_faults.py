"""Evidence that is not what it says: symlinks to system files, special files, empty files, programs renamed
.csv or .pdf, and a file swapped for a symlink between the check and the store. Each is refused with one line
naming the file, and the store holds nothing; the bytes checked are the bytes stored."""

from __future__ import annotations

import codecs
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kpi6.models.errors import InputError
from kpi6.tasks.adapters import evidence
from kpi6.tasks.adapters.evidence import ALLOWED_TYPES, LocalEvidenceStore, check_evidence, folder_parts

PARTS = folder_parts("2567-1", "TH-50", "dissemination")
WHAT = "step 4 (dissemination)"
PROGRAM = Path(sys.executable).resolve().read_bytes()[:200_000]  # a real ELF (or Mach-O) binary
SYSTEM_FILES = [p for p in ("/etc/passwd", "/etc/shadow", "/proc/self/environ") if os.path.exists(p)]


@pytest.fixture(autouse=True)
def prefect_harness() -> Iterator[None]:
    yield


@pytest.fixture
def store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path / "evidence")


@contextmanager
def deadline(seconds: float = 5) -> Iterator[None]:
    """Fail instead of hanging (an open or a read of a FIFO with no writer blocks for ever)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def stored_files(store: LocalEvidenceStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if not p.is_dir()) if store.root.exists() else []


def refused(call: Callable[[], object], name: str, match: str) -> str:
    """`call` raises InputError, on one line, naming the file `name` and saying `match`."""
    with deadline(), pytest.raises(InputError, match=match) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and name in message, message
    return message


def refused_everywhere(store: LocalEvidenceStore, path: Path, match: str) -> None:
    """Refused by the check before any write, and by the store itself if the check was skipped; nothing stored."""
    message = refused(lambda: check_evidence([str(path)], what=WHAT), path.name, match)
    assert message.startswith(WHAT)
    refused(lambda: store.put_file(PARTS, path), path.name, match)
    assert stored_files(store) == []


# -- symbolic links and special files -----------------------------------------------------------------------


@pytest.mark.parametrize("system_file", SYSTEM_FILES)
def test_a_symlink_to_a_system_file_is_refused(tmp_path: Path, store: LocalEvidenceStore, system_file: str) -> None:
    link = tmp_path / "ผู้เข้าร่วม.csv"
    link.symlink_to(system_file)
    refused_everywhere(store, link, "symbolic link")


def test_no_byte_of_the_environment_reaches_the_evidence_folder(tmp_path: Path, store: LocalEvidenceStore) -> None:
    link = tmp_path / "env.csv"
    link.symlink_to("/proc/self/environ")
    refused_everywhere(store, link, "symbolic link")
    with pytest.raises(InputError):
        evidence.store_evidence(store, PARTS, [str(link)])
    secrets = [v.encode() for v in os.environ.values() if len(v) >= 8]
    assert secrets, "the test needs some environment to look for"
    for path in store.root.rglob("*") if store.root.exists() else []:
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s in data], path


def test_a_symlinked_folder_on_the_way_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "plan.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "via").symlink_to(real)
    refused_everywhere(store, tmp_path / "via" / "plan.csv", "symbolic link")


@pytest.mark.parametrize("via", ["folder", "file"])
def test_a_symlink_that_appears_after_the_path_check_is_not_followed(
    tmp_path: Path, store: LocalEvidenceStore, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    """As if the path was swapped between open_regular's realpath check and its open: the open itself, one
    component at a time without following links, still refuses a symlinked folder or file."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "plan.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    if via == "folder":
        (tmp_path / "via").symlink_to(real)
        path = tmp_path / "via" / "plan.csv"
    else:
        path = tmp_path / "plan.csv"
        path.symlink_to(real / "plan.csv")
    monkeypatch.setattr(os.path, "realpath", lambda p, **kw: os.fspath(p))  # the check sees no link
    refused(lambda: store.put_file(PARTS, path), "plan.csv", "symbolic link")
    monkeypatch.undo()
    assert stored_files(store) == []


def test_a_fifo_is_refused_without_hanging(tmp_path: Path, store: LocalEvidenceStore) -> None:
    fifo = tmp_path / "survey.csv"
    os.mkfifo(fifo)
    refused_everywhere(store, fifo, "not a regular file")


def test_a_folder_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    folder = tmp_path / "photos.png"
    folder.mkdir()
    refused_everywhere(store, folder, "is a folder")


def test_a_device_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    device = tmp_path / "null.csv"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
    except (PermissionError, AttributeError):
        pytest.skip("cannot make a device node here")
    refused_everywhere(store, device, "not a regular file")


# -- content --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", sorted(ALLOWED_TYPES))
def test_an_empty_file_of_any_type_is_refused(tmp_path: Path, store: LocalEvidenceStore, ext: str) -> None:
    empty = tmp_path / f"หลักฐาน{ext}"
    empty.write_bytes(b"")
    refused_everywhere(store, empty, "is empty")


def test_a_csv_of_only_a_bom_and_blanks_is_empty(tmp_path: Path, store: LocalEvidenceStore) -> None:
    blank = tmp_path / "blank.csv"
    blank.write_bytes(codecs.BOM_UTF8 + b" \r\n\r\n")
    refused_everywhere(store, blank, "is empty")


def test_a_program_renamed_csv_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    program = tmp_path / "survey.csv"
    program.write_bytes(PROGRAM)
    refused_everywhere(store, program, "not a text file")


def test_a_csv_with_nul_bytes_or_in_no_known_encoding_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"name,score\nA,1\x00\x00\n")
    refused_everywhere(store, nul, "NUL")
    odd = tmp_path / "odd.csv"
    odd.write_bytes(codecs.BOM_UTF16_LE + "ชื่อ,คะแนน\n".encode("utf-16-le") + b"\x00")  # half a character
    refused_everywhere(store, odd, "not a text file")


def test_a_program_renamed_pdf_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    program = tmp_path / "แผน.pdf"
    program.write_bytes(PROGRAM)
    refused_everywhere(store, program, "not a real pdf")


def test_a_name_with_control_characters_is_shown_on_one_line(tmp_path: Path, store: LocalEvidenceStore) -> None:
    bad = tmp_path / "a\nb.pdf"
    bad.write_bytes(b"MZ not a pdf")
    for call in (lambda: check_evidence([str(bad)], what=WHAT), lambda: store.put_file(PARTS, bad)):
        with pytest.raises(InputError, match="not a real pdf") as info:
            call()
        assert "\n" not in str(info.value)


def test_legitimate_csv_exports_are_accepted_and_stored_as_they_are(tmp_path: Path, store: LocalEvidenceStore) -> None:
    rows = "ชื่อ,ความพึงพอใจ\nอบต.บ้านใหม่,5\nเทศบาลตำบลแม่ริม,4\n"
    exports = {
        "google-forms.csv": codecs.BOM_UTF8 + rows.encode("utf-8"),
        "excel-thai.csv": rows.encode("cp874"),
        "unicode-text.csv": rows.replace(",", "\t").encode("utf-16"),
        "plain.csv": rows.encode("utf-8"),
        # a Thai character (3 bytes in UTF-8) across the end of the part that is checked
        "long.csv": b"a" * (64 * 1024 - 1) + rows.encode("utf-8") * 10,
    }
    for name, data in exports.items():
        path = tmp_path / name
        path.write_bytes(data)
        check_evidence([str(path)], what=WHAT)
        stored = store.put_file(PARTS, path)
        assert stored.name == name and stored.size == len(data)
        assert (store.root.joinpath(*PARTS) / name).read_bytes() == data


# -- the bytes checked are the bytes stored ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ"])
def test_a_symlink_swapped_in_after_the_check_is_not_stored(
    tmp_path: Path, store: LocalEvidenceStore, target: str
) -> None:
    path = tmp_path / "participants.csv"
    path.write_text("name,office\nสมชาย,อบต.บ้านใหม่\n", encoding="utf-8")
    check_evidence([str(path)], what=WHAT)
    swap = tmp_path / "swap"
    swap.symlink_to(target)
    os.replace(swap, path)  # the office's file is now a link to a system file
    refused(lambda: evidence.store_evidence(store, PARTS, [str(path)]), path.name, "symbolic link")
    assert stored_files(store) == []


ORIGINAL = b"%PDF-1.7 the office's report"


@pytest.mark.parametrize(
    ("rewrite", "message"),
    [
        (b"%PDF-1.7 a different report", "changed while"),
        (b"\x7fELF" + PROGRAM[4 : len(ORIGINAL)], "not a real pdf"),
    ],
)
def test_a_file_rewritten_while_it_is_stored_is_not_stored(
    tmp_path: Path, store: LocalEvidenceStore, monkeypatch: pytest.MonkeyPatch, rewrite: bytes, message: str
) -> None:
    """The store checks and hashes the open file, then copies it: if the bytes copied are not the bytes checked
    and hashed (the file was rewritten in place in between), nothing is stored."""
    path = tmp_path / "report.pdf"
    path.write_bytes(ORIGINAL)
    opened = evidence.open_regular

    class Rewritten:
        def __init__(self, fh) -> None:  # type: ignore[no-untyped-def]
            self.fh, self.seeks = fh, 0

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(self.fh, name)

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def seek(self, *args):  # type: ignore[no-untyped-def]
            self.seeks += 1
            if self.seeks == 2:  # after the check and the hash, before the copy
                with path.open("r+b") as out:  # same inode, new content of the same size
                    out.write(rewrite)
            return self.fh.seek(*args)

    monkeypatch.setattr(evidence, "open_regular", lambda p, *, what: Rewritten(opened(p, what=what)))
    refused(lambda: store.put_file(PARTS, path), path.name, message)
    assert stored_files(store) == []


def test_an_oversized_file_is_refused_by_the_store_too(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"0" * 3000)
    small = LocalEvidenceStore(tmp_path / "evidence", max_bytes=1000)
    refused(lambda: small.put_file(PARTS, clip), clip.name, "KPI6_EVIDENCE_MAX_MB")
    assert stored_files(small) == []


def test_a_program_appended_to_a_page_of_csv_text_is_refused(tmp_path: Path, store: LocalEvidenceStore) -> None:
    """A text head alone passed a polyglot: 64 KB of survey rows, then a program."""
    polyglot = tmp_path / "survey.csv"
    rows = "".join(f"15/2/2024 10:00,อบต.{i},5\n" for i in range(3000)).encode("utf-8")
    assert len(rows) > 64 * 1024
    polyglot.write_bytes(b"Timestamp,LAO,Q1\n" + rows + PROGRAM)
    refused_everywhere(store, polyglot, "NUL")
