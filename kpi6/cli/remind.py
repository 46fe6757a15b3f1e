"""`kpi6 remind`: the day's deadline reminders, through the same `daily-reminders` flow as the schedule."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from kpi6.cli.common import JsonOption, app, out, today_or
from kpi6.models.provinces import registry


@app.command()
def remind(
    today: Annotated[str | None, typer.Option(help="As of this date (default today, Bangkok)")] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="Round id (default: the round of that day)")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing")] = False,
    as_json: JsonOption = False,
) -> None:
    """Send the day's deadline reminders (Prefect flow `daily-reminders`), each once."""
    from kpi6.flows.reminders import daily_reminders

    day = today_or(today)
    only = [registry().get(province).code] if province else None
    started = time.perf_counter()
    run = daily_reminders(today=day, round_id=round_id, provinces=only, dry_run=dry_run)
    if as_json:
        out.print_json(run.model_dump_json())
        return
    if run.round_id is None:
        out.print(f"{day.isoformat()}: no round covers this day; nothing to remind")
        return
    if not run.working_day:
        out.print(f"{day.isoformat()} is not a working day: no reminders (round {run.round_id})")
        return
    table = Table(title=f"reminders · {run.round_id} · {day.isoformat()}" + (" · dry run" if dry_run else ""))
    for col in ("province", "status", "reminders"):
        table.add_column(col)
    for p in run.provinces:
        table.add_row(f"{p.province_code} {registry().get(p.province_code).name_th}", p.status, "\n".join(p.lines))
    out.print(table)
    sent = sum(p.status == "sent" for p in run.provinces)
    idle = sum(p.status == "no-channel" for p in run.provinces)
    out.print(
        f"{len(run.provinces)} provinces with reminders due · {sent} sent"
        + (f" · {idle} with no channel (set KPI6_CONTACTS_FILE, KPI6_OFFICE_EMAIL or KPI6_NOTIFY_URLS)" if idle else "")
        + f" · {time.perf_counter() - started:.1f} s"
    )
