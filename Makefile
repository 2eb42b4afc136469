# The two commands of the README: `make run` and `make test`. Both set up .venv on a fresh machine:
# `make run` with what running the gateway needs (its extras proxy, db, metrics), `make test` with the
# whole development toolchain (every extra, pytest, ruff, mypy, the client SDKs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
RUN_EXTRAS := proxy,db,metrics
# the CPU build of PyTorch the `local` extra's tests run on (see pyproject.toml)
TORCH_VERSION := 2.13.0
# The system Python's pip installs into .venv when it can (pip >= 22.3, `--python`): a venv without
# a pip of its own is made in a fraction of the time (seconds saved on every fresh clone). Otherwise
# .venv gets its own pip.
SYSTEM_PIP := $(shell $(PYTHON) -m pip --help 2>/dev/null | grep -q -- '--python <python>' && echo yes)
ifeq ($(SYSTEM_PIP),yes)
PIP := $(PYTHON) -m pip --python $(BIN)/python install -q --disable-pip-version-check
VENV_FLAGS := --without-pip
else
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check
VENV_FLAGS :=
endif

.PHONY: run test test-setup lint typecheck check bench sim clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[$(RUN_EXTRAS)]'
	touch $(RUN_STAMP)

# the development install includes everything running needs
# torch first, pinned: the `local` extra's range would otherwise take a multi-GB CUDA build
$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) 'torch==$(TORCH_VERSION)'
	$(PIP) -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# PORT=8000 make run: another port (LiteLLM's PORT variable)
run: $(RUN_STAMP)
	$(BIN)/llmrelay serve --demo

# What the dashboard's SSO tests (tests/sso) run besides Python: Debian's Chromium (driven by
# Playwright, whose own browser downloads are never used) and the npm oidc-provider package, the
# identity provider they sign in against. Each step runs only when its result is missing or stale.
SSO_NODE := tests/sso/node
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get update -q && apt-get install -y -q --no-install-recommends chromium

$(SSO_NODE)/node_modules/.installed: $(SSO_NODE)/package-lock.json
	command -v npm >/dev/null || (apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm)
	cd $(SSO_NODE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-setup: $(CHROMIUM) $(SSO_NODE)/node_modules/.installed

# LLMRELAY_SSO_SETUP: the setup above ran, so the SSO tests fail (never skip) when a piece is missing
test: $(STAMP) test-setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	LLMRELAY_SSO_SETUP=1 $(BIN)/pytest

# lint-imports: the rooms' layers contract (pyproject.toml); `make test` runs it in tests/test_layers.py
lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

sim: $(STAMP)
	$(BIN)/llmrelay sim

bench: $(STAMP)
	$(BIN)/python -m bench.sdk_overhead

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .grimp_cache \
		.import_linter_cache
