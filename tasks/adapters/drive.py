"""The Google Drive evidence store (`KPI6_EVIDENCE_BACKEND=gdrive`): the folder tree and files of `evidence.py`,
kept in Drive through google-api-python-client.

Folders are found before they are created (ids cached per store), so re-runs never duplicate them; a file with
the same name, size and MD5 is kept; an upload counts only once Drive returns an MD5 equal to the local one.
Every create carries an id from `files.generateIds`, so a create sent twice (by a retry, or silently re-sent by
httplib2 after a connection closed without an answer) makes one file: the second send gets 409, and the file
already under that id is checked to be the one meant (name, parent, and for files size and MD5) and taken.
Every API call goes through `DriveEvidenceStore._call`, which retries HTTP 429, 5xx and dropped connections with
exponential backoff and jitter (honouring Retry-After); any other refusal is a `DriveError` at once.
"""

from __future__ import annotations

import email.utils
import errno
import hashlib
import http.client
import io
import json
import mimetypes
import random
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import google.auth.credentials
import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload, build_http

from kpi6.models.errors import DeliveryError, InputError, SettingsError
from kpi6.tasks.adapters.evidence import StoredFile, default_max_bytes, open_evidence
from kpi6.tasks.adapters.limits import DRIVE_TAG, limited

SCOPES = ["https://www.googleapis.com/auth/drive"]
FOLDER_MIME = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,size,md5Checksum,webViewLink"
# Ids fetched per files.generateIds call (Drive allows 1 to 1000); the spare ones wait in the store's pool.
ID_BATCH = 10
MiB = 1024 * 1024
# Google requires resumable chunks in multiples of 256 KiB (all but the last).
CHUNK_QUANTUM = 256 * 1024
# Drive reports some rate limits as 403 with these reasons rather than 429.
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
MAX_RETRY_AFTER = 300.0
MAX_BACKOFF = 32.0
# Transport failures worth another try: resets, timeouts, refused or unreachable hosts, TLS hiccups.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
    google.auth.exceptions.TransportError,
)
TRANSIENT_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.ENETRESET,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)

DriveService = Any  # googleapiclient's Resource is built at run time and has no static type
T = TypeVar("T")


class DriveError(DeliveryError):
    """Google Drive refused or did not answer; nothing was recorded as stored."""


class DriveConfigError(DriveError, SettingsError):
    """The Drive settings or the credentials file are missing or unusable."""


# -- building the client -------------------------------------------------------------------------------------


