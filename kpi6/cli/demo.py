"""`kpi6 demo`: the national demo on sample inputs, then the national score table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kpi6.cli.common import app, get_settings, out, safe_url
from kpi6.cli.score import score_table


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where scores.csv and each province's forms go")] = Path("out"),
    round_id: Annotated[str, typer.Option("--round")] = "2567-1",
    seed: Annotated[int, typer.Option(help="Seed of the sample inputs")] = 6,
) -> None:
    """The national demo: 76 provinces on sample inputs, then the national score table."""
    from kpi6.flows.demo import national_demo
    from kpi6.models.scoring import score_lines
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.outputs import check_output_dir

    config = load_round(round_id)
    check_output_dir(str(out_dir.resolve()))
    out.print(f"national demo · round {config.id} · 76 provinces · database {safe_url(get_settings().db_url)}")
    started = time.perf_counter()
    with out.status("running the five steps for 76 provinces and writing their forms (a minute or two)…"):
        scores = national_demo(round_id=config.id, seed=seed, out_dir=str(out_dir.resolve()))
    lines = score_lines(scores)
    out.print(score_table(lines, f"คะแนนตัวชี้วัดที่ 6 ระดับประเทศ · รอบ {config.id} (demo)", steps=len(config.steps)))
    late = sum(1 for r in lines if r.penalty)
    out.print(
        f"{len(lines)} provinces · {late} with lateness penalties · "
        f"scores.csv: {out_dir / 'scores.csv'} · {time.perf_counter() - started:.0f} s"
    )
    national = out_dir / f"national-{config.id}.pdf"
    out.print(
        f"national report (maps, ranked scores, steps by week, satisfaction, LPA weaknesses): {national} and .docx"
    )
    out.print(
        f"forms and media: {out_dir / config.id}/<province code>/ (form1.docx, form1.pdf, form2.docx, "
        f"form2.pdf, media) · e-mailed reports: {out_dir / 'outbox'}/ · evidence: {out_dir / 'evidence'}/"
    )
    out.print(
        f"the offices' files: {out_dir / 'inputs' / config.id}/lpa/ (LPA results: each plan's two topics) · "
        f"{out_dir / 'inputs' / config.id}/surveys/ (survey exports: each Form 2's satisfaction summary)"
    )
    _demo_accounts(out_dir)


def _demo_accounts(out_dir: Path) -> None:
    """The portal's demo accounts, with a new password each time the demo runs (printed here only)."""
    import secrets
    import shlex
    from datetime import UTC, datetime

    from kpi6.tasks.accounts import demo_email, reset_demo_users
    from kpi6.tasks.setup import default_actor

    password = secrets.token_urlsafe(12)
    users = reset_demo_users(password, actor=default_actor(), now=datetime.now(UTC))
    web = f"KPI6_OUTPUT_DIR={shlex.quote(str(out_dir))} kpi6 web"  # the portal lists the forms this demo wrote
    out.print(
        f"portal (demo accounts only, {len(users)}): `{web}`, then sign in as {demo_email(None)} (DLA) or "
        f"{demo_email('TH-50')} (an office: office-th-NN for each province) with the password {password}",
        highlight=False,
    )
