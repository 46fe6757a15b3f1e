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
