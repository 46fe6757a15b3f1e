"""How much of a request's body the portal reads: a form's few kilobytes, or an upload's files (to
KPI6_PORTAL_UPLOAD_MB) on the routes that take them. Counted while the body arrives, whatever its Content-Length
says (a chunked body declares none), and cut off at the limit with 413: nothing past it is read or kept."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

from kpi6.web import pages

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FORM_BYTES = 1024 * 1024
# The routes whose forms carry files (routes/steps.py); only a multipart body there may be large.
UPLOAD_PATHS = re.compile(r"/provinces/[^/]+/steps/[0-9]+/(record|check)")
TOO_LARGE = "ไฟล์หรือข้อมูลที่ส่งมามีขนาดใหญ่เกินไป ระบบไม่ได้บันทึกอะไร กรุณาส่งไฟล์ที่เล็กลง"


class BodyTooLarge(Exception):
    pass


def upload_bytes() -> int:
    from kpi6.settings import get_settings

    return int(get_settings().portal_upload_mb * 1024 * 1024)


def limit_for(scope: Scope) -> int:
    headers = dict(scope.get("headers") or [])
    multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
    return upload_bytes() if multipart and UPLOAD_PATHS.fullmatch(scope.get("path", "")) else FORM_BYTES


class BodyLimit:
    """ASGI middleware: a body larger than its route's limit gets 413, declared or found while reading."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send)  # refused before anything is read
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the app answers after the cut, the answer is 413
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            pass
        if exceeded and not started:
            await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        response = pages.render(Request(scope), "error.html", status_code=413, message=TOO_LARGE)
        response.headers["Connection"] = "close"
        await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
