"""The portal's FastAPI app: `create_app()` builds one (tests make one per test, each on its own database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kpi6.models.errors import Kpi6Error
from kpi6.web import pages
from kpi6.web.deps import SignInNeeded, utc_clock
from kpi6.web.limits import BodyLimit
from kpi6.web.routes import auth, dla, province, steps, work
from kpi6.web.runs import Runs

# No inline script or style anywhere: htmx and the stylesheet are files of our own.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        from kpi6.models.calendar import bangkok_date
        from kpi6.settings import get_settings
        from kpi6.tasks.adapters.rounds import default_round_id, load_round
        from kpi6.tasks.setup import default_actor, prepare_database

        # The schema, the provinces and the round the portal shows, once at start: its pages then only read
        # (tasks/setup.open_round), and a changed round file is recorded when the portal restarts or a run uses it.
        shown = default_round_id(bangkok_date(app.state.clock()), get_settings().portal_round)
        prepare_database(load_round(shown), actor=default_actor())
        pages.warm()
        # A page's work is Python holding the interpreter's lock: 40 threads (anyio's default) only take it from
        # one another, and the event loop gets it last. With 20 users at once, two threads answered p95 in half
        # the time of forty (benchmarks/bench_portal.py).
        anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().portal_threads
        app.state.runs = Runs()
        app.state.runs.start_prefect()
        yield
        app.state.runs.shutdown()

    # The API's description is served to signed-in users only (routes/province.py), without Swagger's page,
    # whose scripts come from elsewhere and which the CSP would block.
    app = FastAPI(title="kpi6 — ตัวชี้วัดที่ 6", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.router.redirect_slashes = False  # a redirect to the Host header's name would point anywhere
    app.state.clock = utc_clock
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    for router in (auth.router, province.router, steps.router, work.router, dla.router):
        app.include_router(router)

    @app.get("/fonts/sarabun-{weight}.ttf", include_in_schema=False)
    def font(weight: Literal["400", "700"]) -> FileResponse:
        import fontpkg

        return FileResponse(fontpkg.path("sarabun", weight=int(weight)), media_type="font/ttf")

    app.add_middleware(BodyLimit)  # inside the headers' middleware: its 413 page gets them too

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(("/static/", "/fonts/")):
            response.headers.setdefault("Cache-Control", "no-store")  # a province's page is not for a shared cache
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer would echo the input (a password, too): name the fields only
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": f"invalid fields: {', '.join(fields)}"}, status_code=422)
        return pages.render(request, "error.html", status_code=422, message="ข้อมูลที่ส่งมาไม่ถูกต้อง กรุณาลองใหม่")

    @app.exception_handler(SignInNeeded)
    async def sign_in(request: Request, exc: SignInNeeded) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException, and Starlette's own (a bad form)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        message = {
            400: "ข้อมูลที่ส่งมาอ่านไม่ได้หรือมากเกินไป ระบบไม่ได้บันทึกอะไร กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
            404: "ไม่พบหน้านี้ (not found)",
            403: "คำขอนี้ไม่ได้รับอนุญาต กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
        }
        return pages.render(
            request, "error.html", status_code=exc.status_code, message=message.get(exc.status_code, str(exc.detail))
        )

    @app.exception_handler(Kpi6Error)
    async def user_error(request: Request, exc: Kpi6Error) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return pages.render(request, "error.html", status_code=400, message=str(exc))

    return app
