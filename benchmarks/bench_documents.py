"""Time to produce Form 1 and Form 2, .docx and .pdf, for all 76 provinces (304 files), and per file;
beside it, LibreOffice headless converting the same .docx files to PDF (what an office would otherwise do),
when LibreOffice is installed.

    .venv/bin/python benchmarks/bench_documents.py [--provinces N] [--libreoffice-files N]

Target: all 304 files in under 30 s on a 2-core machine. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from kpi6.models.forms import build_form1, build_form2
from kpi6.models.provinces import registry
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.demo import demo_inputs
from kpi6.tasks.render.documents import render_form_docx, render_form_pdf


def contexts(n: int):  # type: ignore[no-untyped-def]
    config = load_round("2567-1")
    inputs = demo_inputs(config, seed=6)
    out = []
    for code in [p.code for p in registry()][:n]:
        pi, province = inputs[code], registry().get(code)
        media = pi.media.model_copy(deep=True)
        for i, m in enumerate(media.media, start=1):
            m.link = m.link or f"https://evidence.example/2567-1/{code}/medium-{i}/"
        report = pi.form1 or pi.form2
        from kpi6.models.inputs import ReportInput

        report = report or ReportInput()
        f1 = build_form1(
            province=province,
            config=config,
            plan=pi.plan,
            media=media,
            report=report,
            plan_link=f"https://evidence.example/2567-1/{code}/plan/",
            done={1: date(2024, 1, 10), 2: date(2024, 1, 30)},
            report_day=date(2024, 2, 9),
        )
        diss = pi.dissemination or demo_inputs(config, seed=6)["TH-50"].dissemination
        f2 = build_form2(
            province=province,
            config=config,
            dissemination=diss,
            report=report,
            dissemination_link=f"https://evidence.example/2567-1/{code}/dissemination/",
            survey_link=f"https://evidence.example/2567-1/{code}/survey/",
            done={4: date(2024, 3, 7)},
            report_day=date(2024, 3, 22),
        )
        out.append((code, f1, f2))
    return out


def _province_files(item) -> int:  # type: ignore[no-untyped-def]
    _code, f1, f2 = item
    return sum(len(render(ctx)) for ctx in (f1, f2) for render in (render_form_pdf, render_form_docx))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provinces", type=int, default=76)
    parser.add_argument("--libreoffice-files", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes for the parallel run (one province each)"
    )
    args = parser.parse_args()
    items = contexts(args.provinces)
    render_form_pdf(items[0][1])  # warm-up: fonts load once per process
    times: dict[str, list[float]] = {"form1.pdf": [], "form1.docx": [], "form2.pdf": [], "form2.docx": []}
    tmp = Path(tempfile.mkdtemp(prefix="kpi6-bench-"))
    start = time.perf_counter()
    for code, f1, f2 in items:
        for name, ctx, render in (
            ("form1.pdf", f1, render_form_pdf),
            ("form1.docx", f1, render_form_docx),
            ("form2.pdf", f2, render_form_pdf),
            ("form2.docx", f2, render_form_docx),
        ):
            t = time.perf_counter()
            data = render(ctx)
            times[name].append(time.perf_counter() - t)
            (tmp / f"{code}-{name}").write_bytes(data)
    total = time.perf_counter() - start
    files = sum(len(v) for v in times.values())
    print(f"{files} files for {len(items)} provinces in {total:.1f} s ({total / files * 1000:.0f} ms per file)")
    for name, values in times.items():
        print(f"  {name:11s} median {statistics.median(values) * 1000:5.0f} ms  max {max(values) * 1000:5.0f} ms")
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(_province_files, items[: args.workers]))  # warm-up each worker
            t = time.perf_counter()
            list(pool.map(_province_files, items))
            par = time.perf_counter() - t
        print(f"{files} files with {args.workers} processes in {par:.1f} s")
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office or args.libreoffice_files <= 0:
        print("LibreOffice not installed (or not asked for): no comparison")
        return
    docx = sorted(tmp.glob("*.docx"))[: args.libreoffice_files]
    outdir = tmp / "lo"
    t = time.perf_counter()
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, docx)],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    lo = time.perf_counter() - t
    print(
        f"LibreOffice headless: {len(docx)} .docx -> PDF in {lo:.1f} s ({lo / len(docx) * 1000:.0f} ms per file, "
        f"one process); for 152 .docx that is about {lo / len(docx) * 152:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
