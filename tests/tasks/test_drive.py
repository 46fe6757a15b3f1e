"""The Google Drive evidence store: the real google-api-python-client against a fake Drive v3 on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi6.models.steps import evidence_folder
from kpi6.settings import Settings
from kpi6.tasks.adapters.drive import DriveError, DriveEvidenceStore, build_drive_service, escape_q, store_from_settings
from kpi6.tasks.adapters.evidence import StoredFile
from tests.support.fakedrive import (
    FOLDER_MIME,
    FakeDrive,
    Fault,
    Item,
    parse_q,
    write_service_account,
    write_user_token,
)

STEP_1 = ("2567-1", "TH-50", "step-1")
KiB = 1024


@pytest.fixture(autouse=True)
def prefect_harness() -> Iterator[None]:
    """These tests need no Prefect server: override the session-wide harness."""
    yield


@pytest.fixture
def drive() -> Iterator[FakeDrive]:
    with FakeDrive() as fake:
        yield fake


@pytest.fixture
def credentials(tmp_path: Path, drive: FakeDrive) -> Path:
    path = tmp_path / "service-account.json"
    write_service_account(path, drive)
    return path


class Sleeps(list[float]):
    """An injected sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_store(drive: FakeDrive, credentials: Path, sleeps: Sleeps):  # type: ignore[no-untyped-def]
    """A new store (new client, empty caches) on the fake; keyword arguments go to DriveEvidenceStore."""

    def make(**kwargs) -> DriveEvidenceStore:  # type: ignore[no-untyped-def]
        service = build_drive_service(credentials, api_root=drive.url, timeout=10)
        return DriveEvidenceStore(service, drive.root_id, sleep=sleeps, **kwargs)

    return make


def uploads(drive: FakeDrive) -> int:
    """Upload requests of any kind (multipart POST, resumable session POST)."""
    return drive.count("POST", "/upload/drive/v3/files")


def only_file(drive: FakeDrive, name: str) -> bytes:
    found = [f for f in drive.files() if f.name == name]
    assert len(found) == 1, f"{name} is in the fake {len(found)} times"
    assert found[0].data is not None
    return found[0].data


# -- 1. folders -------------------------------------------------------------------------------------------------


