# Two commands for a newcomer: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NPM_STAMP := frontend/node_modules/.installed
DIST := frontend/dist/index.html
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/index.html frontend/vite.config.ts frontend/vitest.config.ts frontend/package.json \
	frontend/tsconfig.json frontend/tsconfig.app.json frontend/tsconfig.node.json frontend/tsconfig.vitest.json

.PHONY: help install run test lint test-python test-frontend browser bench deploy-localstack destroy-localstack clean

help:
	@echo "make run                the store on http://$(HOST):$(PORT) (SQLite + in-process cache unless DATABASE_URL/REDIS_URL are set)"
	@echo "make test               every suite: lint, types, backend, frontend unit, browser end-to-end"
	@echo "make install            .venv, Python and npm dependencies, the storefront build"
	@echo "make bench              the performance harness (prints a table, writes bench/results.json)"
	@echo "make deploy-localstack  deploy to LocalStack (needs Docker and LOCALSTACK_AUTH_TOKEN)"

install: $(VENV_STAMP) $(NPM_STAMP) $(DIST)

$(VENV_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check 'pip<26.3'
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST): $(NPM_STAMP) $(FRONTEND_SOURCES)
	npm --prefix frontend run build

run: install
	$(PY) -m chalicelib.cli migrate
	$(PY) -m chalicelib.cli seed
	$(VENV)/bin/chalice local --no-autoreload --stage local --host $(HOST) --port $(PORT)

test: install browser lint test-frontend test-python

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-frontend: $(NPM_STAMP) $(DIST)
	npm --prefix frontend run test:unit
	npm --prefix frontend run size

test-python: $(VENV_STAMP) $(DIST)
	$(VENV)/bin/pytest

browser:
	@bash scripts/ensure_browser.sh

bench: install
	$(PY) -m bench

deploy-localstack: install
	$(PY) -m infra.deploy --stage localstack

destroy-localstack: $(VENV_STAMP)
	$(PY) -m infra.deploy --stage localstack --destroy

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .data test-artifacts bench/results.json
