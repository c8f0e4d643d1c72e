# volunteer_hub: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app volunteer_hub
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install db seed jobs bench clean

$(BIN)/activate:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 or python3.13 on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

## make run: set everything up (venv, packages, SQLite database in instance/, demo data) and serve the site.
run: seed
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	VH_BASE_URL=$${VH_BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) run --host $(HOST) --port $(PORT)

## make test: the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make jobs: run the scheduled jobs once (reminders, offers, outbox).
jobs: install
	$(FLASK) jobs run

## make bench: load benchmark (not part of make test); see bench/README.md.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
