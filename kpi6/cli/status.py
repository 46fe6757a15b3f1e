"""`kpi6 status`: provinces × steps of a round, as of a day."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kpi6.cli.common import JsonOption, RoundOption, app, out, today_or
from kpi6.models.thai import STATE_TH


@app.command()
def status(
    round_id: RoundOption,
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
    today: Annotated[str | None, typer.Option(help="As of this date (default today, Bangkok)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Provinces × steps: state, deadline and working days late (or overdue so far)."""
    from kpi6.tasks.status import round_status

    report = round_status(round_id, as_of=today_or(today), province=province)
    if as_json:
        rows = [p.model_dump(mode="json", exclude={"steps": {"__all__": {"action"}}}) for p in report.provinces]
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"สถานะตัวชี้วัดที่ 6 · รอบ {report.round_id} · ณ {report.as_of.isoformat()}")
    table.add_column("จังหวัด")
    for number, deadline in report.deadlines:
        table.add_column(f"{number}\n{deadline.isoformat()}", justify="center")
    for p in report.provinces:
        cells = []
        for s in p.steps:
            if s.state == "done":
                cells.append("[green]✓[/]" + (f" [red]+{s.working_days_late}[/]" if s.working_days_late else ""))
            elif s.working_days_late:
                cells.append(f"[red]overdue {s.working_days_late}[/]")
            else:
                cells.append(STATE_TH.get(s.state, s.state))
        table.add_row(f"{p.code} {p.name_th}", *cells)
    out.print(table)
    out.print("✓ done · +N working days late · overdue N = not done, N working days past the deadline")
