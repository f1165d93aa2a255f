# MicroSink 微碳汇 — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-embedded test-postgres lint deps lock migrations clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

# The virtual environment is rebuilt whenever a lock file changes; installs only hashed, pinned files.
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

run: $(VENV)/.installed  ## embedded mode: SQLite file, memory stores, one worker, demo data, http://127.0.0.1:8000
	$(BIN)/python -m app.cli migrate
	$(BIN)/python -m app.cli demo-load
	$(BIN)/python -m app.cli campaigns-sync
	$(BIN)/uvicorn app.main:create_app --factory --host 127.0.0.1 --port 8000 --workers 1

# Both runs always run, each in its own process (STACK.md trap 4); either failing fails the target.
test: $(VENV)/.installed  ## the whole suite on the embedded default, then on PostgreSQL + Redis
	@status=0; $(MAKE) test-embedded || status=1; $(MAKE) test-postgres || status=1; exit $$status

test-embedded: $(VENV)/.installed
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q

test-postgres: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(REDIS_TEST_URL)} $(BIN)/pytest -q

lint: $(VENV)/.installed  ## ruff + mypy
	$(BIN)/ruff check app models tests migrations $(wildcard bench)
	$(BIN)/ruff format --check app models tests
	$(BIN)/mypy

deps:  ## Debian packages the browser and certificate tests and the benchmarks need (run as root): chromium, Noto CJK, zbarimg, wrk
	command -v chromium >/dev/null && fc-list | grep -q 'Noto Sans CJK' && command -v zbarimg >/dev/null && command -v wrk >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk zbar-tools wrk)

lock:  ## re-pin dependencies with hashes, never writing an index URL
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

migrations:  ## write a migration for model changes: make migrations NAME=what_changed
	$(BIN)/tortoise -c app.tortoise_conf.TORTOISE_ORM makemigrations --name $(NAME)
	$(BIN)/ruff check --fix --quiet migrations  # the generated file's imports, sorted as lint wants

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
