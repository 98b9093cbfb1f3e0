# Developer targets. `make bench`: the benchmark suite (scripts/bench.py) -> build/bench/, docs/benchmarks.md.
PYTHON ?= .venv/bin/python

.PHONY: bench
bench:
	$(PYTHON) scripts/bench.py --docs
