"""`kpi6 score`: the national score table. It only reads (no Prefect, nothing written) unless `--publish` asks for
the evening schedule's `score-round` flow: the scores stored and the scoreboard artifact published in the
Prefect UI."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kpi6.cli.common import JsonOption, RoundOption, app, out

if TYPE_CHECKING:
    from kpi6.models.scoring import ScoreLine


@app.command()
def score(
    round_id: RoundOption,
    as_json: JsonOption = False,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Also store the scores and publish the scoreboard in the Prefect UI (the score-round flow)",
        ),
    ] = False,
) -> None:
    """Every province's penalty-adjusted score for the round, from what the database records."""
    from kpi6.models.scoring import score_lines

    if publish:
        from kpi6.flows.scoring import score_round

        scores = score_round(round_id)
    else:
        from kpi6.tasks.scores import compute_round_scores
        from kpi6.tasks.setup import open_round

        scores = compute_round_scores(open_round(round_id))
    lines = score_lines(scores)
    if as_json:
        out.print_json(json.dumps([line.model_dump() for line in lines], ensure_ascii=False))
        return
    out.print(score_table(lines, f"คะแนนตัวชี้วัดที่ 6 · รอบ {scores[0].round_id}", steps=len(scores[0].steps)))


def score_table(lines: list[ScoreLine], title: str, *, steps: int) -> Table:
    table = Table(title=title)
    for col, justify in (
        ("code", "left"),
        ("จังหวัด", "left"),
        ("steps", "right"),
        ("points", "right"),
        ("late reports", "right"),
        ("days late", "right"),
        ("penalty", "right"),
        ("total", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in lines:
        table.add_row(
            r.code,
            r.name_th,
            f"{r.steps_done}/{steps}",
            f"{r.points:.2f}",
            str(r.late_reports),
            str(r.working_days_late),
            f"{r.penalty:.2f}",
            f"{r.total:.2f}",
            style="red" if r.penalty else "",
        )
    return table
