# Two commands: `make run` and `make test`. Each sets everything up on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
# `make run` needs only the runtime; `make test` adds the dev extra (pytest, Playwright…).
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
PYTHON ?= python3
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-later bench lint sandbox clean i18n i18n-compile wheel-check

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

# Translations (docs/TRANSLATING.md): the UI's strings live in templates/ui, marked with Jinja's
# i18n tags; bot/locales/<lang>/LC_MESSAGES/uabot.po holds each language's translations.
# `make i18n` extracts the strings, merges them into every catalog and compiles; the .mo files
# are built here on setup (never committed), so `make run` and `make test` compile them.
LOCALES := bot/locales
POT     := $(LOCALES)/uabot.pot
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/uabot.po)
COMPILED := $(CATALOGS:.po=.mo)
PYBABEL := $(VENV)/bin/pybabel

$(LOCALES)/%/LC_MESSAGES/uabot.mo: $(LOCALES)/%/LC_MESSAGES/uabot.po | $(RUN_STAMP)
	$(PYBABEL) -q compile -D uabot -l $* -i $< -o $@

i18n-compile: $(COMPILED)

i18n: $(RUN_STAMP)
	$(PYBABEL) -q extract -F babel.cfg -o $(POT) --no-wrap --sort-by-file \
		--add-comments=TRANSLATORS: --project=uabot .
	$(PYBABEL) -q update -i $(POT) -d $(LOCALES) -D uabot --no-wrap --ignore-obsolete --previous
	$(PYBABEL) compile -d $(LOCALES) -D uabot --statistics

run: $(RUN_STAMP) $(COMPILED)
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

# Lint and types first (a few seconds once mypy's cache is warm), then the tests.
test: lint $(CHROMIUM) $(COMPILED)
	$(PY) tests/pg_runner.py $(PY) -m pytest -v $(PYTEST_ARGS)

# The whole suite as if it ran years from now: every Python process of the run (pytest and
# what it starts) reads a wall clock LATER ahead (tests/later/sitecustomize.py says how).
# It proves no test depends on the calendar. LATER=+10y picks another offset.
LATER ?= +3y
test-later: $(DEV_STAMP) $(CHROMIUM) $(COMPILED)
	UABOT_TEST_LATER='$(LATER)' PYTHONPATH='$(CURDIR)/tests/later' \
		$(PY) tests/pg_runner.py $(PY) -m pytest -p no:time_machine \
		-W 'ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning' $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) tests/pg_runner.py $(PY) benchmarks/run.py $(BENCH_ARGS)

# The wheel as an operator installs it, in a fresh virtualenv (tests/test_wheel.py runs the
# same check inside `make test`).
wheel-check: $(DEV_STAMP)
	$(PY) tests/wheel_check.py

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache build $(COMPILED)
