# hocvu: `make demo` serves the platform with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test lint typecheck check-migrations audit unit browser bench bench-quick system-deps messages lock clean

$(BIN)/.runtime: requirements/base.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/base.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

$(BIN)/.bench: $(BIN)/.dev requirements/bench.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/bench.txt
	touch $@

## Debian packages the project needs: gettext (translations), chromium (browser tests),
## node + npm (third-party verifiers, the OpenID provider of the tests and the demo).
system-deps:
	@scripts/system-deps.sh

messages: $(BIN)/.runtime
	@command -v msgfmt >/dev/null || scripts/system-deps.sh gettext
	$(BIN)/python manage.py compilemessages --ignore '.venv/*' -v0

demo: $(BIN)/.runtime messages
	$(BIN)/python manage.py migrate -v0
	HOCVU_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo
	@echo "  (development server; the production configuration is 'make serve', docs/operations.md)"
	HOST=$(HOST) PORT=$(PORT) scripts/demo.sh

## The production configuration on this machine: gunicorn, WhiteNoise (collectstatic),
## the task worker and the delivery worker; SQLite unless DATABASE_URL is set.
serve: $(BIN)/.runtime messages
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

lint: $(BIN)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.dev
	$(BIN)/mypy hocvu tests

check-migrations: $(BIN)/.dev
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

## Security checks: bandit on the code (pyproject [tool.bandit]; findings fixed or justified
## inline) and pip-audit on the locked requirements (scripts/audit_dependencies.py: without
## the vulnerability service it prints NOT AUDITED; HOCVU_REQUIRE_AUDIT=1 makes that fail).
audit: $(BIN)/.dev
	$(BIN)/bandit -c pyproject.toml -r hocvu scripts -q
	$(BIN)/python scripts/audit_dependencies.py

## The tests run on every core (pytest-xdist, TEST_WORKERS=0 for one process), a test file
## at a time per worker (its module fixtures are built once); each worker has its own test
## database. STATIC_CHECKS=0 skips lint, types, migrations and audit (CI's second pass: they
## do not depend on the database).
TEST_WORKERS ?= auto
STATIC_CHECKS ?= 1
test: $(BIN)/.dev system-deps messages $(if $(filter 1,$(STATIC_CHECKS)),lint typecheck check-migrations audit)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(BIN)/.bench
	$(BIN)/python -m bench

bench-quick: $(BIN)/.bench
	$(BIN)/python -m bench --quick

## Re-resolve the locked requirements after editing requirements/*.in.
lock: $(BIN)/.dev
	cd requirements && for f in base dev bench; do \
	  ../$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url \
	    --no-emit-find-links $$f.in -o $$f.txt; done

clean:
	rm -rf $(VENV) var test-artifacts .mypy_cache .ruff_cache .pytest_cache
