#!/usr/bin/env python3
"""Runs a firmware ELF in the simulator of its architecture, under coreutils `timeout`; stdlib only.

Usage: miniml_run.py [--timeout SECONDS] [--mcu atmega328p] [--frequency 16000000] [--idle-ms MS] [--limit-ms MS]
                     [--machine M] firmware.elf
  AVR     -> libsimavr (miniml-simavr/host/simavr_run.c, compiled next to the ELF on first use): UART0 text on
             stdout; --idle-ms stops after that much simulated time without serial output and --limit-ms at that
             simulated time, both with status 0 (an Arduino sketch's loop() never returns)
  ARM     -> qemu-system-arm -M netduinoplus2 with semihosting (text on stdout; the firmware's exit code is ours)
  RISC-V  -> qemu-system-riscv32 -M virt -bios none with semihosting (likewise)
  host    -> the program itself
Exit status: the firmware's; 0 when an AVR run was stopped by --idle-ms or --limit-ms (it says which); 3 if an AVR
firmware crashed in simavr; 124 if it ran out of (wall-clock) time. Used by the simulated platforms' `upload` target and
by `test_testing_command` in platformio.ini.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile

ELF_MACHINES = {83: "avr", 40: "arm", 243: "riscv", 62: "host", 3: "host", 183: "host", 94: "xtensa"}
AVR_HOST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "miniml-simavr", "host")


def elf_arch(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        raise SystemExit("[miniml] %s is not an ELF file" % path)
    machine = struct.unpack("<H", head[18:20])[0]
    if machine not in ELF_MACHINES:
        raise SystemExit("[miniml] no simulator for ELF machine %d (%s)" % (machine, path))
    return ELF_MACHINES[machine]


def simavr_runner(elf: str) -> str:
    """simavr_run, compiled (host gcc + libsimavr) next to the ELF when missing or older than its source."""
    exe = os.path.join(os.path.dirname(os.path.abspath(elf)), "miniml_simavr_run")
    sources = [os.path.join(AVR_HOST, f) for f in ("simavr_run.c", "simavr_host.h")]
    if os.path.isfile(exe) and all(os.path.getmtime(exe) >= os.path.getmtime(s) for s in sources):
        return exe
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(exe), prefix=".miniml_simavr_run.")
    os.close(fd)
    cmd = ["gcc", "-O2", "-I/usr/include/simavr", "-o", tmp, sources[0], "-lsimavr", "-lelf"]
    if subprocess.call(cmd) != 0:
        os.unlink(tmp)
        raise SystemExit("[miniml] cannot build the simavr runner (%s): run `bash scripts/setup.sh` "
                         "(libsimavr-dev, libelf-dev)" % " ".join(cmd))
    os.replace(tmp, exe)  # atomic: a parallel run sees the old file or the new one
    return exe


def simulator_command(args: argparse.Namespace, arch: str) -> list[str]:
    if arch == "avr":
        return [simavr_runner(args.elf), "-m", args.mcu, "-f", str(args.frequency),
                "-i", str(args.idle_ms), "-t", str(args.limit_ms), args.elf]
    if arch == "arm":
        return ["qemu-system-arm", "-M", args.machine or "netduinoplus2", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "riscv":
        return ["qemu-system-riscv32", "-M", args.machine or "virt", "-bios", "none", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "host":
        return [args.elf]
    raise SystemExit("[miniml] running %s firmware is not supported; it is only compiled and linked" % arch)


def main() -> int:
    ap = argparse.ArgumentParser(description="Run a firmware ELF in its simulator.")
    ap.add_argument("elf")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before the run is killed")
    ap.add_argument("--mcu", default="atmega328p")
    ap.add_argument("--frequency", type=int, default=16000000)
    ap.add_argument("--idle-ms", type=int, default=0,
                    help="AVR: stop (status 0) after this many ms of simulated time without serial output; 0: off")
    ap.add_argument("--limit-ms", type=int, default=0,
                    help="AVR: stop (status 0) at this simulated time in ms; 0: off")
    ap.add_argument("--machine", default=None, help="QEMU machine (default netduinoplus2 / virt)")
    args = ap.parse_args()
    arch = elf_arch(args.elf)
    cmd = ["timeout", "--kill-after=5", "%g" % args.timeout] + simulator_command(args, arch)
    # QEMU writes semihosting text on stderr: one stream, in order, for PlatformIO and scripts alike. The AVR
    # runner prints the firmware's text on stdout and its own notes (stop rule, crash) on stderr.
    sys.stdout.flush()
    code = subprocess.call(cmd, stdin=subprocess.DEVNULL, stderr=None if arch == "avr" else subprocess.STDOUT)
    if code == 124:
        sys.stderr.write("[miniml] %s: no exit after %g s (killed)\n" % (args.elf, args.timeout))
    return code


if __name__ == "__main__":
    sys.exit(main())
