PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-faults test-browser demo run lint bench bench-summary clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q --ignore=tests/faults --ignore=tests/browser $(ARGS)

# Slow fault-injection suites (kill -9, database restarts, 429 storms, fuzzing every door).
test-faults: $(STAMP)
	$(BIN)/python -m pytest -q tests/faults $(ARGS)

# The status page in headless Chromium (Debian's chromium and chromium-driver).
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser $(ARGS)

demo: $(STAMP)
	$(BIN)/casebot demo

run: $(STAMP)
	$(BIN)/casebot $(CMD)

lint: $(STAMP)
	! git grep -nE '^(<<<<<<<|>>>>>>>)( |$$)' -- ':!*.png'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.ack
	$(BIN)/python -m bench.memory

# /case summary 30d and report --cases over a million cases on SQLite and PostgreSQL
# (bulk-loaded; about half an hour): `make bench-summary ARGS="--cases 100000"`.
bench-summary: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.summary $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache
