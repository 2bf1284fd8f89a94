PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-faults test-browser demo run lint bench bench-outbox bench-summary bench-adapters clean

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
	$(BIN)/python -m bench.problems_intake
	$(BIN)/python -m bench.detection
	$(BIN)/python -m bench.outbox $(if $(BEFORE),--tree $(BEFORE))
	$(BIN)/python -m bench.ack
	$(BIN)/python -m bench.memory

# Outbox pacing and kill -9 recovery against the stand-in's Slack limits (a few minutes);
# `make bench-outbox BEFORE=/path/to/other/checkout` measures that tree too, side by side.
bench-outbox: $(STAMP)
	$(BIN)/python -m bench.outbox $(if $(BEFORE),--tree $(BEFORE))

# /case summary 30d and report --cases over a million cases on SQLite and PostgreSQL
# (bulk-loaded; about half an hour): `make bench-summary ARGS="--cases 100000"`;
# `ARGS="--keep NAME"` keeps the loaded data for the next run, `--check` compares every
# figure with the reference queries.
bench-summary: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.summary $(ARGS)

# Adapter parse time per post and format, and a failing feed beside a healthy one (~3 min).
bench-adapters: $(STAMP)
	$(BIN)/python -m bench.adapters $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache
