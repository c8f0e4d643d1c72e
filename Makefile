# volunteer_hub: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app volunteer_hub
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev lint lock db seed jobs bench clean

$(BIN)/activate:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 or python3.13 on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Every install is held to constraints.txt (the versions CI last passed with), so a new upstream
# release cannot change what runs overnight. `make lock` refreshes it on purpose.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[demo]'
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

## make install: the site and its demo data generator; install-dev adds what the tests need.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make lock: upgrade every dependency to its newest release allowed by pyproject.toml, then
## write the versions to constraints.txt (commit it once `make test` passes).
lock: | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade -e '.[dev]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' | sort -f > constraints.txt

## make lint: ruff (pyflakes, pycodestyle, isort, bugbear...) over the code and the tests.
lint: install-dev
	$(BIN)/ruff check volunteer_hub tests bench migrations

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

## make run: set everything up (venv, packages, SQLite database in instance/, demo data) and serve the site.
run: seed
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	VH_BASE_URL=$${VH_BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) run --host $(HOST) --port $(PORT)

## make test: the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make jobs: run the scheduled jobs once (reminders, offers, outbox).
jobs: install
	$(FLASK) jobs run

## make bench: load benchmark (not part of make test); see bench/README.md.
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
