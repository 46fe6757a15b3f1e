"""A portal per test, on its own database, with a clock the test can move, and three users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kpi6.models.roles import Role

PASSWORD = "รหัสผ่านยาวพอ-2567"
USERS = {
    "office": ("clerk@th50.example", Role.office, "TH-50"),
    "other": ("clerk@th57.example", Role.office, "TH-57"),
    "dla": ("officer@dla.example", Role.dla, None),
}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2024, 2, 5, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Portal:
    app: FastAPI
    clock: Clock

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def signed_in(self, who: str) -> TestClient:
        client = self.client()
        response = sign_in(client, USERS[who][0], PASSWORD)
        assert response.status_code == 303, response.text
        return client


def sign_in(client: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    form = client.get("/login")
    csrf = form.cookies.get("kpi6_login_csrf") or client.cookies.get("kpi6_login_csrf")
    return client.post("/login", data={"email": email, "password": password, "csrf": csrf or ""})


def csrf_of(client: TestClient, page: str = "/") -> str:
    """The session's CSRF token, as the pages carry it."""
    import re

    html = client.get(page, follow_redirects=True).text
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def plan_and_media(out: object) -> None:
    """TH-50's steps 1 and 2 recorded (1 Feb 2024), as `kpi6 run` would: what its Form 1 reports."""
    from kpi6.flows.province import province_round
    from kpi6.models.inputs import ProvinceInputs
    from tests.support.factories import bkk, full_inputs

    inputs = full_inputs()
    province_round(
        "TH-50",
        "2567-1",
        inputs=ProvinceInputs(plan=inputs.plan, media=inputs.media),
        now=bkk(2024, 2, 1),
        output_dir=str(out),
    )


@pytest.fixture
def portal(sqlite_url, monkeypatch) -> Iterator[Portal]:  # type: ignore[no-untyped-def]
    from kpi6.tasks.accounts import add_user
    from kpi6.web.app import create_app

    monkeypatch.setenv("KPI6_PORTAL_ROUND", "2567-1")
    from kpi6.settings import get_settings

    get_settings.cache_clear()
    app = create_app()
    clock = Clock()
    app.state.clock = clock
    with TestClient(app):  # runs the start-up: schema and provinces
        for email, role, province in USERS.values():
            add_user(email, role=role, province=province, actor="pytest", now=clock(), password=PASSWORD)
        yield Portal(app=app, clock=clock)
