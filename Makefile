# Developer targets. `make bench`: the benchmark suite (scripts/bench.py) -> build/bench/, docs/benchmarks.md,
# then the full power-cut sweep. `make powercut`: every cut point of the EEPROM power-cut harness
# (test/python/powercut; CI runs a sample). `make fuzz`: test/python/fuzz at full size (FUZZ_MODELS float and
# as many int8 random models, FUZZ_ARCHIVES mutated .pt2 archives, FUZZ_MACS taps of the AVR float multiply-accumulate
# and FUZZ_REQUANTS int8 requantisations in simavr) -> build/pytest/fuzz-$(FUZZ_MODELS)/summary.txt.
PYTHON ?= .venv/bin/python
FUZZ_MODELS ?= 500
FUZZ_ARCHIVES ?= 600
FUZZ_MACS ?= 4000000
FUZZ_REQUANTS ?= 1000000

.PHONY: bench powercut fuzz
bench:
	$(PYTHON) scripts/bench.py --docs
	$(MAKE) powercut

powercut:
	$(PYTHON) test/python/powercut/powercut_run.py

fuzz:
	rm -f build/pytest/fuzz-$(FUZZ_MODELS)/summary.txt
	PYTHONPATH=platformio_plugin MINIML_FUZZ_MODELS=$(FUZZ_MODELS) MINIML_FUZZ_ARCHIVES=$(FUZZ_ARCHIVES) MINIML_FUZZ_MACS=$(FUZZ_MACS) \
	  MINIML_FUZZ_REQUANTS=$(FUZZ_REQUANTS) \
	  $(PYTHON) -m pytest -q -p no:cacheprovider -p no:logging test/python/fuzz; \
	  status=$$?; cat build/pytest/fuzz-$(FUZZ_MODELS)/summary.txt; exit $$status
