"""Shared fixtures: one Prefect test harness for the session, and databases on SQLite and PostgreSQL.

PostgreSQL is a real server: KPI6_TEST_POSTGRES_URL, default the machine's 127.0.0.1:5432 (trust
auth). Without one the PostgreSQL cases skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kpi6.settings import get_settings
from kpi6.tasks.adapters import database

PG_ADMIN_URL = os.environ.get("KPI6_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def _pg_admin():  # type: ignore[no-untyped-def]
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but did not answer at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    return engine


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    engine = _pg_admin()
    yield engine
    engine.dispose()


def fresh_postgres_url(admin) -> str:  # type: ignore[no-untyped-def]
    name = f"kpi6_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_db(admin, url: str) -> None:  # type: ignore[no-untyped-def]
    name = make_url(url).database
    database.dispose(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database on each backend, made kpi6's configured database for the test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kpi6.db'}"
        admin = None
    else:
        admin = request.getfixturevalue("pg_server")
        url = fresh_postgres_url(admin)
    monkeypatch.setenv("KPI6_DATABASE_URL", url)
    monkeypatch.setenv("KPI6_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KPI6_ACTOR", "pytest")
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        if admin is not None:
            drop_postgres_db(admin, url)
        else:
            database.dispose(url)


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """kpi6 on a fresh SQLite file only (for tests where the backend does not matter)."""
    url = f"sqlite:///{tmp_path / 'kpi6.db'}"
    monkeypatch.setenv("KPI6_DATABASE_URL", url)
    monkeypatch.setenv("KPI6_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KPI6_ACTOR", "pytest")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    database.dispose(url)
