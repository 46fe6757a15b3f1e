"""`kpi6 report national`: the round's national report for DLA's meeting (maps, ranked scores, steps week by week,
satisfaction, what the offices chose), as PDF or .docx."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpi6.cli.common import RoundOption, app, out

report_app = typer.Typer(help="Reports for DLA: national.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("national")
def national(
    round_id: RoundOption,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The file to write: .pdf or .docx (default: national-<round>.pdf in the output folder)"
        ),
    ] = None,
) -> None:
    """Write the national report of a round from what the database records today."""
    from kpi6.models.errors import InputError
    from kpi6.tasks.national import build_national_report, national_paths, write_report
    from kpi6.tasks.setup import open_round

    if out_file is not None and out_file.suffix.lower() not in (".pdf", ".docx"):
        raise InputError(f"--out {out_file}: give a file name ending in .pdf or .docx")
    config = open_round(round_id)
    target = out_file or national_paths(None, config.id)["pdf"]
    report = build_national_report(config)
    path = write_report(report, target)
    out.print(f"national report · round {config.id} · {len(report.ranked)} provinces · {report.as_of}: {path}")
