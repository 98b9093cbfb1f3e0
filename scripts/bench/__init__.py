"""The benchmark suite behind scripts/bench.py: models (suite.py), firmware builds and counts
(firmware.py), TFLite Micro arenas (tflm.py) and the table and charts (publish.py)."""
