"""Reference commands that only read: the provinces, a round's configuration, the penalty of a date."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kpi6.cli.common import app, num, out, parse_day, parse_moment, round_app
from kpi6.models.provinces import registry


@app.command()
def provinces(
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of code, name_th, name_en")] = False,
) -> None:
    """List the 76 provincial offices."""
    if as_json:
        out.print_json(json.dumps([p.model_dump() for p in registry()], ensure_ascii=False))
        return
    table = Table(title="สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด (76)")
    for col in ("code", "ชื่อจังหวัด", "Province"):
        table.add_column(col)
    for p in registry():
        table.add_row(p.code, p.name_th, p.name_en)
    out.print(table)


@round_app.command("show")
def round_show(round_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a round's steps, deadlines, scoring rules and calendar additions."""
    from kpi6.tasks.adapters.rounds import load_round

    config = load_round(round_id)
    if as_json:
        out.print_json(config.model_dump_json())
        return
    start, end = config.period
    out.print(
        f"[bold]round {config.id}[/] — ปีงบประมาณ {config.fiscal_year_be} รอบที่ {config.round_number} ({start} – {end})"
    )
    if config.sample_dates:
        out.print("[yellow]sample dates: these deadlines are examples, not DLA's[/]")
    table = Table()
    for col in ("step", "ขั้นตอน", "deadline", "report", "needs", "points"):
        table.add_column(col)
    for s in config.steps:
        table.add_row(
            str(s.number),
            f"{s.name_th}\n{s.name_en}",
            s.deadline.isoformat(),
            f"Form {s.form}" if s.report else "",
            ", ".join(map(str, s.requires)),
            str(config.scoring.points[s.number]),
        )
    out.print(table)
    out.print(
        f"penalty: {config.scoring.penalty_per_working_day} per working day late on each report; "
        f"floor {config.scoring.floor}"
    )
    for d in config.calendar.extra_holidays:
        out.print(f"extra holiday: {d.date} {d.name}")
    for d in config.calendar.extra_working_days:
        out.print(f"extra working day: {d.date} {d.name}")
    out.print(
        f"reminders: {', '.join(map(str, config.reminders.before_deadline_working_days))} "
        "working days before each deadline"
    )


@app.command()
def penalty(
    deadline: Annotated[str, typer.Option(help="The deadline, YYYY-MM-DD")],
    submitted: Annotated[str, typer.Option(help="Submission date or date-time (Bangkok time if no zone)")],
    round_id: Annotated[str | None, typer.Option("--round", help="Use this round's holidays and penalty")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Working days late and the penalty for a report submitted after its deadline."""
    from kpi6.models.calendar import WorkingDayCalendar, bangkok_date
    from kpi6.models.round import ScoringRules
    from kpi6.models.steps import numbers
    from kpi6.tasks.adapters.rounds import load_round, round_for_date

    day = parse_day(deadline, "--deadline")
    moment = parse_moment(submitted, "--submitted")
    config = load_round(round_id) if round_id else round_for_date(day)
    cal = config.working_calendar() if config else WorkingDayCalendar()
    rate = (config.scoring if config else ScoringRules(points=dict.fromkeys(numbers(), 1))).penalty_per_working_day
    late = cal.working_days_late(day, moment)
    result = {
        "working_days_late": late,
        "penalty": num(rate * late),
        "deadline": day.isoformat(),
        "submitted_date": bangkok_date(moment).isoformat(),
        "round": config.id if config else None,
    }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"deadline {day} · submitted {bangkok_date(moment)} (Bangkok) · round {result['round'] or '-'}")
    out.print(f"working days late (วันทำการที่ล่าช้า): {late}   penalty (หักคะแนน): {result['penalty']}")
