"""Issue 18, goal 3: where the time of one Form 1 PDF goes, beside WeasyPrint's own floor for the same document.

Measured in one process after a warm-up (fonts and stylesheets load once per process), median of `--repeat`:
- html: the Jinja template with the QR codes (tasks/render/documents.render_html);
- floor: WeasyPrint alone on that HTML and the same stylesheets: `HTML(...).render()` then `write_pdf()`,
  without kpi6's passes (the floor the target is set against);
- layout / write: the floor's two halves (the CSS cascade and layout; drawing, font subsetting, writing);
- kpi6 passes: the words kept together, the ToUnicode maps fixed and the ActualText spans (`_finish`);
- total: `render_form_pdf` as the run calls it. Target: total ≤ 0.25 s.

    .venv/bin/python benchmarks/bench_pdf.py [--repeat 7] [--profile]

Not a test: it prints figures (and with --profile the 25 costliest functions of one render).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import weasyprint
from bench_documents import contexts

from kpi6.tasks.render import pdf
from kpi6.tasks.render.documents import render_form_pdf, render_html


def median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    [(_code, form1, _form2)] = contexts(1)
    render_form_pdf(form1)  # warm-up
    html = render_html(form1)
    fetcher = pdf.LocalOnlyFetcher(pdf.allowed_roots())
    sheets = pdf._sheets(("forms.css",), fetcher)
    prepared = pdf.keep_words_together(pdf.printable(html))

    def layout() -> weasyprint.document.Document:
        doc = weasyprint.HTML(string=prepared, base_url=str(pdf.TEMPLATES_DIR) + "/", url_fetcher=fetcher)
        return doc.render(font_config=pdf._font_config, stylesheets=sheets)

    rendered = layout()
    pages = len(rendered.pages)
    figures = {
        "html": median_s(lambda: render_html(form1), args.repeat),
        "layout": median_s(layout, args.repeat),
        "write": median_s(lambda: layout().write_pdf(), args.repeat),
        "kpi6 passes": median_s(lambda: pdf.keep_words_together(pdf.printable(html)), args.repeat),
        "total": median_s(lambda: render_form_pdf(form1), args.repeat),
    }
    figures["write"] -= figures["layout"]
    floor = figures["layout"] + figures["write"]
    finish = figures["total"] - figures["html"] - floor - figures["kpi6 passes"]
    print(f"Form 1, {pages} pages, median of {args.repeat}:")
    print(f"  html (Jinja, QR codes)        {figures['html'] * 1000:6.0f} ms")
    print(f"  WeasyPrint layout             {figures['layout'] * 1000:6.0f} ms")
    print(f"  WeasyPrint write (subsetting) {figures['write'] * 1000:6.0f} ms")
    print(f"  = WeasyPrint's floor          {floor * 1000:6.0f} ms")
    print(f"  kpi6 text passes (before)     {figures['kpi6 passes'] * 1000:6.0f} ms")
    print(f"  kpi6 ToUnicode + ActualText   {finish * 1000:6.0f} ms (total less the rest)")
    print(f"  total render_form_pdf         {figures['total'] * 1000:6.0f} ms  ({figures['total'] / floor:.2f}× floor)")
    print(f"  target 250 ms: {'met' if figures['total'] <= 0.25 else 'missed'}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        render_form_pdf(form1)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
