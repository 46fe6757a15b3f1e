"""The database and the round a door needs before it reads or runs anything, without Prefect: a read-only command
(`kpi6 status`, `kpi6 score`) and the portal's pages call `open_round`; a run calls `prepare_database` through
`tasks/run.prepare_round`."""

from __future__ import annotations

import getpass
from datetime import date

from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from kpi6.settings import get_settings
from kpi6.tasks.adapters import holiday_cache, repository
from kpi6.tasks.adapters.database import SETUP_LOCK, migrate, schema_is_current, serialise, session_scope
from kpi6.tasks.adapters.rounds import load_round


def default_actor() -> str:
    return get_settings().actor or getpass.getuser()


def prepare_database(config: RoundConfig | None, *, actor: str) -> None:
    """Create or upgrade the schema and make sure it knows the provinces and this round (if one is given)."""
    migrate()
    with session_scope() as session:
        serialise(session.connection(), SETUP_LOCK)  # two runs at once would both insert the same rows
        repository.sync_provinces(session=session, provinces=registry())
        if config is not None:
            repository.sync_round(session=session, config=config, actor=actor, at=repository.utcnow())


def open_round(round_id: str, actor: str | None = None) -> RoundConfig:
    """The round's configuration, for a path that only reads: the database is migrated only when its schema is
    not the newest (a new or an older database); otherwise one read of its version, nothing written. A round's
    changed file is recorded (audited) by the next run, not by a reader."""
    config = load_round(round_id)
    if not schema_is_current():
        prepare_database(config, actor=actor or default_actor())
    start, end = config.period  # the days a status or a score counts: the round's, and up to today
    holiday_cache.prime(range(start.year, max(end.year, date.today().year) + 1))
    return config
