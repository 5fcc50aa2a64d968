# Two commands: `make run` (demo on SQLite; `make run PORT=5001` for another port) and
# `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000

.PHONY: run test lint bench bench-read bench-stats clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/phananh demo
	$(BIN)/phananh serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/phananh config validate config
	$(BIN)/phananh config validate config/examples/pilot-2020
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The read path at scale on PostgreSQL (issue 13): databases bench_read_<N>, dropped afterwards.
SIZES ?= 10000,100000,1000000
bench-read: $(STAMP)
	$(BIN)/python benchmarks/bench_read.py --sizes $(SIZES)

# The figures at scale on PostgreSQL (issue 9): databases bench_stats_<N>, kept for --reuse.
STATS_SIZES ?= 100000,1000000
bench-stats: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py --sizes $(STATS_SIZES) --reuse

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
