# The two commands of the README: `make run` and `make test`. Both set up what they need and skip
# what is already done (the .venv stamps follow pyproject.toml and constraints.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Development and tests run with DEBUG on (and so with the development SECRET_KEY), the
# settings' default outside the served application; a deployment sets DEBUG=false and its own
# SECRET_KEY.
export DEBUG ?= true

.PHONY: run test install install-dev lint format migrate seed clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "Serving the demo at http://$(HOST):$(PORT)/"
	@echo "  catalog   http://$(HOST):$(PORT)/catalog/"
	@echo "  admin     http://$(HOST):$(PORT)/admin/"
	@echo "  API docs  http://$(HOST):$(PORT)/api/docs/"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
