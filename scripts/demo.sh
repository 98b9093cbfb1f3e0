#!/usr/bin/env bash
# The README's main command: a PyTorch model exported, built for the simulated Uno and STM32, run there, and the
# board's outputs printed beside PyTorch's. Steps live in scripts/demo/run.py (STEPS); pass names to run some.
#   bash scripts/setup.sh && bash scripts/demo.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
exec .venv/bin/python scripts/demo/run.py "$@"
