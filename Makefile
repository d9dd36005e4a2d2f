# Jornada: `make run` to try it, `make test` to check it. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python >= 3.11 on the PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install migrate demo run test lint format messages bench clean

help:
	@echo "make run    install, migrate, load demo data and start web + worker + beat on http://127.0.0.1:8000"
	@echo "make test   run the test suite (embedded SQLite; set DATABASE_URL/REDIS_URL for PostgreSQL/Redis)"
	@echo "make lint   ruff check, ruff format --check, import-linter contracts"
	@echo "make bench  run every bench/bench_*.py (PostgreSQL + Redis) and write bench/results/<date>.json + .md"
	@echo "            BENCH_SKIP=workspace leaves out bench_workspace.py, which loads 1,000,000 tickets into its"
	@echo "            own database jornada_bench_ws on its first run (up to ~30 min); BENCH_ONLY=peer_email runs one"
	@echo "            bench_manager.py (the managers' dashboard) loads 1,000,000 and 100,000 tickets into"
	@echo "            jornada_bench_manager(_100k) on its first run (~20 min) and the peer's into peer_bench_manager"

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Jornada needs Python >= 3.11 (python3.11, python3.12 or python3.13 on the PATH)."; exit 1; }
	@echo "==> Creating the virtualenv in $(VENV) with $(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "==> Installing Jornada and its dependencies (a minute on the first run)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	@$(PY) manage.py migrate --no-input -v 0

demo: migrate
	@$(PY) manage.py seed_demo

run: demo
	@bash scripts/run.sh

# pytest exits 5 when it collected no test: that is not a failure of the suite.
test: install
	@$(PY) -m pytest --ds=helpdesk.settings.test $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest: no tests collected" || exit $$rc; }

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports

format: install
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

messages: install
	@$(PY) manage.py makemessages -l pt_BR -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	@$(PY) manage.py compilemessages --ignore '.venv/*'

# Each benchmark is reported (a failing one too) and the others still run; see bench/run_all.py.
bench: install
	@$(PY) bench/run_all.py

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
