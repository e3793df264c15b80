# Plaza. `make run` serves Plaza with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
# Links in e-mails and the URL printed at start follow the port unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test screenshots bench-feed bench-drop lint format messages deps dev-deps browser migrate seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev-deps: requirements-dev.lock $(VENV)/.deps
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.deps node_modules/.installed
dev-deps: deps $(VENV)/.dev-deps

migrate: deps
	$(PY) manage.py migrate --noinput -v0

seed: migrate
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo --if-empty

## Serve Plaza on http://$(HOST):$(PORT) with demo data (SQLite under var/ unless DATABASE_URL is set).
run: seed
	@echo ""
	@echo "  Plaza is starting on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@echo ""
	SITE_URL=$(SITE_URL) $(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off --no-access-log

## Chromium for the browser journeys, from the system's packages when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "Chromium is missing: install it (e.g. 'sudo apt-get install chromium') to run the browser journeys."; \
	  fi; }

## Run the whole suite (SQLite unless DATABASE_URL is set; browser journeys in headless Chromium).
test: dev-deps browser
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

## The browser journeys, saving their screenshots under docs/screenshots/.
screenshots: dev-deps browser
	PLAZA_SCREENSHOTS=1 $(VENV)/bin/pytest e2e -p no:xdist

## The feed benchmark: the feed page with 20 posts against a trivial view on the same server.
bench-feed: deps
	$(PY) bench/feed.py

## The flash-drop benchmark: 2,000 buyers race for 500 units through the real checkout (PostgreSQL).
bench-drop: deps
	$(PY) bench/flash_drop.py

## The chat benchmark: 1,000 guest shoppers x 5 messages to the shop's bot through the web chat (PostgreSQL).
.PHONY: bench-chat
bench-chat: deps
	$(PY) bench/chat.py

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Regenerate the translation catalogs from the code and templates, and compile them.
messages: dev-deps
	$(PY) manage.py makemessages --all --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf var staticfiles
