"""Reading the database back in tests."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import SQLModel, select

from kpi6.tasks.adapters.database import session_scope

M = TypeVar("M", bound=SQLModel)


def all_rows(model: type[M]) -> list[M]:
    """Every row of MODEL's table, detached so that tests can read them after the session closes."""
    with session_scope() as s:
        rows = list(s.exec(select(model)).all())
        for r in rows:
            s.expunge(r)
        return rows
