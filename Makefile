# wsgikit — every target sets up what it needs; `make test` is what CI runs.
#
# Another Python, in its own venv:  make test PYTHON=python3.12 VENV=.venv-3.12
# Another address for `make run`:   make run HOST=0.0.0.0 PORT=8000
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8080
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
CLIENTS_VENV ?= .venv-clients
CLIENTS_REQUIREMENTS := tests/integration/openstack_clients/requirements.txt
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed

# What the venv gets: the project's extras and the example packages, one per line so that additions merge.
EXTRAS += test
EXTRAS += servers
EXTRAS += compress
EXTRAS += json
EXTRAS += docs
EXTRAS += dev
EXTRAS += auth
EXTRAS += postgres
EXAMPLES += examples/hello
EXAMPLES += examples/jsonapi
EXAMPLES += examples/compute
EXAMPLES += examples/anywsgi

comma := ,
empty :=
space := $(empty) $(empty)

.PHONY: all run test lint format typecheck docs pytest bench clean venv clients

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel

# Re-install whenever a project file that declares dependencies or entry points changes.
$(STAMP): $(PY) pyproject.toml $(wildcard $(addsuffix /pyproject.toml,$(EXAMPLES)))
	$(PY) -m pip install -q -e '.[$(subst $(space),$(comma),$(strip $(EXTRAS)))]' \
		$(foreach ex,$(wildcard $(EXAMPLES)),-e $(ex))
	touch $(STAMP)

venv: $(STAMP)

# The real OpenStack clients (pinned) for tests/integration/test_openstack_clients.py, in a venv of their own.
$(CLIENTS_STAMP): $(CLIENTS_REQUIREMENTS)
	$(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install -q -U pip
	$(CLIENTS_VENV)/bin/python -m pip install -q -r $(CLIENTS_REQUIREMENTS)
	touch $(CLIENTS_STAMP)

clients: $(CLIENTS_STAMP)

run: $(STAMP)
	@echo 'Serving paste-configs/example.ini on http://$(HOST):$(PORT) (Ctrl-C stops). Try:'
	@sed -n 's/^# try: /    /p' paste-configs/example.ini | sed 's|http://127.0.0.1:8080|http://$(HOST):$(PORT)|'
	$(BIN)/wsgikit serve paste-configs/example.ini --host '$(HOST)' --port '$(PORT)'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy wsgikit

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# Coverage is measured on every run and kept high on purpose (the floor is a guard, not a goal).
# `make pytest COVERAGE=` runs the suite without it (CI does so on the non-primary Pythons).
COVERAGE ?= --cov --cov-report=term --cov-fail-under=90
# Without the clients (no network, outside CI) their tests skip; with CI=true a failed install fails the run.
pytest: $(STAMP)
	@$(MAKE) --no-print-directory clients || [ "$$CI" != true ]
	$(BIN)/pytest $(COVERAGE)

test: lint typecheck docs pytest

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run_all.py

clean:
	rm -rf docs/_build .pytest_cache .mypy_cache .ruff_cache build *.egg-info
