#!/usr/bin/env bash
# Builds the counters into build/counters/: simavr_cycles (AVR cycles: the simulated Uno's runner,
# platformio_plugin/platforms/miniml-simavr/host/simavr_run.c, run with -r) and libqemu_icount.so (QEMU TCG plugin,
# instruction counts), and simavr_profile (where an AVR region's cycles go: profile_avr.py). Rebuilds only what changed. Usage: bash scripts/counters/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../build/counters"
mkdir -p "$out"
avr_host="$here/../../platformio_plugin/platforms/miniml-simavr/host"
if [ ! "$out/simavr_cycles" -nt "$avr_host/simavr_run.c" ] || [ ! "$out/simavr_cycles" -nt "$avr_host/simavr_host.h" ]; then
  gcc -O2 -Wall -Wextra -I/usr/include/simavr -o "$out/simavr_cycles" "$avr_host/simavr_run.c" -lsimavr -lelf
fi
if [ ! "$out/simavr_profile" -nt "$here/simavr_profile.c" ] || [ ! "$out/simavr_profile" -nt "$avr_host/simavr_host.h" ]; then
  gcc -O2 -Wall -Wextra -I/usr/include/simavr -I"$avr_host" -o "$out/simavr_profile" "$here/simavr_profile.c" -lsimavr -lelf
fi
if [ ! "$out/libqemu_icount.so" -nt "$here/qemu_icount.c" ]; then
  gcc -O2 -Wall -Wextra -shared -fPIC -o "$out/libqemu_icount.so" "$here/qemu_icount.c"
fi