def test_folder_tree_is_created_once_and_shared_once(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store()
    link = store.folder_link(STEP_1)
    assert store.folder_link(STEP_1) == link
    assert make_store().folder_link(STEP_1) == link  # a new run finds the folders instead of making more

    assert sorted(drive.path_of(f.id) for f in drive.folders()) == [STEP_1[:1], STEP_1[:2], STEP_1]
    assert drive.count("POST", "/drive/v3/files") == 3
    step = next(f for f in drive.folders() if drive.path_of(f.id) == STEP_1)
    assert link == step.link
    assert [(p["type"], p["role"]) for p in step.permissions] == [("anyone", "reader")]
    assert all(not f.permissions for f in drive.folders() if f is not step)
    assert drive.count("POST", "/drive/v3/files/*") == 1  # permissions.create, once across both stores

    # A sibling folder reuses the cached parents: one lookup and one create, no more.
    before = len(drive.requests)
    store.folder_link((*STEP_1[:2], "step-2"))
    assert [(r.method, r.path) for r in drive.requests[before:]] == [
        ("GET", "/drive/v3/files"),
        ("POST", "/drive/v3/files"),
        ("GET", f"/drive/v3/files/{drive.folders()[-1].id}/permissions"),
        ("POST", f"/drive/v3/files/{drive.folders()[-1].id}/permissions"),
    ]


def test_private_links_create_no_permission(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(public_links=False)
    store.folder_link(STEP_1)
    store.put_bytes(STEP_1, "a.txt", b"a")
    assert len(drive.folders()) == 3
    assert all(not f.permissions for f in drive.folders())
    # No permissions and no files.get: below /drive/v3/files/ only the one batch of ids for all four creates.
    assert [(r.method, r.path) for r in drive.requests if r.path.startswith("/drive/v3/files/")] == [
        ("GET", "/drive/v3/files/generateIds")
    ]


def test_folder_names_are_escaped_in_queries(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    tricky = ("O'Neil \\ co", "a' or name != 'b")
    link = make_store().folder_link(tricky)
    assert make_store().folder_link(tricky) == link
    assert sorted(drive.path_of(f.id) for f in drive.folders()) == [tricky[:1], tricky]
    assert parse_q(f"name = {escape_q(tricky[0])} and trashed = false") == [("name", tricky[0]), ("trashed", "false")]


def test_creates_use_pre_generated_ids(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(public_links=False)
    for n in range(12):  # 3 folders and 12 files: 15 ids, fetched 10 at a time
        store.put_bytes(STEP_1, f"{n}.txt", str(n).encode())
    created = drive.folders() + drive.files()
    assert len(created) == 15 and all(item.id in drive.generated_ids for item in created)
    batches = [r.query for r in drive.requests if r.path == "/drive/v3/files/generateIds"]
    assert batches == [{"count": "10", "space": "drive", "type": "files", "alt": "json"}] * 2


def test_root_folder_link(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    assert make_store().folder_link(()) == drive.items[drive.root_id].link
    assert not drive.items[drive.root_id].permissions  # the root is the office's; kpi6 does not share it


# -- 2. and 3. uploads ------------------------------------------------------------------------------------------


def test_multipart_upload_of_a_thai_named_file(tmp_path: Path, drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "แผนการดำเนินงาน.pdf"
    source.write_bytes(b"%PDF-1.7\n" + os.urandom(20_000) + b"\r\n%%EOF\r")
    store = make_store()

    stored = store.put_file(STEP_1, source)

    item = next(f for f in drive.files())
    assert item.name == "แผนการดำเนินงาน.pdf"
    assert item.mime_type == "application/pdf"
    assert item.data == source.read_bytes()
    assert drive.path_of(item.parents[0]) == STEP_1
    assert stored == StoredFile(
        name=source.name,
        link=item.link,
        md5=hashlib.md5(source.read_bytes()).hexdigest(),
        size=source.stat().st_size,
        id=item.id,
    )
    assert drive.count("POST", "/upload/drive/v3/files", "multipart") == 1

    # The same file again, from this store or a new one: found by name, size and MD5, not uploaded.
    assert store.put_file(STEP_1, source) == stored
    assert make_store().put_file(STEP_1, source) == stored
    assert uploads(drive) == 1
    assert len(drive.files()) == 1


def test_put_file_uses_the_safe_name(tmp_path: Path, drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "ภาพ:กิจกรรม*\u200b.png"
    source.write_bytes(b"\x89PNG fake")
    stored = make_store().put_file(STEP_1, source)
    assert stored.name == "ภาพ_กิจกรรม_.png"
    assert [f.name for f in drive.files()] == ["ภาพ_กิจกรรม_.png"]


def test_changed_content_is_uploaded_again(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store()
    first = store.put_bytes(STEP_1, "form1.pdf", b"version 1")
    second = store.put_bytes(STEP_1, "form1.pdf", b"version 2")
    assert first.id != second.id and second.md5 == hashlib.md5(b"version 2").hexdigest()
    assert uploads(drive) == 2
    assert store.put_bytes(STEP_1, "form1.pdf", b"version 1") == first  # either existing copy is kept
    assert uploads(drive) == 2


def test_resumable_upload_in_chunks(tmp_path: Path, drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "วิดีโอ.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(1024 * KiB + 111))
    store = make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB)

    stored = store.put_file(STEP_1, source)

    assert only_file(drive, source.name) == source.read_bytes()
    assert stored.size == source.stat().st_size and stored.md5 == hashlib.md5(source.read_bytes()).hexdigest()
    assert drive.count("POST", "/upload/drive/v3/files", "resumable") == 1
    assert drive.count("POST", "/upload/drive/v3/files", "multipart") == 0
    assert stored.id in drive.generated_ids  # the session's metadata carried it
    chunks = [r.headers["content-range"] for r in drive.requests if r.method == "PUT"]
    assert chunks == [
        "bytes 0-262143/1048699",
        "bytes 262144-524287/1048699",
        "bytes 524288-786431/1048699",
        "bytes 786432-1048575/1048699",
        "bytes 1048576-1048698/1048699",
    ]
    assert make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB).put_file(STEP_1, source) == stored
    assert uploads(drive) == 1


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ"])
def test_a_symlink_is_refused_and_nothing_is_uploaded(
    tmp_path: Path,
    drive: FakeDrive,
    make_store,  # type: ignore[no-untyped-def]
    target: str,
) -> None:
    from kpi6.models.errors import InputError

    link = tmp_path / "ผู้เข้าร่วม.csv"
    link.symlink_to(target)
    with pytest.raises(InputError, match="symbolic link") as info:
        make_store().put_file(STEP_1, link)
    assert link.name in str(info.value) and "\n" not in str(info.value)
    assert drive.requests == [] and drive.files() == []


def test_a_symlink_swapped_in_after_the_check_is_not_uploaded(tmp_path: Path, drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    from kpi6.models.errors import InputError
    from kpi6.tasks.adapters.evidence import check_evidence, store_evidence

    path = tmp_path / "participants.csv"
    path.write_text("name,office\nสมชาย,อบต.บ้านใหม่\n", encoding="utf-8")
    check_evidence([str(path)], what="step 4")
    (tmp_path / "swap").symlink_to("/etc/passwd")
    os.replace(tmp_path / "swap", path)
    with pytest.raises(InputError, match="symbolic link"):
        store_evidence(make_store(), STEP_1, [str(path)])
    assert uploads(drive) == 0 and drive.files() == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("survey.csv", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "not a text file"),
        ("plan.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "not a real pdf"),
        ("empty.png", b"", "is empty"),
    ],
)
def test_content_is_checked_before_any_request(
    tmp_path: Path,
    drive: FakeDrive,
    make_store,  # type: ignore[no-untyped-def]
    name: str,
    data: bytes,
    message: str,
) -> None:
    from kpi6.models.errors import InputError

    source = tmp_path / name
    source.write_bytes(data)
    with pytest.raises(InputError, match=message):
        make_store().put_file(STEP_1, source)
    assert drive.requests == []


def test_too_large_a_file_is_refused_before_any_request(tmp_path: Path, drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    from kpi6.models.errors import InputError

    source = tmp_path / "big.mp4"
    source.write_bytes(b"x" * 2000)
    with pytest.raises(InputError, match="KPI6_EVIDENCE_MAX_MB"):
        make_store(max_bytes=1000).put_file(STEP_1, source)
    assert drive.requests == []


# -- 4. faults that pass ----------------------------------------------------------------------------------------


def test_500_on_files_list_is_retried(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("GET", "/drive/v3/files", status=500))
    stored = make_store().put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.faults[0].times == 0  # the fault was hit
    assert len(sleeps) == 1 and 1 <= sleeps[0] <= 2  # first backoff: 1 s plus jitter
    assert only_file(drive, "plan.pdf") == b"plan" and stored.id is not None
    assert len(drive.folders()) == 3


def test_429_waits_as_long_as_retry_after_says(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(
        Fault(
            "POST",
            "/upload/drive/v3/files",
            "multipart",
            status=429,
            reason="rateLimitExceeded",
            headers={"Retry-After": "2"},
        )
    )
    make_store().put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.faults[0].times == 0
    assert sleeps and max(sleeps) >= 2
    assert only_file(drive, "plan.pdf") == b"plan"
    assert drive.count("POST", "/upload/drive/v3/files", "multipart") == 2


def test_403_rate_limit_is_retried_like_429(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("GET", "/drive/v3/files", status=403, reason="userRateLimitExceeded"))
    make_store().folder_link(STEP_1)
    assert len(sleeps) == 1 and len(drive.folders()) == 3


def test_connection_dropped_mid_chunk_resumes(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(1024 * KiB)
    # Drive keeps the first 100 000 bytes of the second chunk, then the connection resets.
    drive.faults.append(
        Fault(
            "PUT",
            "/upload/drive/v3/files",
            action="drop",
            read_bytes=100_000,
            when=lambda r: r.headers.get("content-range", "").startswith("bytes 262144-"),
        )
    )
    stored = make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB).put_bytes(STEP_1, "clip.mp4", data)

    assert drive.faults[0].times == 0 and len(sleeps) == 1
    assert only_file(drive, "clip.mp4") == data
    assert stored.md5 == hashlib.md5(data).hexdigest()
    puts = [r.headers.get("content-range") for r in drive.requests if r.method == "PUT"]
    # googleapiclient asks how much arrived, then goes on from byte 362144, not from the chunk's start.
    assert puts[1:4] == ["bytes 262144-524287/1048576", "bytes */1048576", "bytes 362144-624287/1048576"]
    assert drive.count("POST", "/upload/drive/v3/files", "resumable") == 1  # one session, resumed


def test_connection_closed_before_the_answer_to_a_chunk(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    """httplib2 re-sends a request by itself when the server closes without a status line; the chunk must go
    out whole again (a consumed stream slice would send nothing and hang until the timeout)."""
    data = os.urandom(1024 * KiB)
    drive.faults.append(
        Fault(
            "PUT",
            "/upload/drive/v3/files",
            action="hang_up",
            when=lambda r: r.headers.get("content-range", "").startswith("bytes 262144-"),
        )
    )
    make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB).put_bytes(STEP_1, "clip.mp4", data)
    assert drive.faults[0].times == 0
    assert only_file(drive, "clip.mp4") == data
    puts = [r.headers.get("content-range") for r in drive.requests if r.method == "PUT"]
    assert puts[1:3] == ["bytes 262144-524287/1048576"] * 2  # the silent re-send, in full
    assert sleeps == []  # nothing reached kpi6's retry loop


def test_lost_answer_to_the_last_chunk_does_not_duplicate(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(600 * KiB)
    drive.faults.append(
        Fault(
            "PUT",
            "/upload/drive/v3/files",
            action="lose_answer",
            when=lambda r: r.headers.get("content-range", "").endswith(f"-{len(data) - 1}/{len(data)}"),
        )
    )
    stored = make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB).put_bytes(STEP_1, "clip.mp4", data)
    assert drive.faults[0].times == 0
    assert only_file(drive, "clip.mp4") == data and stored.id == drive.files()[0].id


def test_lost_answer_to_a_multipart_upload_does_not_duplicate(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("POST", "/upload/drive/v3/files", "multipart", action="lose_answer"))
    drive.faults.append(Fault("POST", "/drive/v3/files", action="lose_answer"))  # the first folder too
    stored = make_store().put_bytes(STEP_1, "plan.pdf", b"plan")
    assert [f.times for f in drive.faults] == [0, 0]
    assert only_file(drive, "plan.pdf") == b"plan" and stored.id == drive.files()[0].id
    assert len(drive.folders()) == 3
    assert drive.count("POST", "/upload/drive/v3/files", "multipart") == 1  # found on the re-check, not re-sent


def test_clean_close_after_a_multipart_upload(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    """httplib2 re-sends the POST by itself after a clean close; the copy carries the same id, so Drive answers
    409 and the store takes the file it made the first time."""
    drive.faults.append(Fault("POST", "/upload/drive/v3/files", "multipart", action="lose_answer", reset=False))
    stored = make_store().put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.faults[0].times == 0
    assert only_file(drive, "plan.pdf") == b"plan" and stored.id == drive.files()[0].id
    assert drive.count("POST", "/upload/drive/v3/files", "multipart") == 2  # the silent re-send, answered 409
    assert drive.count("GET", f"/drive/v3/files/{stored.id}") == 1
    assert sleeps == []


def test_clean_close_after_a_folder_create(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("POST", "/drive/v3/files", action="lose_answer", reset=False))
    link = make_store().folder_link(STEP_1[:1])
    assert drive.faults[0].times == 0
    assert [drive.path_of(f.id) for f in drive.folders()] == [STEP_1[:1]]
    assert link == drive.folders()[0].link
    assert drive.count("POST", "/drive/v3/files") == 2  # the silent re-send, answered 409
    assert sleeps == []


@pytest.mark.parametrize("threshold", [pytest.param(None, id="multipart"), pytest.param(0, id="resumable")])
@pytest.mark.parametrize(
    ("name", "data", "differ"),
    [
        pytest.param("other.pdf", b"plan", "name", id="another name"),
        pytest.param("plan.pdf", b"other", "size, md5Checksum", id="other bytes"),
    ],
)
def test_id_in_use_by_another_file_is_refused(
    drive: FakeDrive,
    make_store,
    name: str,
    data: bytes,  # type: ignore[no-untyped-def]
    differ: str,
    threshold: int | None,
) -> None:
    store = make_store() if threshold is None else make_store(resumable_threshold=threshold)
    store.folder_link(STEP_1)
    step = next(f for f in drive.folders() if drive.path_of(f.id) == STEP_1)
    taken = store._spare_ids[-1]  # the id of the next create
    drive.items[taken] = Item(taken, name, "application/pdf", [step.id], data)
    with pytest.raises(
        DriveError,
        match=rf"refused upload of 'plan.pdf': its id {taken} is in use \(HTTP 409\) "
        rf"by something else \({differ} differ\); not recorded as stored",
    ):
        store.put_bytes(STEP_1, "plan.pdf", b"plan")
    assert [f.name for f in drive.files()] == [name]


def test_clean_close_after_the_last_chunk_does_not_duplicate(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(300 * KiB)
    drive.faults.append(
        Fault(
            "PUT",
            "/upload/drive/v3/files",
            action="lose_answer",
            reset=False,
            when=lambda r: r.headers.get("content-range", "").startswith("bytes 262144-"),
        )
    )
    make_store(chunk_size=256 * KiB, resumable_threshold=0).put_bytes(STEP_1, "plan.pdf", data)
    assert drive.faults[0].times == 0
    assert only_file(drive, "plan.pdf") == data


def test_all_faults_together_leave_each_file_once(
    tmp_path: Path,
    drive: FakeDrive,
    make_store,  # type: ignore[no-untyped-def]
    sleeps: Sleeps,
) -> None:
    small, large = b"small evidence", os.urandom(1024 * KiB)
    drive.faults += [
        Fault("GET", "/drive/v3/files", status=500),
        Fault("POST", "/upload/drive/v3/files", "multipart", status=429, headers={"Retry-After": "2"}),
        Fault(
            "PUT",
            "/upload/drive/v3/files",
            action="drop",
            read_bytes=50_000,
            when=lambda r: r.headers.get("content-range", "").startswith("bytes 524288-"),
        ),
    ]
    store = make_store(chunk_size=256 * KiB, resumable_threshold=512 * KiB)
    for _ in range(2):  # a second run changes nothing
        store.put_bytes(STEP_1, "small.txt", small)
        store.put_bytes(STEP_1, "large.bin", large)
    assert [f.times for f in drive.faults] == [0, 0, 0]
    assert only_file(drive, "small.txt") == small
    assert only_file(drive, "large.bin") == large
    assert len(sleeps) == 3 and max(sleeps) >= 2


# -- 5. faults that do not pass --------------------------------------------------------------------------------


def test_persistent_503_gives_up_after_retries(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    store = make_store(retries=4)
    store.folder_link(STEP_1)
    drive.faults.append(Fault("POST", "/upload/drive/v3/files", status=503, times=None))
    with pytest.raises(DriveError, match=r"^Google Drive did not answer after 4 tries: upload of 'plan.pdf': HTTP 503"):
        store.put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.count("POST", "/upload/drive/v3/files") == 4
    assert len(sleeps) == 3 and sleeps == sorted(sleeps)  # backoff grows
    assert drive.files() == []


def test_persistent_503_on_chunks_records_nothing(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(retries=3, chunk_size=256 * KiB, resumable_threshold=512 * KiB)
    drive.faults.append(Fault("PUT", "/upload/drive/v3/files", status=503, times=None))
    with pytest.raises(DriveError, match="did not answer after 3 tries") as caught:
        store.put_bytes(STEP_1, "clip.mp4", os.urandom(600 * KiB))
    assert "\n" not in str(caught.value)
    assert drive.files() == []


def test_403_fails_at_once(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("GET", "/drive/v3/files", status=403, reason="insufficientFilePermissions"))
    with pytest.raises(DriveError, match=r"refused files.list .*HTTP 403 .*insufficientFilePermissions"):
        make_store().folder_link(STEP_1)
    assert drive.count("GET", "/drive/v3/files") == 1
    assert sleeps == []


def test_missing_root_folder_fails_at_once(drive: FakeDrive, credentials: Path, sleeps: Sleeps) -> None:
    store = DriveEvidenceStore(build_drive_service(credentials, api_root=drive.url), "no-such-folder", sleep=sleeps)
    with pytest.raises(DriveError, match="HTTP 404"):
        store.folder_link(STEP_1)
    assert sleeps == [] and drive.folders() == []


def test_md5_mismatch_is_not_reported_as_stored(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("POST", "/upload/drive/v3/files", "multipart", action="corrupt"))
    with pytest.raises(DriveError, match="not recorded as stored"):
        make_store().put_bytes(STEP_1, "plan.pdf", b"plan")


# -- 6. credentials and settings -------------------------------------------------------------------------------


def test_service_account_end_to_end(drive: FakeDrive, make_store) -> None:  # type: ignore[no-untyped-def]
    make_store().put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.tokens == ["fake-token-1"]
    claims = drive.token_claims[0]
    assert claims["iss"] == "kpi6-uploader@kpi6-test.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/drive"
    api = [r for r in drive.requests if r.path != "/token"]
    assert api and all(r.headers.get("authorization") == "Bearer fake-token-1" for r in api)


def test_user_token_end_to_end(
    tmp_path: Path, drive: FakeDrive, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.oauth2.credentials

    # google-auth ignores a user token file's token_uri and always refreshes at Google: point that at the fake.
    monkeypatch.setattr(google.oauth2.credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", drive.token_uri)
    path = tmp_path / "token.json"
    write_user_token(path, drive)
    store = DriveEvidenceStore(build_drive_service(path, api_root=drive.url), drive.root_id, sleep=sleeps)
    store.put_bytes(STEP_1, "plan.pdf", b"plan")
    assert drive.token_claims == [
        {"refresh_token": "1//0refresh-token-for-tests", "client_id": "kpi6-desktop.apps.googleusercontent.com"}
    ]
    assert only_file(drive, "plan.pdf") == b"plan"


def test_refused_token_names_the_credentials(drive: FakeDrive, make_store, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    drive.faults.append(Fault("POST", "/token", status=400, reason="invalid_grant"))
    with pytest.raises(DriveError, match=r"^Google refused the credentials \(KPI6_GOOGLE_CREDENTIALS\) for files.list"):
        make_store().folder_link(STEP_1)
    assert drive.count("POST", "/token") == 1 and drive.count("GET", "/drive/v3/files") == 0 and sleeps == []


def _damaged(info: dict) -> dict:  # type: ignore[type-arg]
    pem = info["private_key"]
    return {**info, "private_key": pem[:200] + pem[260:]}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda info: json.dumps(_damaged(info)), id="damaged key"),
        pytest.param(lambda info: json.dumps(info)[:-40], id="truncated JSON"),
        pytest.param(
            lambda info: json.dumps({k: v for k, v in info.items() if k != "client_email"}), id="no client_email"
        ),
        pytest.param(lambda info: json.dumps({**info, "type": "mystery"}), id="unknown type"),
        pytest.param(lambda info: info["private_key"], id="bare PEM"),
    ],
)
def test_bad_credentials_never_show_the_key(tmp_path: Path, drive: FakeDrive, damage) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sa.json"
    info = write_service_account(path, drive)
    path.write_text(damage(info), encoding="utf-8")
    with pytest.raises(DriveError) as caught:
        build_drive_service(path, api_root=drive.url)
    message = str(caught.value)
    assert message.startswith(f"KPI6_GOOGLE_CREDENTIALS ({path}): ") and "\n" not in message
    key_lines = [line for line in info["private_key"].splitlines() if "-----" not in line]
    assert not any(line[:16] in message for line in key_lines)
    assert "PRIVATE KEY" not in message
    # Nor does the traceback: the library's own exception is not chained.
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)


def test_missing_credentials_file(tmp_path: Path) -> None:
    with pytest.raises(DriveError, match="no such file"):
        build_drive_service(tmp_path / "nope.json")


def test_store_from_settings_names_what_is_missing(tmp_path: Path, drive: FakeDrive, credentials: Path) -> None:
    with pytest.raises(DriveError, match="KPI6_GOOGLE_CREDENTIALS and KPI6_DRIVE_ROOT_FOLDER_ID"):
        store_from_settings(Settings(google_credentials=None, drive_root_folder_id=None))
    with pytest.raises(DriveError, match=r"needs KPI6_DRIVE_ROOT_FOLDER_ID \("):
        store_from_settings(Settings(google_credentials=credentials, drive_root_folder_id=None))
    with pytest.raises(DriveError, match=r"needs KPI6_GOOGLE_CREDENTIALS \("):
        store_from_settings(Settings(google_credentials=None, drive_root_folder_id="abc"))

    store = store_from_settings(
        Settings(
            google_credentials=credentials,
            drive_root_folder_id=drive.root_id,
            drive_api_root=drive.url,
            drive_public_links=False,
            evidence_max_mb=1,
        )
    )
    assert store.public_links is False and store.max_bytes == 1024 * 1024
    stored = store.put_bytes(("2567-1", "TH-50", *evidence_folder("survey")), "survey.csv", "ข้อ,คะแนน\n".encode())
    assert drive.path_of(drive.items[stored.id].parents[0]) == ("2567-1", "TH-50", "step-4", "survey")
    assert all(f.mime_type == FOLDER_MIME and not f.permissions for f in drive.folders())
