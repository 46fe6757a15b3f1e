"""ARCHITECTURE.md's import rules hold: each layer imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> the kpi6 packages its modules may import (ARCHITECTURE.md, "Layers and what may import what")
ALLOWED = {
    "models": {"kpi6.models"},
    "tasks/adapters": {"kpi6.models", "kpi6.settings", "kpi6.tasks.adapters"},
    "tasks/render": {"kpi6.models", "kpi6.tasks.render", "kpi6.templates"},
    "tasks": {"kpi6.models", "kpi6.settings", "kpi6.tasks"},
    "flows": {"kpi6.models", "kpi6.settings", "kpi6.tasks", "kpi6.flows"},
    "web": {"kpi6.models", "kpi6.settings", "kpi6.tasks", "kpi6.flows", "kpi6.web"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m == "kpi6" or m.startswith("kpi6.")}


def _layer(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    return next(layer for layer in sorted(ALLOWED, key=len, reverse=True) if rel.startswith(layer + "/"))


MODULES = sorted(p for layer in ALLOWED for p in (ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_module_imports_only_the_layers_below_it(path: Path) -> None:
    allowed = ALLOWED[_layer(path)]
    wrong = sorted(m for m in _imports(path) if not any(m == a or m.startswith(a + ".") for a in allowed))
    assert not wrong, f"{path.relative_to(ROOT)} may import {sorted(allowed)}, not {wrong}"


def test_the_rules_cover_every_module() -> None:
    assert len(MODULES) > 40
    assert {_layer(p) for p in MODULES} == set(ALLOWED)


def test_the_cli_imports_no_prefect_until_a_command_runs() -> None:
    """`kpi6.runtime.prefect_defaults` sets Prefect's logging before Prefect is imported (it reads it once, at
    import); a CLI module importing Prefect at its top would undo that, and slow every command."""
    import subprocess
    import sys

    probe = "import sys, kpi6.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout


# What only the core does: a door calling one of these would repeat a check or a computation of the core.
CORE_ONLY = ("check_inputs", "validate_step", "decide_step", "prepare_run", "resolve_files", "step_outcomes")


@pytest.mark.parametrize("path", sorted((ROOT / "kpi6" / "cli").glob("*.py")), ids=lambda p: p.name)
def test_a_cli_module_only_parses_calls_the_core_and_presents(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not names & set(CORE_ONLY), f"{path.name} uses {sorted(names & set(CORE_ONLY))}"


READ_ONLY = {
    "provinces": ["provinces"],
    "penalty": ["penalty", "--deadline", "2023-12-08", "--submitted", "2023-12-12"],
    "round show": ["round", "show", "2567-1"],
    "status": ["status", "--round", "2567-1"],
    "score": ["score", "--round", "2567-1", "--json"],
    "survey summary": ["survey", "summary", "deployments/examples/survey-TH-50.csv", "--round", "2567-1"],
    "topics": ["topics", "deployments/examples/lpa-results-TH-50.csv", "--province", "TH-50", "--round", "2567-1"],
}


def test_a_read_only_command_imports_neither_prefect_nor_alembic_and_writes_nothing(tmp_path: Path) -> None:
    """The commands that only read (issue 18) run without Prefect (2.6 s to import) and without migrating: on a
    database `kpi6 init` made, each answers, imports neither package, and leaves every table as it was."""
    import os
    import sqlite3
    import subprocess
    import sys

    env = {**os.environ, "KPI6_DATA_DIR": str(tmp_path), "KPI6_DATABASE_URL": f"sqlite:///{tmp_path / 'kpi6.db'}"}
    env.pop("PREFECT_API_URL", None)
    init = "import sys; from kpi6.cli import main; sys.argv = ['kpi6', 'init']; main()"
    subprocess.run([sys.executable, "-c", init], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)

    def dump() -> list[str]:
        with sqlite3.connect(tmp_path / "kpi6.db") as conn:
            return list(conn.iterdump())

    before = dump()
    probe = (
        "import sys; from kpi6.cli import main; sys.argv = ['kpi6', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'alembic'}), code, file=sys.stderr)"
    )
    for name, args in READ_ONLY.items():
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert "LOADED [] 0" in done.stderr, (name, done.stderr[-2000:])
        assert done.stdout.strip(), name
    assert dump() == before