def load_credentials(path: Path) -> google.auth.credentials.Credentials:
    """Service-account key or OAuth user token from a JSON file; errors never quote the file's secrets."""
    where = f"KPI6_GOOGLE_CREDENTIALS ({path})"
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DriveConfigError(f"{where}: no such file") from None
    except OSError as exc:
        raise DriveConfigError(f"{where}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError; their text could quote the file
        raise DriveConfigError(
            f"{where}: not a JSON file (expected a service-account key or an OAuth user token)"
        ) from None
    if not isinstance(info, dict):
        raise DriveConfigError(f"{where}: not a JSON object (expected a service-account key or an OAuth user token)")
    kind = info.get("type")
    load: Callable[..., google.auth.credentials.Credentials]
    if kind == "service_account":
        what, required = "service-account key", ("client_email", "private_key", "token_uri")
        load = service_account.Credentials.from_service_account_info
    elif kind == "authorized_user" or "refresh_token" in info:
        what, required = "OAuth user token", ("client_id", "client_secret", "refresh_token")
        load = user_credentials.Credentials.from_authorized_user_info
    elif "installed" in info or "web" in info:
        raise DriveConfigError(
            f"{where}: this is an OAuth client file, not a token; authorize once and give the "
            "resulting token file (with refresh_token), or use a service-account key"
        )
    else:
        raise DriveConfigError(
            f"{where}: neither a service-account key nor an OAuth user token (type {str(kind)[:40]!r})"
        )
    missing = [k for k in required if not isinstance(info.get(k), str) or not info[k]]
    if missing:
        raise DriveConfigError(f"{where}: the {what} lacks {', '.join(missing)}")
    try:
        credentials: google.auth.credentials.Credentials = load(info, scopes=SCOPES)
        return credentials
    except (ValueError, TypeError, KeyError, IndexError, google.auth.exceptions.GoogleAuthError):
        # The library's message may come from the key parser: say what is wrong, not what the file holds.
        detail = "its private_key could not be read" if kind == "service_account" else "it could not be read"
        raise DriveConfigError(f"{where}: the {what} is damaged: {detail}") from None


def discovery_document(api_root: str | None = None) -> dict[str, Any]:
    """Drive v3's discovery document as shipped in googleapiclient, optionally pointed at another root URL
    (a media upload only follows `rootUrl`; `client_options.api_endpoint` would leave it on https)."""
    text = get_static_doc("drive", "v3")
    if text is None:  # pragma: no cover - a broken install
        raise DriveConfigError("google-api-python-client has no static discovery document for drive v3")
    doc: dict[str, Any] = json.loads(text)
    if api_root:
        root = api_root.rstrip("/") + "/"
        doc["rootUrl"] = root
        doc["mtlsRootUrl"] = root
        doc["baseUrl"] = root + doc["servicePath"]
    return doc


def build_drive_service(credentials_path: Path, *, api_root: str | None = None, timeout: float = 60) -> DriveService:
    """A Drive v3 client built offline from the static discovery document; `api_root` redirects every call."""
    credentials = load_credentials(credentials_path)
    transport = build_http()  # excludes 308 from redirects, as resumable uploads need
    transport.timeout = timeout
    authorized = google_auth_httplib2.AuthorizedHttp(credentials, http=transport)
    return build_from_document(discovery_document(api_root), http=authorized)


def _missing_settings(settings: Any) -> str | None:
    missing = [
        name
        for name, value in (
            ("KPI6_GOOGLE_CREDENTIALS", settings.google_credentials),
            ("KPI6_DRIVE_ROOT_FOLDER_ID", settings.drive_root_folder_id),
        )
        if not value
    ]
    if missing:
        return (
            f"the gdrive evidence store needs {' and '.join(missing)} "
            "(a credentials JSON file and the id of the Drive folder to work in)"
        )
    return None


def store_settings_problem(settings: Any) -> str | None:
    """What keeps the Drive store from starting (a missing setting, an unreadable credentials file), or None."""
    if problem := _missing_settings(settings):
        return problem
    try:
        load_credentials(Path(settings.google_credentials).expanduser())
    except DriveError as exc:
        return str(exc)
    return None


def store_from_settings(settings: Any) -> DriveEvidenceStore:
    """The Drive store configured by KPI6_GOOGLE_CREDENTIALS, KPI6_DRIVE_ROOT_FOLDER_ID and friends."""
    if problem := _missing_settings(settings):
        raise DriveConfigError(problem)
    service = build_drive_service(Path(settings.google_credentials).expanduser(), api_root=settings.drive_api_root)
    return DriveEvidenceStore(
        service,
        settings.drive_root_folder_id,
        public_links=settings.drive_public_links,
        max_bytes=int(settings.evidence_max_mb * MiB),
        retries=settings.drive_retries,
    )


# -- the store -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriveFolder:
    id: str
    link: str | None


class _ChunkedUpload(MediaIoBaseUpload):  # type: ignore[misc]  # googleapiclient ships no types: it is Any
    """Media read chunk by chunk as bytes rather than streamed: when httplib2 silently re-sends a request after
    a stale connection, a stream slice would already be consumed and the chunk would go out empty."""

    def has_stream(self) -> bool:
        return False


def escape_q(value: str) -> str:
    """A string literal for Drive's query language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class DriveEvidenceStore:
    """Evidence in a Google Drive folder tree below `root_folder_id` (a folder or a shared drive)."""

    def __init__(
        self,
        service: DriveService,
        root_folder_id: str,
        *,
        public_links: bool = True,
        retries: int = 6,
        chunk_size: int = 8 * MiB,
        resumable_threshold: int = 5 * MiB,
        max_bytes: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if retries < 1:
            raise ValueError("retries must be at least 1")
        if chunk_size <= 0 or chunk_size % CHUNK_QUANTUM:
            raise ValueError(f"chunk_size must be a positive multiple of {CHUNK_QUANTUM} bytes")
        self.service = service
        self.root_folder_id = root_folder_id
        self.public_links = public_links
        self.retries = retries
        self.chunk_size = chunk_size
        self.resumable_threshold = resumable_threshold
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.sleep = sleep
        self._folders: dict[tuple[str, ...], DriveFolder] = {(): DriveFolder(root_folder_id, None)}
        self._public: set[str] = set()
        self._spare_ids: list[str] = []
        # Inside a Prefect run each upload holds a slot of the `drive` tag limit, capping uploads everywhere.
        self._limited_put = limited(DRIVE_TAG, self._put)

    # -- the EvidenceStore protocol ------------------------------------------------------------------------

    def folder_link(self, parts: tuple[str, ...]) -> str:
        folder = self._folder(parts)
        if folder.link is None:  # only the root, which kpi6 did not create
            found = self._call(
                lambda: (
                    self.service.files()
                    .get(fileId=folder.id, fields="id,webViewLink", supportsAllDrives=True)
                    .execute()
                ),
                "files.get (root)",
            )
            link: str = found["webViewLink"]
            self._folders[parts] = DriveFolder(folder.id, link)
            return link
        return folder.link

    def put_bytes(self, parts: tuple[str, ...], name: str, data: bytes) -> StoredFile:
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return self._limited_put(parts, name, io.BytesIO(data), len(data), md5)

    def put_file(self, parts: tuple[str, ...], source: Path) -> StoredFile:
        """Its type and size are checked before any request. The open file (files.open_regular: no symlinks,
        regular files only) is read once into a private spool - in memory up to `resumable_threshold`, else an
        unnamed temporary file - being checked and hashed on the way; the upload reads the spool, so the bytes
        sent are the bytes checked even if the office's file changes meanwhile."""
        with (
            open_evidence(source, max_bytes=self.max_bytes) as evidence,
            tempfile.SpooledTemporaryFile(max_size=self.resumable_threshold) as spool,
        ):
            scanned = evidence.scan(sink=spool)
            spool.seek(0)
            return self._limited_put(parts, evidence.name, spool, scanned.size, scanned.md5)

    # -- folders ---------------------------------------------------------------------------------------------

    def _folder(self, parts: tuple[str, ...]) -> DriveFolder:
        """Find or create each folder of `parts` below the root; share the last one when links are public."""
        parent = self._folders[()]
        for depth, name in enumerate(parts, start=1):
            key = parts[:depth]
            if key not in self._folders:
                if not name or not name.strip():
                    raise ValueError(f"empty folder name in {parts!r}")
                self._folders[key] = self._find_or_create_folder(parent.id, name)
            parent = self._folders[key]
        if parts and self.public_links:
            self._share(parent.id)
        return parent

    def _find_folder(self, parent_id: str, name: str) -> DriveFolder | None:
        q = (
            f"name = {escape_q(name)} and mimeType = '{FOLDER_MIME}' and {escape_q(parent_id)} in parents "
            "and trashed = false"
        )
        found = self._call(
            lambda: (
                self.service.files()
                .list(
                    q=q,
                    fields="files(id,name,webViewLink)",
                    orderBy="createdTime",
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
                .execute()
            ),
            f"files.list (folder {name!r})",
        )
        files = found.get("files") or []
        return DriveFolder(files[0]["id"], files[0]["webViewLink"]) if files else None

    def _find_or_create_folder(self, parent_id: str, name: str) -> DriveFolder:
        found = self._find_folder(parent_id, name)
        if found is not None:
            return found
        folder_id = self._new_id()
        body = {"id": folder_id, "name": name, "mimeType": FOLDER_MIME, "parents": [parent_id]}
        what = f"files.create (folder {name!r})"

        def made_anyway() -> dict[str, Any] | None:
            """After a lost answer Drive may have made the folder: look before creating another."""
            folder = self._find_folder(parent_id, name)
            return None if folder is None else {"id": folder.id, "webViewLink": folder.link}

        created = self._call(
            self._or_ours(
                lambda: (
                    self.service.files().create(body=body, fields="id,webViewLink", supportsAllDrives=True).execute()
                ),
                lambda: self._claim(
                    folder_id,
                    parent_id,
                    {"name": name, "mimeType": FOLDER_MIME},
                    "id,name,mimeType,parents,webViewLink",
                    what,
                ),
            ),
            what,
            recover=made_anyway,
        )
        return DriveFolder(created["id"], created["webViewLink"])

    def _is_public(self, folder_id: str) -> bool:
        found = self._call(
            lambda: (
                self.service.permissions()
                .list(fileId=folder_id, fields="permissions(id,type,role)", supportsAllDrives=True)
                .execute()
            ),
            "permissions.list",
        )
        return any(
            p.get("type") == "anyone" and p.get("role") in ("reader", "commenter", "writer")
            for p in found.get("permissions") or []
        )

    def _share(self, folder_id: str) -> None:
        """Anyone with the link can view the folder (and so its files); created once, checked per store."""
        if folder_id in self._public:
            return
        if not self._is_public(folder_id):
            self._call(
                lambda: (
                    self.service.permissions()
                    .create(
                        fileId=folder_id, body={"type": "anyone", "role": "reader"}, fields="id", supportsAllDrives=True
                    )
                    .execute()
                ),
                "permissions.create (anyone with the link can view; set KPI6_DRIVE_PUBLIC_LINKS=false if the "
                "domain forbids it)",
                recover=lambda: {} if self._is_public(folder_id) else None,
            )
        self._public.add(folder_id)

    # -- files -----------------------------------------------------------------------------------------------

    def _check_size(self, name: str, size: int) -> None:
        if self.max_bytes is not None and size > self.max_bytes:
            raise InputError(
                f"evidence file {name} is {size / MiB:.0f} MB; the limit is {self.max_bytes / MiB:g} MB "
                "(KPI6_EVIDENCE_MAX_MB)"
            )

    def _find_file(self, folder_id: str, name: str, size: int, md5: str) -> dict[str, Any] | None:
        q = f"name = {escape_q(name)} and {escape_q(folder_id)} in parents and trashed = false"
        found = self._call(
            lambda: (
                self.service.files()
                .list(
                    q=q,
                    fields="files(id,name,size,md5Checksum,webViewLink)",
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
                .execute()
            ),
            f"files.list ({name!r})",
        )
        return next(
            (f for f in found.get("files") or [] if f.get("md5Checksum") == md5 and str(f.get("size")) == str(size)),
            None,
        )

    def _put(self, parts: tuple[str, ...], name: str, fh: IO[bytes], size: int, md5: str) -> StoredFile:
        self._check_size(name, size)
        folder = self._folder(parts)
        existing = self._find_file(folder.id, name, size, md5)
        if existing is None:
            existing = self._upload(folder.id, name, fh, size, md5)
        return StoredFile(name=existing["name"], link=existing["webViewLink"], md5=md5, size=size, id=existing["id"])

    def _upload(self, folder_id: str, name: str, fh: IO[bytes], size: int, md5: str) -> dict[str, Any]:
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        resumable = size > self.resumable_threshold
        media = _ChunkedUpload(fh, mime, chunksize=self.chunk_size, resumable=resumable)
        file_id = self._new_id()
        request = self.service.files().create(
            body={"id": file_id, "name": name, "parents": [folder_id]},
            media_body=media,
            fields=FILE_FIELDS,
            supportsAllDrives=True,
        )
        what = f"upload of {name!r}"

        def ours() -> dict[str, Any]:
            return self._claim(
                file_id,
                folder_id,
                {"name": name, "size": str(size), "md5Checksum": md5},
                FILE_FIELDS + ",parents",
                what,
            )

        if resumable:
            # After a failed chunk, next_chunk() first asks Drive how much arrived, then resumes from there.
            result: dict[str, Any] | None = None
            while result is None:
                _, result = self._call(self._or_ours(request.next_chunk, lambda: (None, ours())), what)
        else:
            result = self._call(
                self._or_ours(request.execute, ours), what, recover=lambda: self._find_file(folder_id, name, size, md5)
            )
        if result.get("md5Checksum") != md5 or str(result.get("size")) != str(size):
            raise DriveError(
                f"Google Drive holds {name!r} (id {result.get('id')}) with MD5 "
                f"{result.get('md5Checksum')} and size {result.get('size')}, but the file sent has MD5 "
                f"{md5} and size {size}; not recorded as stored"
            )
        return result

    # -- pre-generated ids ----------------------------------------------------------------------------------

    def _new_id(self) -> str:
        """An unused Drive id for the next create, from a small pool refilled by files.generateIds. Each id
        goes to one create only, and is dropped with it even if that create fails."""
        if not self._spare_ids:
            found = self._call(
                lambda: self.service.files().generateIds(count=ID_BATCH, space="drive", type="files").execute(),
                "files.generateIds",
            )
            ids = found.get("ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
                raise DriveError(f"Google Drive answered files.generateIds without ids: {str(found)[:200]}")
            self._spare_ids = list(reversed(ids))
        return self._spare_ids.pop()

    @staticmethod
    def _or_ours(call: Callable[[], T], ours: Callable[[], T]) -> Callable[[], T]:
        """`call` (a create with a pre-generated id), except that 409 - the id is taken, as when Drive carried out
        an earlier send of this very create whose answer never came - gives `ours()` instead."""

        def attempt() -> T:
            try:
                return call()
            except HttpError as exc:
                if exc.resp.status != 409:
                    raise
            return ours()

        return attempt

    def _claim(self, file_id: str, parent_id: str, expect: dict[str, str], fields: str, what: str) -> dict[str, Any]:
        """After 409 to a create with `file_id`: what Drive holds under that id, if it is what the create meant
        (the `expect`ed fields equal, and below `parent_id`); else DriveError."""

        def get() -> dict[str, Any] | None:
            try:
                found: dict[str, Any] = (
                    self.service.files().get(fileId=file_id, fields=fields, supportsAllDrives=True).execute()
                )
            except HttpError as exc:
                if exc.resp.status == 404:
                    return None
                raise
            return found

        found = self._call(get, f"files.get ({file_id}, whose id {what} found in use)")
        if found is None:
            raise DriveError(
                f"Google Drive refused {what}: its id {file_id} is in use (HTTP 409), but no file with "
                "that id can be seen; not recorded as stored"
            )
        differ = [key for key, value in expect.items() if str(found.get(key)) != value]
        if parent_id not in (found.get("parents") or []):
            differ.append("parents")
        if differ:
            raise DriveError(
                f"Google Drive refused {what}: its id {file_id} is in use (HTTP 409) by something else "
                f"({', '.join(differ)} differ); not recorded as stored"
            )
        return found

    # -- calls and retries -----------------------------------------------------------------------------------

    def _call(self, call: Callable[[], T], what: str, *, recover: Callable[[], T | None] | None = None) -> T:
        """Run one API call, retrying what may pass (429, 5xx, dropped connections) up to `retries` attempts.

        `recover`, for calls that create something, looks before a retry whether the failed attempt did it anyway.
        """
        for attempt in range(1, self.retries + 1):
            try:
                return call()
            except Exception as exc:  # sorted just below; anything not from Drive or the network is re-raised as is
                retry_after = _transient(exc)
                if retry_after is None:
                    if isinstance(exc, google.auth.exceptions.RefreshError):
                        raise DriveError(
                            f"Google refused the credentials (KPI6_GOOGLE_CREDENTIALS) for {what}: {_describe(exc)}"
                        ) from exc
                    if isinstance(exc, HttpError):
                        hint = (
                            " (is KPI6_DRIVE_ROOT_FOLDER_ID right, and shared with this account?)"
                            if exc.resp.status == 404
                            else ""
                        )
                        raise DriveError(f"Google Drive refused {what}: {_describe(exc)}{hint}") from exc
                    raise
                if attempt == self.retries:
                    raise DriveError(
                        f"Google Drive did not answer after {attempt} tries: {what}: {_describe(exc)}"
                    ) from exc
                self.sleep(max(retry_after, self._backoff(attempt)))
            if recover is not None:
                found = recover()
                if found is not None:
                    return found
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _backoff(attempt: int) -> float:
        """1, 2, 4 ... seconds (at most 32) plus up to a second of jitter, so many offices do not retry in step."""
        return min(MAX_BACKOFF, 2.0 ** (attempt - 1)) + random.uniform(0, 1)


def _transient(exc: BaseException) -> float | None:
    """None if `exc` should not be retried; else the wait Drive asked for (Retry-After), 0 when it did not say."""
    if isinstance(exc, HttpError):
        status = exc.resp.status
        if status == 429 or status >= 500 or (status == 403 and _reason(exc) in RATE_LIMIT_REASONS):
            return _retry_after(exc.resp.get("retry-after"))
        return None
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return 0.0 if getattr(exc, "retryable", False) else None
    if isinstance(exc, TRANSIENT_ERRORS):
        return 0.0
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return 0.0
    return None


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (a number or an HTTP date); 0 when absent or unreadable."""
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _reason(exc: HttpError) -> str | None:
    details = exc.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return details[0].get("reason")
    return None


def _describe(exc: BaseException) -> str:
    """One line about a failure: HTTP status and Drive's reason, or the kind of transport error."""
    if isinstance(exc, HttpError):
        reason = _reason(exc)
        text = f"HTTP {exc.resp.status} {exc.reason or exc.resp.reason}" + (f" ({reason})" if reason else "")
    else:
        # RefreshError carries Google's answer as a second argument: its first is the readable part.
        detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return " ".join(text.split())[:300]
