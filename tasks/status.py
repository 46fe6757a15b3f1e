"""Where a round stands: provinces × steps as of a day, read from the database (`kpi6 status`, the portal)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from kpi6.models.db import StepProgress
from kpi6.models.provinces import registry
from kpi6.models.summary import ProvinceStatus, RoundStatus, step_outcomes
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.run import prepare_round


def round_status(round_id: str, *, as_of: date, province: str | None = None) -> RoundStatus:
    """Every province (or only `province`) and every declared step: state, deadline and working days late, or
    overdue so far as of `as_of`."""
    only = registry().get(province).code if province else None
    config = prepare_round.fn(round_id)
    with session_scope() as session:
        progress = repository.all_progress(session=session, round_id=config.id)
    rows: dict[str, dict[int, StepProgress]] = defaultdict(dict)
    for r in progress:
        rows[r.province_code][r.step] = r
    cal = config.working_calendar()
    return RoundStatus(
        round_id=config.id,
        as_of=as_of,
        deadlines=[(sc.number, sc.deadline) for sc in config.steps],
        provinces=[
            ProvinceStatus(
                code=p.code, name_th=p.name_th, steps=step_outcomes(config, rows[p.code], as_of=as_of, calendar=cal)
            )
            for p in registry()
            if only is None or p.code == only
        ],
    )
