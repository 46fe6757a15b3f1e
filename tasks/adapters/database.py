"""The database at the edge: engines, sessions and Alembic migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from kpi6.settings import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration (kpi6/migrations/versions/): a database at it needs no migrating, which is all a path that
# only reads asks (`schema_is_current`), without importing Alembic. tests/tasks/test_database.py checks that this
# is Alembic's head.
SCHEMA_REVISION = "0005"


def _url(url: str | None) -> str:
    return url or get_settings().db_url


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url`, default the configured database."""
    return _engine_for(_url(url))


@cache
def _engine_for(url: str, *, reader: bool = False) -> Engine:
    """One engine per URL (and use) per process; SQLite gets foreign keys, WAL and a busy timeout. A writer's
    transactions take SQLite's write lock at BEGIN; a reader's (`read_scope`) read a snapshot and take none."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below open transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            if reader:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        # Writers take the lock at BEGIN, so concurrent province runs wait (busy timeout) instead of
        # failing with SQLITE_BUSY when a read transaction later tries to write.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def dispose(url: str | None = None) -> None:
    """Close the pooled connections of both engines of `url` (a database about to be dropped or deleted)."""
    u = _url(url)
    _current_schema.discard(u)
    _engine_for(u).dispose()
    if u.startswith("sqlite"):
        _engine_for(u, reader=True).dispose()


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """A session for reading only: on SQLite its transaction reads one snapshot (WAL) without the write lock, so
    the portal's pages and read-only commands neither wait for one another nor for a run that is writing (with
    the write lock at BEGIN, 20 users' pages queued behind each other, SQLite's busy wait sleeping up to 100 ms at
    a time). Nothing is committed; a write through it is refused by SQLite ("readonly")."""
    u = _url(url)
    engine = _engine_for(u, reader=True) if u.startswith("sqlite") else _engine_for(u)
    with Session(engine, expire_on_commit=False) as session:
        yield session  # closed, not committed: what was read stays loaded (a rollback would expire it)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session whose work commits as one transaction, or rolls back whole on any error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def serialise(conn: Connection, key: int) -> None:
    """Queue this transaction behind any other holding KEY, across processes, until it ends.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite needs nothing, its writers already
    queue at BEGIN IMMEDIATE (the engine's "begin" hook).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("kpi6") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", _url(url).replace("%", "%%"))
    return cfg


# Alembic's `context` and `op` are module-wide proxies: two threads migrating at once (province runs in
# parallel) would pull them from under each other, so one thread migrates at a time in a process.
_migrate_lock = threading.Lock()
SETUP_LOCK = 0x6B706936  # "kpi6": migrating and filling the reference rows (provinces, rounds) queue on it


def migrate(url: str | None = None) -> None:
    """Create or upgrade the schema to the newest revision."""
    from alembic import command

    engine = get_engine(url)
    cfg = alembic_config(url)
    with _migrate_lock, engine.begin() as conn:
        # Processes too: two fresh `kpi6 run` on an empty database would both create the schema
        # (one fails on alembic_version's key).
        serialise(conn, SETUP_LOCK)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# Databases this process has seen at SCHEMA_REVISION. A schema is never taken back to an older revision under a
# running kpi6, so the portal's pages (each opens its round) ask the database once, not on every page.
_current_schema: set[str] = set()


def schema_is_current(url: str | None = None) -> bool:
    """The database holds kpi6's schema at the newest revision: one read of `alembic_version`, no lock, no write
    (and no read at all once this process has seen it current). False for a database not yet made (no such
    table) or one an older kpi6 left."""
    u = _url(url)
    if u in _current_schema:
        return True
    try:
        with read_scope(u) as session:
            version = session.connection().execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return False
    if version == SCHEMA_REVISION:
        _current_schema.add(u)
    return bool(version == SCHEMA_REVISION)
