"""`kpi6 run`: one province's steps, through the same core the portal and the Prefect UI use."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kpi6.cli.common import ProvinceOption, RoundOption, app, declared_step, out
from kpi6.cli.inputs import read_input_file
from kpi6.models.calendar import BANGKOK
from kpi6.models.provinces import registry
from kpi6.models.thai import STATE_TH

if TYPE_CHECKING:
    from kpi6.models.summary import ProvinceRunSummary


@app.command()
def run(
    province: ProvinceOption,
    round_id: RoundOption,
    step: Annotated[int | None, typer.Option(callback=declared_step, help="Run only this step")] = None,
    input_file: Annotated[Path | None, typer.Option("--input", help="YAML or JSON with the steps' inputs")] = None,
    force: Annotated[bool, typer.Option(help="Re-run a completed step (audited)")] = False,
    resubmit: Annotated[bool, typer.Option(help="Send a report step's form again as a new version (audited)")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where forms and media go (default: data folder)")
    ] = None,
    lpa: Annotated[
        Path | None,
        typer.Option(
            "--lpa", help="LPA results: step 1's plan is proposed from them when the input has none (see `kpi6 topics`)"
        ),
    ] = None,
) -> None:
    """Run one province's steps for a round (Prefect flow `province-round`); writes Form 1, Form 2 and media."""
    from kpi6.flows.run import run_province
    from kpi6.tasks.outputs import province_files

    started = time.perf_counter()
    summary = run_province(
        province,
        round_id,
        step=step,
        inputs=read_input_file(input_file) if input_file else None,
        force=force,
        resubmit=resubmit,
        output_dir=str(out_dir.resolve()) if out_dir else None,
        lpa_results=str(lpa.resolve()) if lpa else None,
    )
    out.print(run_table(summary))
    files = province_files(str(out_dir.resolve()) if out_dir else None, summary.round_id, summary.province_code)
    if files:
        out.print(f"files in {files[0].parent}: {', '.join(p.name for p in files)}")
    out.print(f"done in {time.perf_counter() - started:.1f} s")


def run_table(summary: ProvinceRunSummary) -> Table:
    table = Table(title=f"{registry().get(summary.province_code).label} · {summary.round_id}")
    for col in ("step", "ขั้นตอน", "deadline", "this run", "state", "completed", "days late"):
        table.add_column(col)
    for s in summary.steps:
        table.add_row(
            str(s.step),
            s.name_th,
            s.deadline.isoformat(),
            s.action.value,
            STATE_TH.get(s.state, s.state),
            s.completed_at.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if s.completed_at else "",
            str(s.working_days_late) if s.completed_at else "",
        )
    return table
