#!/usr/bin/env bash
# One-step, idempotent set-up on Debian 12 as root: toolchains, simulators, the Python venv and an offline
# PlatformIO core in .pio-core/. A second run only checks and returns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

apt_packages=(gcc-avr avr-libc binutils-avr simavr libsimavr-dev libelf-dev
  gcc-arm-none-eabi picolibc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
  gcc-xtensa-lx106 binutils-xtensa-lx106 picolibc-xtensa-lx106-elf
  arduino-core-avr arduino-builder
  g++ make python3-venv clang-format)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[miniml] installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py=${MINIML_PYTHON:-python3}
stamp=.venv/.miniml-requirements
if [ ! -x .venv/bin/python ] || ! cmp -s requirements-dev.txt "$stamp"; then
  echo "[miniml] creating .venv"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/pip install -q -r requirements-dev.txt
  .venv/bin/pip install -q --no-deps -e .
  cp requirements-dev.txt "$stamp"
fi

.venv/bin/python scripts/offline_platformio.py
# Cycle/instruction counters for the simulated boards (rebuilt only when their sources change).
bash scripts/counters/build.sh
echo "[miniml] set-up done"
