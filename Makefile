# make run: install, fetch models, build the index, save the model's reading of each passage, start the app.  make test: the same set-up, then every test.
# make check: the fast loop, unit tests with stand-in models only (no model, index or browser), under a minute
# once the llama.cpp binding is built (its stand-ins patch the binding itself).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export BOT_CACHE_DIR ?= $(HOME)/.cache/ia-sante-bot
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run setup test check deps llama models index prefixes browser

run: setup
	$(BIN)/python -m bot serve

setup: deps llama models index prefixes

deps: $(VENV)/.deps-installed

$(VENV)/.deps-installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python dependencies into $(VENV) (torch CPU build first)"
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

llama: deps
	@bash scripts/install_llama.sh $(BIN)/python

models: deps
	@$(BIN)/python -m bot models

index: models
	@$(BIN)/python -m bot index --if-stale

prefixes: llama index
	@$(BIN)/python -m bot prefixes

browser:
	@bash scripts/ensure_chromium.sh

test: setup browser
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -ra

check: deps llama
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q -m "not integration and not browser and not slow"
