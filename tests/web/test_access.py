"""Every route, walked from the app's own route table (a new route is covered without editing this file): as
nobody, as another province's office and as the province's own office."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.routing import APIRoute

from kpi6.web.deps import dla_user, province_for
from tests.web.conftest import Portal, csrf_of

PUBLIC = {"/login", "/set-password", "/fonts/sarabun-{weight}.ttf"}


def _routes(portal: Portal) -> list[APIRoute]:
    """Every API route of the app, those of included routers too (newer FastAPI wraps each included router)."""
    found: list[APIRoute] = []
    stack = list(portal.app.routes)
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        else:  # the portal's routers are included without a prefix
            inner = getattr(route, "original_router", None) or getattr(route, "router", None)
            stack.extend(inner.routes if inner is not None else [])
    assert len(found) >= 8, [getattr(r, "path", r) for r in found]
    return found


def _dependencies(route: APIRoute) -> set[object]:
    found, stack = set(), [route.dependant]
    while stack:
        d = stack.pop()
        found.add(d.call)
        stack.extend(d.dependencies)
    return found


RUN_ID = "0" * 32
PHOTO = b"\x89PNG\r\n\x1a\n" + b"0" * 64
# Each path parameter other than the province, filled with a value that exists for TH-50 (a report step, a run,
# an uploaded file, a generated document, a medium).
PARAMS = {
    "{number}": "3",
    "{run_id}": RUN_ID,
    "{weight}": "400",
    "{upload_id}": hashlib.sha256(PHOTO).hexdigest(),
    "{name}": "form1.pdf",
    "{index}": "1",
    "{ext}": "pdf",
}


def _path(route: APIRoute, code: str) -> str:
    path = route.path.replace("{code}", code)
    if re.search(r"/(steps/\{number\}/(row|check|record)|evidence/)", path):  # a work step's (3 is a report)
        path = path.replace("{number}", "1")
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    assert "{" not in path, f"{route.path}: give its parameter a value in PARAMS"
    return path


def _a_run_of_th50(portal: Portal) -> None:
    from datetime import UTC, datetime

    from kpi6.web.runs import PortalRun

    run = PortalRun(
        id=RUN_ID, province_code="TH-50", round_id="2567-1", step=3, actor="x", started_at=datetime.now(UTC)
    )
    portal.app.state.runs._runs[RUN_ID] = run  # as if TH-50's office had started it


def _files_of_th50() -> None:
    """An upload and a generated form of TH-50's, so that its own office finds them where another gets 404."""
    from kpi6.tasks.outputs import output_root
    from kpi6.tasks.uploads import receive

    assert receive([PHOTO], "photo.png", round_id="2567-1", code="TH-50").id == PARAMS["{upload_id}"]
    folder = output_root(None) / "2567-1" / "TH-50"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "form1.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")


def _evidence_of_th50() -> None:
    """TH-50's plan recorded with its evidence in the local store: entry {index} of step {number} is a file."""
    from kpi6.flows.province import province_round
    from kpi6.models.inputs import ProvinceInputs
    from kpi6.tasks.status import province_view
    from kpi6.tasks.uploads import kept
    from tests.support.factories import bkk, full_inputs

    photo = kept("2567-1", "TH-50", PARAMS["{upload_id}"]).path  # the upload of _files_of_th50
    plan = full_inputs().plan.model_copy(update={"evidence": [photo]})  # type: ignore[union-attr]
    province_round("TH-50", "2567-1", inputs=ProvinceInputs(plan=plan), now=bkk(2024, 1, 10))
    entries = province_view("TH-50", "2567-1", as_of=bkk(2024, 1, 10).date(), output_dir=None).evidence[1]
    assert entries[int(PARAMS["{index}"])].startswith("file:///"), entries


def test_every_route_that_takes_a_province_declares_province_for(portal: Portal) -> None:
    with_code = [r for r in _routes(portal) if "{code}" in r.path]
    assert with_code, "the portal has province routes"
    for route in with_code:
        assert province_for in _dependencies(route), f"{route.path} does not check the province"


def test_every_route_but_sign_in_needs_a_session(portal: Portal) -> None:
    client = portal.client()
    checked = 0
    for route in _routes(portal):
        if route.path in PUBLIC:
            continue
        for method in route.methods or ():
            response = client.request(method, _path(route, "TH-50"))
            checked += 1
            if route.path.startswith("/api/"):
                assert response.status_code == 401, (method, route.path, response.status_code)
            else:
                assert response.status_code in (303, 403), (method, route.path, response.status_code)
                if response.status_code == 303:
                    assert response.headers["location"] == "/login"
    assert checked >= 4


