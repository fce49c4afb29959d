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

.PHONY: all run test test-minimal lint format typecheck docs pytest bench soak clean venv clients

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

# The examples are what users copy: they are held to the same strict typing as the package.
typecheck: $(STAMP)
	$(BIN)/mypy wsgikit examples/compute/wsgikit_compute examples/jsonapi/wsgikit_jsonapi \
		examples/hello/wsgikit_hello examples/anywsgi/kitapp

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

# The optional engines (isal, zlib-ng, msgspec, brotli, zstandard) are extras: the tests of the code that
# uses them also run in a venv without them, where the stdlib fallbacks are what they exercise.
MINIMAL := .venv-minimal
test-minimal:
	test -x $(MINIMAL)/bin/python || $(PYTHON) -m venv $(MINIMAL)
	$(MINIMAL)/bin/python -m pip install -q -e '.[test]'
	$(MINIMAL)/bin/python -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ("isal", "zlib_ng", "msgspec", "brotli", "zstandard")))'
	# CI=false: here a missing optional package is the point, so the tests that need one skip rather than fail
	CI=false $(MINIMAL)/bin/pytest -q -p no:cacheprovider tests/middleware/test_gzip.py tests/test_json.py tests/test_dec.py

# The anchors (Paste among them) go into a venv of their own: installed into $(VENV), Paste would change
# what the tests see (`wsgikit check` reports egg:Paste#... lines by whether Paste is installed).
BENCH_VENV := .venv-bench
bench:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[servers,compress,json,bench]'
	$(BENCH_VENV)/bin/python benchmarks/run_all.py

# Minutes of mixed valid and hostile traffic against the compute example under gunicorn; RSS over time in
# benchmarks/results/soak/ (rss.csv, summary.json, rss.png). Not part of `make test` (CI runs 45 s of it).
# Only matplotlib is added to the venv (the bench extra's Paste would change what the tests see).
SOAK_SECONDS ?= 300
soak: $(STAMP)
	$(PY) -m pip install -q 'matplotlib>=3.8'
	$(PY) benchmarks/soak.py --duration $(SOAK_SECONDS) --out benchmarks/results/soak

clean:
	rm -rf docs/_build .pytest_cache .mypy_cache .ruff_cache build *.egg-info $(MINIMAL) $(BENCH_VENV)
