# skin-analysis-pipeline developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (the Lambda runtime's minor version, so `sam build` works without containers): pyenv's 3.12 if
# present, else python3.12 on PATH; override with `make PYTHON=/path/to/python3.12 ...`.
PYENV_PYTHON := $(shell p=$$(pyenv prefix 3.12 2>/dev/null | head -n1); [ -n "$$p" ] && echo "$$p/bin/python3.12")
PYTHON ?= $(or $(PYENV_PYTHON),$(shell command -v python3.12))
VENV := .venv
BIN := $(VENV)/bin
# aws-sam-cli and checkov pin old boto3/click/cfn-lint: each lives in its own tool venv.
SAM_VENV := .tools/sam
CHECKOV_VENV := .tools/checkov
SAM := PATH="$(CURDIR)/$(BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
PYTEST := $(BIN)/python -m pytest
# Unit and integration tests spread over this many processes (pytest-xdist; each integration worker runs its own
# moto server; whole files stay on one worker: module-scoped fixtures). The e2e tier runs in one process.
TEST_WORKERS ?= 2
ENV ?= default

.PHONY: help install test test-unit test-integration test-e2e lint schemas demo bench build deploy clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed ## Create the venvs and install everything

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it (pyenv install 3.12) or pass PYTHON=/path/to/python3.12"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	@touch $@

$(CHECKOV_VENV)/.installed:
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: install ## ruff, mypy, cfn-lint, sam validate --lint, asl-validator, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint
	npx --no-install asl-validator --json-path statemachine/analysis.asl.json
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --quiet --compact -f template.yaml --framework cloudformation

test: install lint test-unit test-integration test-e2e ## lint, then the unit, integration and e2e tiers

test-unit: install ## Unit tier: no AWS, network blocked
	$(PYTEST) tests/unit -p no:cacheprovider -q -n $(TEST_WORKERS)

test-integration: install ## Integration tier: one moto server per session
	$(PYTEST) tests/integration -p no:cacheprovider -q -n $(TEST_WORKERS) --dist loadfile

test-e2e: install ## End-to-end tier (one process: two workers' stacks starved each other of CPU on 2 cores)
	$(PYTEST) tests/e2e -p no:cacheprovider -q

schemas: install ## Regenerate schemas/*.json from the event models
	$(BIN)/python -m skin_analysis_local.event_schemas

demo: install ## Run the local demo and write demo-report/index.html
	$(BIN)/skin-analysis demo --out demo-report

bench: install ## Run every benchmark section into bench/results.json, then the README table from it
	@failed=""; for section in normalize limiter cost burst latency cold_import local_stack; do \
	  echo "== bench $$section"; $(BIN)/python -m tests.bench.bench_$$section || failed="$$failed $$section"; \
	done; \
	$(BIN)/python -m tests.bench.readme_table; \
	if [ -n "$$failed" ]; then echo "make bench: these sections failed or missed a bar:$$failed"; exit 1; fi

build: install ## sam build (python3.12/arm64, no container)
	$(SAM) build

deploy: build ## sam deploy (ENV=default|dev|prod from samconfig.toml; add ARGS=--guided the first time)
	$(SAM) deploy --config-env $(ENV) $(ARGS)

clean: ## Remove build output and caches (keeps the venvs)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis demo-report
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './.tools/*' -exec rm -rf {} +
