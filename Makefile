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

setup: $(BIN)/kpi6
	bash scripts/system-packages.sh

demo: setup
	$(BIN)/kpi6 demo --out out

test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/pip install -q ruff
	$(BIN)/ruff check .
