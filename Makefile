# Two commands on a fresh machine: `make demo` and `make test` (see README).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup demo test lint

$(BIN)/kpi6: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# compileall: kpi6's own modules as bytecode, so a command does not compile them again each time it starts where
# Python may not write its cache (PYTHONDONTWRITEBYTECODE); only what changed is compiled again.
setup: $(BIN)/kpi6
	bash scripts/system-packages.sh
	$(BIN)/python -m compileall -q kpi6 flows tasks models deployments web > /dev/null

demo: setup
	$(BIN)/kpi6 demo --out out

test: setup
	bash scripts/test.sh

# mypy finds the package through .typecheck/ (scripts/typecheck-tree.sh) and names files there; the sed gives
# each file's path in the checkout (.typecheck/kpi6/tasks/run.py -> tasks/run.py), keeping mypy's exit status.
MYPY_PATHS := sed -E 's,^\.typecheck/kpi6/(flows|tasks|models|deployments|templates|web)/,\1/,; s,^\.typecheck/kpi6/,kpi6/,'

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/typecheck-tree.sh
	$(BIN)/mypy > .typecheck/mypy.out; status=$$?; $(MYPY_PATHS) .typecheck/mypy.out; exit $$status
