# Developer targets. `make bench`: the benchmark suite (scripts/bench.py) -> build/bench/, docs/benchmarks.md.
PYTHON ?= .venv/bin/python

.PHONY: bench
bench:
	$(PYTHON) scripts/bench.py --docs

# `make fuzz`: the full op-set fuzz (300 random models, float and int8); CI runs 36 of them.
.PHONY: fuzz
fuzz:
	MINIML_FUZZ_MODELS=300 $(PYTHON) -m pytest -q test/python/test_fuzz.py
