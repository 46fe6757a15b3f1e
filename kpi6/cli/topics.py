"""`kpi6 topics`: the province's LPA weaknesses, the two proposed topics and the plan for step 1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.table import Table

from kpi6.cli.common import app, err, out
from kpi6.models.errors import InputError
from kpi6.models.provinces import registry
from kpi6.models.thai import STATE_TH

if TYPE_CHECKING:
    from kpi6.models.inputs import PlanInput
    from kpi6.models.provinces import Province
    from kpi6.tasks.topics import Analysis


@app.command()
def topics(
    file: Annotated[Path, typer.Argument(help="LPA results (CSV or XLSX): one row per LAO and indicator")],
    province: Annotated[
        str | None, typer.Option(help="The province the results are of (for the background text)")
    ] = None,
    round_id: Annotated[
        str | None, typer.Option("--round", help="Round id: its threshold and deadlines for the plan")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=1, max=100, help="Below this % of full score is weak (default: the round's, 70)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many indicators to list")] = 10,
    write_input: Annotated[
        Path | None,
        typer.Option(
            "--write-input", help="Write the proposed plan and media as an input file to edit, then `kpi6 run`"
        ),
    ] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Record step 1 with the proposed plan now")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder for --accept (evidence store)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rank the province's LPA weaknesses and propose the two media topics and the plan (step 1)."""
    from kpi6.tasks.topics import propose_from_file

    if (write_input or accept) and not (province and round_id):
        raise InputError("--write-input and --accept need --province and --round (the plan's dates are the round's)")
    proposal = propose_from_file(file, province=province, round_id=round_id, threshold_percent=threshold)
    plan = proposal.plan
    if as_json:
        out.print_json(proposal.public().model_dump_json())
    else:
        _print_proposal(proposal.analysis, plan, top)
    if plan is None or province is None:
        return
    prov = registry().get(province)
    from kpi6.models.inputs import ProvinceInputs
    from kpi6.models.steps import by_key

    step = by_key()["plan"].number
    if write_input:
        _write_proposal_input(write_input, plan, prov)
        err.print(
            f"wrote {write_input}: edit it, then `kpi6 run --province {prov.code} --round {round_id} "
            f"--step {step} --input {write_input}`"
        )
    if accept:
        from kpi6.flows.run import run_province

        summary = run_province(
            prov.code,
            str(round_id),
            step=step,
            inputs=ProvinceInputs(plan=plan),
            output_dir=str(out_dir.resolve()) if out_dir else None,
        )
        state = next(s for s in summary.steps if s.step == step)
        err.print(
            f"step {step} {STATE_TH.get(state.state, state.state)} ({state.action.value}) · {prov.label} · "
            f"{summary.round_id}"
        )


def _print_proposal(analysis: Analysis, plan: PlanInput | None, top: int) -> None:
    table = Table(
        title=f"จุดอ่อน LPA · {analysis.source} · อปท. {analysis.n_laos:,} แห่ง · "
        f"ต่ำกว่าร้อยละ {analysis.threshold_percent:g} ของคะแนนเต็ม"
    )
    for col in ("#", "ตัวชี้วัด · indicator", "ด้าน · aspect", "ไม่ผ่าน · below", "%", "เฉลี่ย % · mean"):
        table.add_column(col, justify="right" if col in ("#", "%", "เฉลี่ย % · mean", "ไม่ผ่าน · below") else "left")
    for w in analysis.weaknesses[:top]:
        table.add_row(
            str(w.rank),
            f"{w.indicator} {w.indicator_name}",
            w.aspect.name_th,
            f"{w.n_below:,}/{w.n_laos:,}",
            f"{100 * w.share_below:.1f}",
            f"{w.mean_percent:.1f}",
        )
    out.print(table)
    out.print(
        "ด้าน · by aspect: "
        + " · ".join(
            f"{a.aspect.name_th} {a.n_below:,}/{a.n_laos:,} ({100 * a.share_below:.1f}%)" for a in analysis.aspects
        )
    )
    for i, p in enumerate(analysis.proposal, 1):
        out.print(
            f"\n[bold]หัวข้อที่ {i}: {p.topic.title_th}[/] ({p.topic.aspect.name_th}; "
            f"ตัวชี้วัด {', '.join(w.indicator for w in p.weaknesses)}; {p.topic.format})",
            highlight=False,
        )
        out.print(p.background_th, highlight=False)
    if plan:
        steps = Table(title="แผนและขั้นตอนการดำเนินงาน (proposed plan)")
        for col in ("กิจกรรม · activity", "เริ่ม · start", "ถึง · end"):
            steps.add_column(col)
        for a in plan.activities:
            steps.add_row(a.activity, a.start.isoformat(), a.end.isoformat())
        out.print(steps)


def _write_proposal_input(path: Path, plan: PlanInput, province: Province) -> None:
    """The proposed plan and two media drafts as an input file, in the example's form, for the clerk to edit."""
    from kpi6.models.forms import office_name

    data = {
        "plan": plan.model_dump(mode="json", exclude_none=True),
        "media": {
            "media": [
                {
                    "title": t.title,
                    "lpa_aspect": t.aspect,
                    "background": t.background,
                    "content": t.content,
                    "agency": office_name(province),
                    "format": t.format,
                    "key_points": t.key_points,
                }
                for t in plan.topics
            ]
        },
    }
    header = (
        "# Proposed by `kpi6 topics` from the province's LPA results: edit what you need, then\n"
        "# `kpi6 run --step 1` records the plan and `kpi6 run --step 2` the media (a video or website needs its"
        " link).\n"
    )
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
