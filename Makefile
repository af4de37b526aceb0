# Council Contact Assistant. `make run` starts the product; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
ENV := source scripts/env.sh &&
RASA_FILES := --config config.yml --domain bot/domain.yml --data data

.PHONY: help install assets run test lint unit validate train story-test e2e bench clean \
	security-test fault-test load-test topology-test

help: ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## Install pinned dependencies into .venv (fast when nothing changed)
	@bash scripts/install.sh

assets: install ## Build the council-branded GOV.UK Frontend assets
	@if [[ -f scripts/build_assets.sh ]]; then bash scripts/build_assets.sh; fi

run: ## Start everything on the embedded default (SQLite) and print the URLs
	@bash scripts/run.sh

train: install ## Train the Rasa model if training data, domain or config changed
	@bash scripts/train.sh

lint: install ## ruff, and the import-layer contracts (pyproject.toml [tool.importlinter])
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache

unit: assets ## Unit tests (no real processes)
	@$(ENV) $(PY) -m pytest -q -m "not e2e and not browser and not topology"

validate: install ## rasa data validate
	@$(ENV) $(VENV)/bin/rasa data validate $(RASA_FILES) --fail-on-warnings --quiet

story-test: train ## Rasa story tests (tests/test_stories.yml)
	@$(ENV) $(VENV)/bin/rasa test core --stories tests/test_stories.yml --model models/council.tar.gz \
	  --endpoints endpoints.yml --out var/results/stories --fail-on-prediction-errors --quiet

e2e: train assets ## End-to-end and browser tests against the real processes
	@$(ENV) $(PY) -m pytest -q -m "e2e or browser"

test: lint unit validate story-test e2e topology-test ## Everything CI runs

bench: train assets ## Benchmarks: prints a table, writes var/bench/*.json
	@$(ENV) $(PY) -m bench

security-test: assets ## Security suite: signatures, CSRF, XSS, headers, logs, fuzzing (+ e2e checks)
	@$(ENV) $(PY) -m pytest -q tests/security

fault-test: train assets ## Kill Rasa, the action server and the database mid-conversation
	@$(ENV) $(PY) -m pytest -q tests/fault

load-test: train assets ## Bounded load and soak (LOAD_CONVERSATIONS=50 LOAD_SECONDS=30)
	@$(ENV) $(PY) -m pytest -q -s tests/load

topology-test: train assets ## Production topology: PostgreSQL, Redis, two Rasa replicas, gunicorn
	@$(ENV) $(PY) -m pytest -q -m topology tests/topology

clean: ## Remove generated files (keeps .venv)
	rm -rf var models results .pytest_cache .ruff_cache
