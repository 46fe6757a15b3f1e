"""A fake Google Drive v3 server on 127.0.0.1, for tests that run the real google-api-python-client against it.

It holds folders and files in memory and implements just what `kpi6.tasks.adapters.drive` uses: the OAuth token endpoint
(`POST /token`), `files.list` (the `q` subset the store generates), `files.get`, `files.generateIds`, metadata-only
`files.create` (folders), multipart and resumable uploads (`/upload/drive/v3/files`), and `permissions.list` /
`permissions.create`. As Drive does, a create may carry an `id` from `files.generateIds`; a create whose id is
taken already answers 409 (reason fileIdInUse), one with an id the fake never generated 400.
Every request is recorded, and faults can be injected in order: an HTTP error status, a connection reset after part
of the body arrived, an answer lost after the request was carried out, or stored bytes corrupted.

    with FakeDrive() as drive:
        drive.faults.append(Fault("GET", "/drive/v3/files", status=500))
        ...  # build the client with api_root=drive.url and token_uri=drive.token_uri
        assert drive.count("POST", "/upload/drive/v3/files") == 1
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

FOLDER_MIME = "application/vnd.google-apps.folder"
ROOT_ID = "ROOT-FOLDER"


@dataclass
class Request:
    """One request as the fake received it (headers with lower-case names)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def upload_type(self) -> str | None:
        return self.query.get("uploadType")

    @property
    def content_length(self) -> int:
        return int(self.headers.get("content-length") or 0)


@dataclass
class Fault:
    """A misbehaviour for the next request(s) matching `method`, `path` (exact, or a prefix when it ends with
    `*`), `upload_type` and `when`; faults are tried in list order and each is used `times` times (None: always).

    action "status": answer `status` (with `headers`, e.g. Retry-After) and a Drive-style error with `reason`;
    "drop": read `read_bytes` of the body (a chunk PUT keeps them, as Drive may), then reset the connection;
    "lose_answer": carry the request out, then reset the connection (or, with `reset=False`, close it cleanly)
    instead of answering;
    "hang_up": read the whole body, then close the connection cleanly without answering (what a stale keep-alive
    connection looks like; httplib2 then re-sends the request by itself, once);
    "corrupt": carry the upload out but store the bytes with the last one flipped.
    """

    method: str
    path: str
    upload_type: str | None = None
    action: Literal["status", "drop", "lose_answer", "hang_up", "corrupt"] = "status"
    status: int = 500
    reason: str = "backendError"
    headers: dict[str, str] = field(default_factory=dict)
    read_bytes: int = 0
    reset: bool = True
    times: int | None = 1
    when: Callable[[Request], bool] | None = None

    def matches(self, req: Request) -> bool:
        if self.times == 0 or req.method != self.method:
            return False
        path_ok = req.path.startswith(self.path[:-1]) if self.path.endswith("*") else req.path == self.path
        return (
            path_ok
            and (self.upload_type is None or req.upload_type == self.upload_type)
            and (self.when is None or self.when(req))
        )


@dataclass
class Item:
    """A folder or a file."""

    id: str
    name: str
    mime_type: str
    parents: list[str]
    data: bytes | None = None
    trashed: bool = False
    permissions: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    @property
    def link(self) -> str:
        return f"https://drive.fake/{'folders' if self.is_folder else 'file'}/{self.id}"

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents,
            "webViewLink": self.link,
        }
        if self.data is not None:  # Drive reports int64 fields as strings
            out["size"] = str(len(self.data))
            out["md5Checksum"] = hashlib.md5(self.data, usedforsecurity=False).hexdigest()
        return out


@dataclass
class Session:
    """A resumable upload session."""

    metadata: dict[str, Any]
    mime_type: str
    total: int | None
    received: bytearray = field(default_factory=bytearray)
    file_id: str | None = None


class _Reset(Exception):
    """Reset the connection instead of answering."""


class _HangUp(Exception):
    """Close the connection cleanly instead of answering."""


_LITERAL = r"'((?:[^'\\]|\\.)*)'"
_CLAUSES = [
    (re.compile(rf"name\s*=\s*{_LITERAL}"), "name"),
    (re.compile(rf"mimeType\s*=\s*{_LITERAL}"), "mimeType"),
    (re.compile(rf"{_LITERAL}\s+in\s+parents"), "parent"),
    (re.compile(r"trashed\s*=\s*(true|false)"), "trashed"),
]
_AND = re.compile(r"\s+and\s+")


