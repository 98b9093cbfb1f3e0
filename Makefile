# Developer targets. `make bench`: the benchmark suite (scripts/bench.py) -> build/bench/, docs/benchmarks.md,
# then the full power-cut sweep. `make powercut`: every cut point of the EEPROM power-cut harness
# (test/python/powercut; CI runs a sample).
PYTHON ?= .venv/bin/python

.PHONY: bench powercut
bench:
	$(PYTHON) scripts/bench.py --docs
	$(MAKE) powercut

powercut:
	$(PYTHON) test/python/powercut/powercut_run.py
