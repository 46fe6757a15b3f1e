"""What the national demo produces, as a snapshot to compare before and after a change of code shape.

    python benchmarks/demo_snapshot.py write benchmarks/golden/demo-2567-1.json.gz   # record
    python benchmarks/demo_snapshot.py check benchmarks/golden/demo-2567-1.json.gz   # compare; exit 1 if different

It runs `kpi6 demo` (seed 6) in a fresh data folder on the embedded defaults, then records the score
table (`scores.csv`, row by row) and the text of every Form 1 and Form 2 it wrote, as .pdf (text layer)
and as .docx (paragraphs), each with its SHA-256 and the text itself. The demo's clocks are fixed, so two
runs of the same code give the same snapshot; a check names each file whose text changed and prints the
first differing lines. It reads only the demo's files through libraries, never kpi6's own modules, so a
reshaping of the code cannot change how the snapshot is taken.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2
from docx import Document
from docx.oxml.ns import qn

ROUND = "2567-1"
SEED = "6"


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path)
    try:
        return "\n\f\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def docx_text(path: Path) -> str:
    body = Document(io.BytesIO(path.read_bytes())).element.body
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))


def run_demo(out: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPI6_", "PREFECT_"))}
    env.update(
        KPI6_DATA_DIR=str(out / "data"), PREFECT_HOME=str(out / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false"
    )
    kpi6 = Path(sys.executable).parent / "kpi6"
    started = time.monotonic()
    done = subprocess.run(
        [str(kpi6), "demo", "--out", str(out / "out"), "--round", ROUND, "--seed", SEED],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"kpi6 demo failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return time.monotonic() - started


def snapshot(out: Path) -> dict[str, object]:
    with (out / "scores.csv").open(encoding="utf-8") as f:
        scores = [row for row in csv.reader(f)]
    forms: dict[str, dict[str, str]] = {}
    for path in sorted((out / ROUND).glob("*/form[12].*")):
        if path.suffix not in (".pdf", ".docx"):
            continue
        text = (pdf_text if path.suffix == ".pdf" else docx_text)(path).replace(str(out), "<out>")
        forms[str(path.relative_to(out))] = {"sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}
    return {"round": ROUND, "seed": SEED, "scores": scores, "forms": forms}


def compare(old: dict, new: dict) -> list[str]:  # type: ignore[type-arg]
    problems = []
    if old["scores"] != new["scores"]:
        diff = difflib.unified_diff(
            [",".join(r) for r in old["scores"]],
            [",".join(r) for r in new["scores"]],
            "before",
            "after",
            lineterm="",
            n=0,
        )
        problems.append("score table differs:\n" + "\n".join(list(diff)[:20]))
    for name in sorted(set(old["forms"]) | set(new["forms"])):
        a, b = old["forms"].get(name), new["forms"].get(name)
        if a is None or b is None:
            problems.append(f"{name}: {'new' if a is None else 'missing'}")
        elif a["sha256"] != b["sha256"]:
            diff = difflib.unified_diff(
                a["text"].splitlines(), b["text"].splitlines(), "before", "after", lineterm="", n=0
            )
            problems.append(f"{name}: text differs\n" + "\n".join(list(diff)[:12]))
    return problems


def _read(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def _write(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        print(__doc__)
        return 2
    mode, golden = sys.argv[1], Path(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="kpi6-snapshot-") as tmp:
        seconds = run_demo(Path(tmp))
        snap = snapshot(Path(tmp) / "out")
    print(f"demo: {len(snap['scores']) - 1} score rows, {len(snap['forms'])} form files, {seconds:.0f} s")
    if mode == "write":
        golden.parent.mkdir(parents=True, exist_ok=True)
        _write(golden, json.dumps(snap, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {golden}")
        return 0
    problems = compare(json.loads(_read(golden)), snap)
    for p in problems:
        print(p)
    print("same as the snapshot" if not problems else f"{len(problems)} difference(s) from {golden}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
