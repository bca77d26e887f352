# geoplan — two commands do all the set-up on a fresh machine:
#   make demo   creates .venv, installs geoplan, runs the main job on the bundled demo county
#   make test   installs the test extras (and Chromium for the browser tests, PostgreSQL + PostGIS
#               for the database tests), runs ruff, mypy, pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck pytest browser postgis bench clean-maps install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,bench,regions,postgis,scale]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/geoplan report

# Chromium for the browser tests, and a CJK font so their screenshots show the Chinese labels.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; } || { \
	  echo "installing Debian's chromium and fonts-wqy-microhei for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# PostgreSQL + PostGIS for the database tests (they start a throwaway cluster of their own:
# initdb in a temp dir, Unix socket only; Debian keeps initdb/pg_ctl in /usr/lib/postgresql/*/bin).
postgis:
	@{ ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && \
	   ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; } || { \
	  echo "installing Debian's postgresql and postgresql-postgis for the database tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq postgresql postgresql-postgis >/dev/null; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check geoplan tests benchmarks
	$(BIN)/ruff format --check geoplan tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test browser postgis
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean-maps:
	rm -rf maps/*/
