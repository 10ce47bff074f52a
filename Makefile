# Two commands on a fresh machine: `make quickstart` runs a real sweep, `make test` runs the tests.
# Each creates .venv and installs the project (with its test and workload extras) when needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.raysweep-installed
# The oldest Ray raysweep supports (SUPPORTED_RAY in src/raysweep/execution/_internals/_versions.py),
# in a second venv inside the first.
OLDEST := $(VENV)/oldest-ray
OLDEST_STAMP := $(OLDEST)/.raysweep-installed
SUPPORTED := src/raysweep/execution/_internals/_versions.py

.PHONY: quickstart test test-fast test-oldest-ray lint typecheck check install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

$(OLDEST_STAMP): pyproject.toml $(SUPPORTED) | $(STAMP)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import runpy; (lo, _) = runpy.run_path('$(SUPPORTED)')['SUPPORTED_RAY']; \
		print('ray==%d.%d.*' % lo)" > $(OLDEST)/constraints.txt
	$(OLDEST)/bin/python -m pip install --quiet -c $(OLDEST)/constraints.txt -e ".[test]"
	touch $(OLDEST_STAMP)

quickstart: $(STAMP)
	$(BIN)/raysweep run quickstart

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The contract of raysweep's adapter of Ray internals first (seconds), then the fast tests that run
# Tune, then the slow ones whose paths rest on Tune's internals or its fault handling (resume, trimming,
# rung records, submit, searchers' pending trials). The other slow tests run on the newest Ray; node
# loss too: Ray 2.50's Tune can hang after a lost node (a known limitation, docs/clusters.md).
OLDEST_SLOW := tests/execution/test_resume.py tests/execution/test_resume_faults.py \
	tests/execution/test_trim.py tests/execution/test_rungs.py \
	tests/execution/test_submit.py tests/execution/test_scale_snapshots.py \
	tests/searchers/test_searchers_ray.py
test-oldest-ray: $(OLDEST_STAMP)
	$(OLDEST)/bin/python -c "import ray; print('oldest supported Ray:', ray.__version__)"
	$(OLDEST)/bin/python -m pytest tests/execution/test_internals_contract.py
	$(OLDEST)/bin/python -m pytest tests/execution tests/searchers tests/warm_start -m "not slow" \
		--deselect tests/execution/test_internals_contract.py
	$(OLDEST)/bin/python -m pytest $(OLDEST_SLOW) -m slow

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck
