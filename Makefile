# Two commands: `make run` and `make test`. Each sets everything up on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
# `make run` needs only the runtime; `make test` adds the dev extra (pytest, Playwright…).
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
PYTHON ?= python3
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-later bench lint sandbox clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/uabot db upgrade
	$(VENV)/bin/uabot demo load --subscribers 5
	$(VENV)/bin/uabot run

# tests/web drive Debian's Chromium with Playwright (never a browser download): install it
# when missing and root; otherwise those tests skip and say why.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for tests/web"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-color-emoji >/dev/null) \
		|| echo "could not install chromium: tests/web will be skipped"; \
	else \
		echo "chromium is missing and installing it needs root: tests/web will be skipped"; \
	fi

test: $(DEV_STAMP) $(CHROMIUM)
	$(PY) tests/pg_runner.py $(PY) -m pytest -v $(PYTEST_ARGS)

# The whole suite as if it ran years from now: every Python process of the run (pytest and
# what it starts) reads a wall clock LATER ahead (tests/later/sitecustomize.py says how).
# It proves no test depends on the calendar. LATER=+10y picks another offset.
LATER ?= +3y
test-later: $(DEV_STAMP) $(CHROMIUM)
	UABOT_TEST_LATER='$(LATER)' PYTHONPATH='$(CURDIR)/tests/later' \
		$(PY) tests/pg_runner.py $(PY) -m pytest -p no:time_machine $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) tests/pg_runner.py $(PY) benchmarks/run.py $(BENCH_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache
