"""`kpi6 init`: the database schema, the provinces and the round files."""

from __future__ import annotations

from kpi6.cli.common import app, get_settings, out, safe_url
from kpi6.models.provinces import registry


@app.command()
def init() -> None:
    """Create or upgrade the database schema and load the provinces and every round file."""
    from kpi6.tasks.adapters.rounds import available_rounds, load_round
    from kpi6.tasks.setup import default_actor, prepare_database

    rounds = [load_round(rid) for rid in available_rounds()]
    for config in rounds:
        prepare_database(config, actor=default_actor())
    out.print(
        f"database ready: {safe_url(get_settings().db_url)}; "
        f"{len(registry())} provinces, rounds: {', '.join(r.id for r in rounds) or 'none'}"
    )
