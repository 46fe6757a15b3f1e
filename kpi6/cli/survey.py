"""`kpi6 survey summary | import`: the satisfaction survey of step 4, from a Google/Microsoft Forms export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kpi6.cli.common import ProvinceOption, RoundOption, err, out, survey_app
from kpi6.models.provinces import registry

if TYPE_CHECKING:  # the models load when a command runs, not when any command starts
    from kpi6.models.survey import Stats, SurveyResult, SurveySummary

SurveyFile = Annotated[Path, typer.Argument(help="CSV or XLSX export of the survey")]


@survey_app.command("summary")
def survey_summary(
    file: SurveyFile,
    round_id: Annotated[
        str | None, typer.Option("--round", help="Check timestamps against this round; its bands")
    ] = None,
    bands: Annotated[str | None, typer.Option(help="Band convention: 0.8 (4.21–5.00 …) or 0.5 (4.51–5.00 …)")] = None,
    laos: Annotated[int | None, typer.Option(min=1, help="LAOs disseminated to, for the coverage")] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Summarise the valid rows; list the rest")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Summarise a survey export: n, mean, S.D., Thai band and % satisfied per item and overall. Writes nothing
    (with --skip-invalid, the rejected rows go to FILE.rejected.csv)."""
    from kpi6.tasks.survey import check_survey

    checked = check_survey(str(file), round_id=round_id, bands=bands, laos_disseminated=laos, skip_invalid=skip_invalid)
    if as_json:
        _survey_json(checked.summary, checked.result, rejected_file=checked.rejected_file)
        return
    _print_survey(checked.summary, checked.result)
    if checked.rejected_file:
        err.print(f"{checked.rejected_rows:,} row(s) left out, with their reasons: {checked.rejected_file}")


@survey_app.command("import")
def survey_import(
    file: SurveyFile,
    province: ProvinceOption,
    round_id: RoundOption,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Import the valid rows; the rest go to FILE.rejected.csv with their reasons"
        ),
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (evidence store); default data folder")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a province's survey for step 4: checked row by row, stored as evidence, kept for Form 2.
    A file with errors is refused whole unless --skip-invalid."""
    from kpi6.tasks.dissemination import import_survey

    code = registry().get(province).code
    done = import_survey(
        province=code,
        round_id=round_id,
        path=str(file),
        skip_invalid=skip_invalid,
        output_dir=str(out_dir.resolve()) if out_dir else None,
    )
    if as_json:
        _survey_json(
            done.summary, done.result, imported=done.created, rejected_file=done.rejected_file, evidence=done.evidence
        )
        return
    _print_survey(done.summary, done.result)
    what = "imported" if done.created else "already imported (same file): nothing changed"
    from kpi6.models.steps import by_key

    step = by_key()["dissemination"].number
    out.print(
        f"{registry().get(code).label} · {round_id} · step {step} survey {what} · evidence: {', '.join(done.evidence)}"
    )
    if done.rejected_file:
        err.print(f"{done.result.rejected:,} row(s) left out, with their reasons: {done.rejected_file}")
    again = f"kpi6 run --province {code} --round {round_id} --step {step}"
    if done.step4_done and done.created:
        out.print(
            f"step {step} is already recorded with the earlier survey: run it again with "
            f"`{again} --force --input …` to use this one"
        )
    else:
        out.print(f"step {step} will use it: `{again} --input …`")


def _survey_table(summary: SurveySummary, title: str) -> Table:
    table = Table(title=title)
    for col in ("ข้อ · item", "n", "ค่าเฉลี่ย mean", "S.D.", "ระดับ band", "% พึงพอใจ (4–5)"):
        table.add_column(col, justify="left" if col.startswith("ข้อ") or col.startswith("ระดับ") else "right")

    def cells(s: Stats) -> list[str]:
        f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        return [str(s.n), f(s.mean), f(s.sd), s.band_th, f(s.percent_satisfied)]

    for item in summary.items:
        table.add_row(item.question, *cells(item))
    table.add_row("[bold]ภาพรวม · overall[/]", *cells(summary.overall))
    return table


def _print_survey(summary: SurveySummary, result: SurveyResult) -> None:
    from kpi6.models.survey import BandScheme

    out.print(_survey_table(summary, f"ผลการสำรวจความพึงพอใจ · {result.source} · ผู้ตอบ {summary.n:,} ราย"))
    if summary.by_type:
        out.print(
            "ผู้ตอบจำแนกตามประเภท อปท. · by LAO type: " + ", ".join(f"{t} {n:,}" for t, n in summary.by_type.items())
        )
    if summary.laos_answered:
        line = f"อปท. ที่ตอบ · LAOs that answered: {summary.laos_answered:,}"
        if summary.coverage_percent is not None:
            line += f" of {summary.laos_disseminated:,} disseminated to ({summary.coverage_percent:.2f}%)"
        out.print(line)
    scheme = (
        "4.21–5.00 มากที่สุด … 1.00–1.80 น้อยที่สุด"
        if summary.bands == BandScheme.width_0_8
        else "4.51–5.00 มากที่สุด … 1.00–1.50 น้อยที่สุด"
    )
    out.print(
        f"bands: width {summary.bands.value} ({scheme}) · comments: {len(summary.comments):,}"
        + (f" · ignored columns: {', '.join(result.ignored_columns)}" if result.ignored_columns else "")
        + (f" · rejected rows: {result.rejected:,}" if result.rejected else "")
    )


def _survey_json(summary: SurveySummary, result: SurveyResult, **extra: Any) -> None:
    data = summary.model_dump(mode="json")
    data.update(
        source=result.source,
        sha256=result.sha256,
        rejected=result.rejected,
        ignored_columns=result.ignored_columns,
        **extra,
    )
    out.print_json(json.dumps(data, ensure_ascii=False))
