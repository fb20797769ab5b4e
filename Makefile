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

.PHONY: run run-sso serve worker test bench install install-dev lint format migrate seed clean

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

# The demo's administrator, HR and district PD logins sign in with the published password and
# no second factor; `make run SECOND_FACTOR_REQUIRED=true` asks them to set one up, as a
# deployment does (docs/sign-in.md).
run run-sso: export SECOND_FACTOR_REQUIRED ?= false
# Every address the demo writes (feeds, calendar links, certificate checks, mail) follows the
# server's HOST and PORT unless SITE_URL says otherwise.
run run-sso: export SITE_URL ?= http://$(HOST):$(PORT)

run: seed
	@echo ""
	@echo "Serving the demo at http://$(HOST):$(PORT)/"
	@echo "  catalog   http://$(HOST):$(PORT)/catalog/"
	@echo "  admin     http://$(HOST):$(PORT)/admin/"
	@echo "  API docs  http://$(HOST):$(PORT)/api/docs/"
	@echo "  the worker (mail, schedule, long jobs) runs beside it; Ctrl-C stops both"
	@echo ""
	@# The worker gets a session of its own, so that Ctrl-C reaches the web server only and the
	@# worker is stopped once, with SIGTERM: it finishes the task in hand, then exits.
	@setsid $(PY) manage.py run_worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The demo with single sign-on through a local OpenID Connect provider (demo/idp/, Node.js and
# npm needed) at http://127.0.0.1:$(SSO_DEMO_PORT): docs/sign-in.md, "Trying it locally".
SSO_DEMO_PORT ?= 8001
run-sso: seed
	@echo ""
	@echo "Serving the demo at http://$(HOST):$(PORT)/ with single sign-on through"
	@echo "  the demo's identity provider at http://127.0.0.1:$(SSO_DEMO_PORT)/ (sign in with a demo"
	@echo "  staff member's address); the worker beside them; Ctrl-C stops all three"
	@echo ""
	@setsid $(PY) manage.py demo_identity_provider --port $(SSO_DEMO_PORT) --service http://$(HOST):$(PORT) & idp=$$!; \
	setsid $(PY) manage.py run_worker & worker=$$!; \
	trap 'kill -TERM $$worker $$idp 2>/dev/null; wait $$worker $$idp' EXIT; \
	SSO_OIDC_ISSUER=http://127.0.0.1:$(SSO_DEMO_PORT) SSO_OIDC_CLIENT_ID=professional-learning-demo \
	SSO_OIDC_CLIENT_SECRET=demo-client-secret SSO_OIDC_NAME="the demo district account" \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production serving (docs/deployment.md): gunicorn (deploy/gunicorn.conf.py; workers from the
# cores, WEB_CONCURRENCY overrides) with DEBUG off, static files collected for whitenoise first.
# The environment gives SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; the database is migrated
# beforehand (`make migrate` or deploy/manage.sh migrate), never by several servers at once.
serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve: SECRET_KEY is not set. Set it in the environment (docs/deployment.md)." >&2; exit 2; }
	@test -n "$$ALLOWED_HOSTS" || { echo "make serve: ALLOWED_HOSTS is not set. Set it to the host names the service answers to (docs/deployment.md)." >&2; exit 2; }
	@DEBUG=false $(PY) manage.py migrate --check >/dev/null || { echo "make serve: the database is not migrated (or not reachable). Migrate it first: make migrate (docs/deployment.md)." >&2; exit 2; }
	DEBUG=false $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=false $(PY) manage.py check --deploy
	DEBUG=false exec $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT)

# The background worker from a shell, as deployed (DEBUG off, the environment's settings);
# deploy/professional-learning-worker.service is the way to run it on a server.
worker: install
	@DEBUG=false $(PY) manage.py migrate --check >/dev/null || { echo "make worker: the database is not migrated (or not reachable). Migrate it first: make migrate (docs/deployment.md)." >&2; exit 2; }
	DEBUG=false exec $(PY) manage.py run_worker

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

# The benchmarks of docs/scale.md: not part of `make test`. SQLite by default; PostgreSQL when
# DATABASE_URL points at it. Each run builds its own throwaway database.
bench: install-dev
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