def test_another_provinces_office_gets_404_on_every_route_of_this_province(portal: Portal) -> None:
    _a_run_of_th50(portal)
    _files_of_th50()
    _evidence_of_th50()
    other = portal.signed_in("other")
    own = portal.signed_in("office")
    csrf = {"csrf": csrf_of(other)}
    for route in _routes(portal):
        if "{code}" not in route.path:
            continue
        for method in route.methods or ():
            refused = other.request(method, _path(route, "TH-50"), data=csrf if method == "POST" else None)
            assert refused.status_code == 404, (method, route.path)
            assert "เชียงใหม่" not in refused.text and "Chiang Mai" not in refused.text
        if "GET" not in (route.methods or ()):
            continue
        mine = own.get(_path(route, "TH-50"))
        assert mine.status_code != 404 and mine.status_code < 500, (route.path, mine.status_code)
        assert own.get(_path(route, "TH-99")).status_code == 404  # no such province: the same answer
        assert own.get(_path(route, "th-50")).status_code == 404  # one spelling of each province's address


def test_dla_reads_every_province_and_the_national_table_an_office_does_not(portal: Portal) -> None:
    dla = portal.signed_in("dla")
    office = portal.signed_in("office")
    assert dla.get("/provinces/TH-57").status_code == 200
    national = dla.get("/dla")
    assert national.status_code == 200 and national.text.count('href="/provinces/TH-') == 76
    for route in _routes(portal):
        if dla_user in _dependencies(route):
            assert office.get(route.path).status_code == 404, route.path


def test_the_json_twin_says_what_the_home_page_shows(portal: Portal) -> None:
    office = portal.signed_in("office")
    data = office.get("/api/provinces/TH-50").json()
    assert [s["number"] for s in data["steps"]] == [1, 2, 3, 4, 5]
    assert {"number", "deadline", "state", "working_days_late"} <= set(data["steps"][0])
    assert data["steps"][0]["deadline"] == "2024-01-12" and data["steps"][0]["state"] == "pending"
    assert data["steps"][0]["working_days_late"] > 0  # not done, and the clock is past its deadline
    assert data["score"]["total"] == 0
    page = office.get("/provinces/TH-50").text
    assert "๑๒ มกราคม ๒๕๖๗" in page  # the same deadline, in Thai with its BE year


@pytest.mark.parametrize("who", ["office", "dla"])
def test_pages_carry_security_headers_and_no_inline_script(portal: Portal, who: str) -> None:
    client = portal.signed_in(who)
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'self' covers it
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), "an inline script"
    assert "style=" not in response.text


def test_the_portal_works_on_as_many_requests_at_once_as_its_setting_says(sqlite_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """KPI6_PORTAL_THREADS bounds the threads the pages' work runs in (anyio's default would be 40, which only
    took Python's lock from one another under 20 users); the rest wait their turn."""
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from kpi6.settings import get_settings
    from kpi6.web.app import create_app

    def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    monkeypatch.setenv("KPI6_PORTAL_ROUND", "2567-1")
    for setting, expected in ((None, 2), ("3", 3)):
        if setting:
            monkeypatch.setenv("KPI6_PORTAL_THREADS", setting)
        get_settings.cache_clear()
        with TestClient(create_app()) as client:
            assert client.portal is not None
            assert client.portal.call(tokens) == expected
    get_settings.cache_clear()


def test_a_document_being_drawn_leaves_the_page_threads_to_pages(sqlite_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A preview (or DLA's report, or the forms' zip) runs in threads of its own: with one page thread, an office's
    page still answers while a preview is being drawn. (The preview is made slow here, held until the page has
    answered: what is tested is where the portal runs it, not the drawing.)"""
    import threading
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from kpi6.models.roles import Role
    from kpi6.settings import get_settings
    from kpi6.tasks.accounts import add_user
    from kpi6.web.app import create_app
    from tests.web.conftest import PASSWORD, sign_in

    drawing, finished = threading.Event(), threading.Event()

    def slow_preview(*args: object, **kwargs: object) -> bytes:
        drawing.set()
        finished.wait(20)  # held until the page below has answered (or 20 s, if the page waited for it)
        finished.set()
        return b"%PDF-1.7 held"

    monkeypatch.setattr("kpi6.tasks.reports.preview_report", slow_preview)
    monkeypatch.setenv("KPI6_PORTAL_ROUND", "2567-1")
    monkeypatch.setenv("KPI6_PORTAL_THREADS", "1")
    get_settings.cache_clear()
    with TestClient(create_app(), follow_redirects=False) as client:
        clerk, now = "clerk@th50.example", datetime.now(UTC)
        add_user(clerk, role=Role.office, province="TH-50", actor="pytest", now=now, password=PASSWORD)
        assert sign_in(client, clerk, PASSWORD).status_code == 303
        previews: list[int] = []
        worker = threading.Thread(
            target=lambda: previews.append(client.get("/provinces/TH-50/steps/3/preview.pdf").status_code)
        )
        worker.start()
        assert drawing.wait(20)
        page = client.get("/provinces/TH-50")
        answered_while_drawing = not finished.is_set()
        finished.set()
        worker.join(30)
    get_settings.cache_clear()
    assert page.status_code == 200 and answered_while_drawing
    assert previews == [200]