def parse_q(q: str) -> list[tuple[str, str]]:
    """The `q` subset the store generates: clauses joined by `and`; ValueError for anything else."""
    out: list[tuple[str, str]] = []
    pos = 0
    while True:
        for pattern, kind in _CLAUSES:
            m = pattern.match(q, pos)
            if m:
                out.append((kind, re.sub(r"\\(.)", r"\1", m.group(1))))
                pos = m.end()
                break
        else:
            raise ValueError(f"unsupported query at {q[pos:]!r}")
        if pos == len(q):
            return out
        m = _AND.match(q, pos)
        if not m:
            raise ValueError(f"expected 'and' at {q[pos:]!r}")
        pos = m.end()


def parse_multipart_related(content_type: str, body: bytes) -> tuple[dict[str, Any], str, bytes]:
    """(metadata, media type, media bytes) of a multipart/related upload as googleapiclient sends it."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise ValueError("no boundary")
    delimiter = b"--" + m.group(1).encode()
    parts = body.split(delimiter)
    if len(parts) != 4 or not parts[3].startswith(b"--"):
        raise ValueError(f"expected two parts, got {len(parts) - 2}")
    decoded = []
    for part in parts[1:3]:
        # googleapiclient's email generator ends lines with \n; a client may use \r\n.
        eol = b"\r\n" if part.startswith(b"\r\n") else b"\n"
        head, _, payload = part.removeprefix(eol).partition(eol + eol)
        payload = payload.removesuffix(eol)  # the line break before the next delimiter belongs to it
        headers = dict(line.split(":", 1) for line in head.decode().splitlines() if ":" in line)
        decoded.append(({k.strip().lower(): v.strip() for k, v in headers.items()}, payload))
    (meta_headers, meta), (media_headers, media) = decoded
    if not meta_headers.get("content-type", "").startswith("application/json"):
        raise ValueError("first part is not JSON")
    return json.loads(meta), media_headers.get("content-type", "application/octet-stream"), media


class FakeDrive:
    """The fake server and its state; a context manager that serves on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, *, require_auth: bool = True) -> None:
        self.require_auth = require_auth
        self.items: dict[str, Item] = {ROOT_ID: Item(ROOT_ID, "kpi6 evidence", FOLDER_MIME, [])}
        self.sessions: dict[str, Session] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.tokens: list[str] = []
        self.token_claims: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.generated_ids: set[str] = set()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------------------------

    def __enter__(self) -> FakeDrive:
        handler = type("Handler", (_Handler,), {"drive": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-drive", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return self.url + "token"

    # -- what tests look at ------------------------------------------------------------------------------------

    @property
    def root_id(self) -> str:
        return ROOT_ID

    def folders(self) -> list[Item]:
        return [i for i in self.items.values() if i.is_folder and i.id != ROOT_ID]

    def files(self) -> list[Item]:
        return [i for i in self.items.values() if not i.is_folder]

    def count(self, method: str, path: str, upload_type: str | None = None) -> int:
        """Requests received with this method and path (a prefix when it ends with `*`) and upload type."""
        probe = Fault(method, path, upload_type, times=None)
        return sum(probe.matches(r) for r in self.requests)

    def path_of(self, item_id: str) -> tuple[str, ...]:
        """Folder names from the root down to `item_id` (included)."""
        names: list[str] = []
        while item_id != ROOT_ID:
            item = self.items[item_id]
            names.append(item.name)
            item_id = item.parents[0]
        return tuple(reversed(names))

    # -- request handling ------------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}"

    def handle(self, h: _Handler) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(h.path)
        req = Request(
            h.command,
            split.path,
            dict(parse_qsl(split.query, keep_blank_values=True)),
            {k.lower(): v for k, v in h.headers.items()},
        )
        with self._lock:
            self.requests.append(req)
            fault = next((f for f in self.faults if f.matches(req)), None)
            if fault is not None and fault.times is not None:
                fault.times -= 1
        if fault is not None and fault.action == "status":
            h.read_body(req)
            if req.path == "/token":  # OAuth's error format, not Drive's
                return (
                    fault.status,
                    dict(fault.headers),
                    _json({"error": fault.reason, "error_description": f"injected {fault.status}"}),
                )
            return _error(fault.status, fault.reason, f"injected {fault.status}", fault.headers)
        if fault is not None and fault.action == "drop":
            partial = h.read_body(req, limit=fault.read_bytes)
            if req.method == "PUT" and "upload_id" in req.query:
                with self._lock:
                    self._keep_partial(req, partial)
            raise _Reset
        body = h.read_body(req)
        if fault is not None and fault.action == "hang_up":
            raise _HangUp
        if req.path == "/token":
            return self._token(body)
        if self.require_auth and h.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "authError", "Invalid Credentials")
        with self._lock:
            answer = self._route(req, body, corrupt=fault is not None and fault.action == "corrupt")
        if fault is not None and fault.action == "lose_answer":
            raise _Reset if fault.reset else _HangUp
        return answer

    def _route(self, req: Request, body: bytes, *, corrupt: bool) -> tuple[int, dict[str, str], bytes]:
        m = re.fullmatch(r"/drive/v3/files/([^/]+)(/permissions)?", req.path)
        if req.path == "/drive/v3/files" and req.method == "GET":
            return self._list(req)
        if req.path == "/drive/v3/files/generateIds" and req.method == "GET":
            return self._generate_ids(req)
        if req.path == "/drive/v3/files" and req.method == "POST":
            return self._create(json.loads(body or b"{}"), None, None)
        if req.path == "/upload/drive/v3/files" and req.method == "POST" and req.upload_type == "multipart":
            try:
                meta, mime, data = parse_multipart_related(req.headers.get("content-type", ""), body)
            except ValueError as exc:
                return _error(400, "badContent", f"bad multipart body: {exc}")
            return self._create(meta, mime, _corrupted(data) if corrupt else data)
        if req.path == "/upload/drive/v3/files" and req.method == "POST" and req.upload_type == "resumable":
            meta = json.loads(body or b"{}")
            refused = self._refuse_id(meta)
            if refused:
                return refused
            sid = self._new_id("S")
            total = req.headers.get("x-upload-content-length")
            self.sessions[sid] = Session(
                meta,
                req.headers.get("x-upload-content-type", "application/octet-stream"),
                int(total) if total else None,
            )
            location = f"{self.url}upload/drive/v3/files?uploadType=resumable&upload_id={sid}"
            return 200, {"Location": location}, b""
        if req.path == "/upload/drive/v3/files" and req.method == "PUT" and "upload_id" in req.query:
            return self._chunk(req, body, corrupt=corrupt)
        if m and req.method == "GET" and not m.group(2):
            item = self.items.get(m.group(1))
            return (200, {}, _json(item.resource())) if item else _error(404, "notFound", "File not found")
        if m and m.group(2):
            return self._permissions(req, m.group(1), body)
        return _error(404, "notFound", f"the fake has no {req.method} {req.path}")

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """A JWT-bearer grant (service account: its claims are kept) or a refresh-token grant (user token)."""
        form = dict(parse_qsl(body.decode()))
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token"):
            claims: dict[str, Any] = {"refresh_token": form["refresh_token"], "client_id": form.get("client_id")}
        else:
            try:
                claims = json.loads(base64.urlsafe_b64decode(form.get("assertion", "").split(".")[1] + "=="))
            except (IndexError, ValueError):
                return 400, {}, _json({"error": "invalid_grant", "error_description": "bad assertion"})
        with self._lock:
            token = f"fake-token-{len(self.tokens) + 1}"
            self.tokens.append(token)
            self.token_claims.append(claims)
        return 200, {}, _json({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _list(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        try:
            clauses = parse_q(req.query.get("q", ""))
        except ValueError as exc:
            return _error(400, "invalid", f"Invalid Value: {exc}")
        found = []
        for item in self.items.values():
            if item.id == ROOT_ID:
                continue
            ok = True
            for kind, value in clauses:
                ok &= {
                    "name": item.name == value,
                    "mimeType": item.mime_type == value,
                    "parent": value in item.parents,
                    "trashed": str(item.trashed).lower() == value,
                }[kind]
            if ok:
                found.append(item.resource())
        return 200, {}, _json({"kind": "drive#fileList", "files": found})

    def _generate_ids(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        try:
            count = int(req.query.get("count", "10"))
        except ValueError:
            count = 0
        if not 1 <= count <= 1000:
            return _error(400, "invalid", f"Invalid Value: count {req.query.get('count')!r}")
        space, kind = req.query.get("space", "drive"), req.query.get("type", "files")
        if space != "drive" or kind != "files":
            return _error(
                400, "invalid", f"the fake generates ids for space drive, type files only, not {space}/{kind}"
            )
        ids = [self._new_id("G") for _ in range(count)]
        self.generated_ids.update(ids)
        return 200, {}, _json({"kind": "drive#generatedIds", "space": space, "ids": ids})

    def _refuse_id(self, meta: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        """The error for a create whose `id` is taken or was never generated; None when it is usable (or absent)."""
        file_id = meta.get("id")
        if file_id is None:
            return None
        if file_id in self.items:
            return _error(409, "fileIdInUse", "A file already exists with the provided ID.")
        if file_id not in self.generated_ids:  # Drive's exact reason may differ; what matters is the refusal
            return _error(400, "invalid", "The provided file ID is not usable.")
        return None

    def _create(self, meta: dict[str, Any], mime: str | None, data: bytes | None) -> tuple[int, dict[str, str], bytes]:
        parents = meta.get("parents") or [ROOT_ID]
        if any(p not in self.items or not self.items[p].is_folder for p in parents):
            return _error(404, "notFound", f"File not found: {parents[0]}.")
        refused = self._refuse_id(meta)
        if refused:
            return refused
        kind = meta.get("mimeType") or mime or "application/octet-stream"
        item = Item(
            meta.get("id") or self._new_id("D" if kind == FOLDER_MIME else "F"),
            meta.get("name", "Untitled"),
            kind,
            list(parents),
            None if kind == FOLDER_MIME else (data or b""),
        )
        self.items[item.id] = item
        return 200, {}, _json(item.resource())

    def _keep_partial(self, req: Request, partial: bytes) -> None:
        session = self.sessions.get(req.query["upload_id"])
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", req.headers.get("content-range", ""))
        if session and m and session.file_id is None:
            start = int(m.group(1))
            if start <= len(session.received):
                session.received[start:] = partial

    def _chunk(self, req: Request, body: bytes, *, corrupt: bool) -> tuple[int, dict[str, str], bytes]:
        session = self.sessions.get(req.query["upload_id"])
        if session is None:
            return _error(404, "notFound", "upload session not found")
        if session.file_id is not None:  # finished already: a status query or a repeated last chunk
            return 200, {}, _json(self.items[session.file_id].resource())
        content_range = req.headers.get("content-range", "")
        status = re.fullmatch(r"bytes \*/(\d+|\*)", content_range)
        chunk = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
        if chunk:
            start, end = int(chunk.group(1)), int(chunk.group(2))
            if start > len(session.received) or end - start + 1 != len(body):
                return _error(400, "badRange", f"chunk {content_range} does not follow {len(session.received)} bytes")
            session.received[start:] = body
            if chunk.group(3) != "*":
                session.total = int(chunk.group(3))
        elif not status:
            return _error(400, "badRange", f"bad Content-Range {content_range!r}")
        if session.total is not None and len(session.received) == session.total:
            data = bytes(session.received)
            code, headers, out = self._create(
                session.metadata, session.mime_type, _corrupted(data) if corrupt else data
            )
            session.file_id = json.loads(out)["id"] if code == 200 else None
            return code, headers, out
        headers = {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
        return 308, headers, b""

    def _permissions(self, req: Request, file_id: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        item = self.items.get(file_id)
        if item is None:
            return _error(404, "notFound", f"File not found: {file_id}.")
        if req.method == "GET":
            return 200, {}, _json({"kind": "drive#permissionList", "permissions": item.permissions})
        if req.method == "POST":
            perm = {"kind": "drive#permission", "id": self._new_id("P"), **json.loads(body)}
            item.permissions.append(perm)
            return 200, {}, _json(perm)
        return _error(405, "methodNotAllowed", req.method)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def _error(
    status: int,
    reason: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    error = {"code": status, "message": message, "errors": [{"domain": "global", "reason": reason, "message": message}]}
    return status, dict(headers or {}), _json({"error": error})


def _corrupted(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF]) if data else b"\0"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, 40 ms delayed ACKs
    drive: FakeDrive

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self, req: Request, limit: int | None = None) -> bytes:
        n = req.content_length if limit is None else min(limit, req.content_length)
        return self.rfile.read(n) if n else b""

    def _serve(self) -> None:
        try:
            status, headers, body = self.drive.handle(self)
        except _Reset:
            self._reset()
            return
        except _HangUp:
            self.close_connection = True  # socketserver then shuts the socket down: a FIN, no answer
            return
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), so the client sees a dropped connection, not a clean end."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        sock.close()

    do_GET = do_POST = do_PUT = do_DELETE = _serve


@functools.cache
def throwaway_key_pem() -> str:
    """An RSA key made for the test session (PKCS#8 PEM); generated once, it takes a moment."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def write_service_account(path: Path, drive: FakeDrive) -> dict[str, Any]:
    """A service-account key file with the throwaway key, whose token_uri is the fake's; returns its content."""
    info = {
        "type": "service_account",
        "project_id": "kpi6-test",
        "private_key_id": "0123456789abcdef",
        "private_key": throwaway_key_pem(),
        "client_email": "kpi6-uploader@kpi6-test.iam.gserviceaccount.com",
        "client_id": "123456789",
        "token_uri": drive.token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return info


def write_user_token(path: Path, drive: FakeDrive) -> dict[str, Any]:
    """An OAuth user token file (as an installed-app consent flow saves it), refreshed at the fake."""
    info = {
        "type": "authorized_user",
        "client_id": "kpi6-desktop.apps.googleusercontent.com",
        "client_secret": "GOCSPX-not-a-real-secret",
        "refresh_token": "1//0refresh-token-for-tests",
        "token_uri": drive.token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return info
