# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-postgres lint check browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Install if needed, migrate, load the demo data, serve on http://127.0.0.1:8000 with one task
## worker and the scheduler beside the web server (all three stop together)
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	@echo "Ouvrez http://$(HOST):$(PORT)/ (comptes de démonstration : voir README.md)"
	$(BIN)/python manage.py db_worker --verbosity 0 & worker=$$!; \
		$(BIN)/python manage.py run_scheduler & scheduler=$$!; \
		trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

## Debian's Chromium for the browser tests: installed with apt-get when missing (as root)
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "ATTENTION : /usr/bin/chromium absent et apt-get indisponible : les tests navigateur seront ignorés (échec si REQUIRE_BROWSER=1)." >&2; fi

## Install if needed and run the whole test suite (embedded SQLite unless DATABASE_URL is set)
test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The same suite against PostgreSQL (CI has one on 127.0.0.1:5432)
test-postgres: install browser
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
