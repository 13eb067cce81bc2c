# Two commands: `make run` and `make test`. Each sets everything up on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test bench lint sandbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/uabot db upgrade
	$(VENV)/bin/uabot demo load --subscribers 5
	$(VENV)/bin/uabot run

test: $(STAMP)
	$(PY) tests/pg_runner.py $(PY) -m pytest -v $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) tests/pg_runner.py $(PY) benchmarks/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache
