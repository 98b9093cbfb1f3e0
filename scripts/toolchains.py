"""The compiler command lines of every target MiniML is built for, in one place.

Used by the tests (test/python/conftest.py puts this folder on sys.path), scripts/demo_sensor.py and
scripts/bench/. The PlatformIO platform builders (platformio_plugin/platforms/*/builder/main.py)
keep their own flag lists: they run inside SCons and cannot import this file. Both read the boards'
CPU, memory map, limits and simulator from the one board table, the boards' JSON files.

    cxx("avr")                      -> ["avr-g++", "-mmcu=atmega328p", "-Os", "-std=gnu++11"]
    cxx("cortex_m4f", opt="-O2")    -> arm-none-eabi-g++ for a Cortex-M4F (hard float), -O2
    [*BOARDS["stm32"], *STRICT]     -> a semihosted STM32 firmware, as miniml_run.py runs it
    run_cmd(elf, 300)               -> runs any such ELF under its simulator (simavr or QEMU)

Site-specific flags (-flto, -DMINIML_NO_DSP, -x c++, a different -O level) stay at the site.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PLATFORMS = os.path.join(REPO, "platformio_plugin", "platforms")
RUNNER = os.path.join(PLATFORMS, "miniml_run.py")

# The library's warning contract: no warning, no double, no silent float narrowing.
WARN = ["-Wall", "-Wextra", "-Werror", "-Wdouble-promotion", "-Wfloat-conversion"]
# ... plus bit-exact float math (no fused multiply-add), as every comparison with torch needs.
STRICT = [*WARN, "-ffp-contract=off"]
# ASan + UBSan; float-cast-overflow is not part of GCC's "undefined" set (a NaN or out-of-range float
# converted to an integer is UB that the int8 edges must never reach)
SANITIZE = ["-fsanitize=address,undefined,float-cast-overflow", "-fno-sanitize-recover=all"]
# clang only (not installed here): implicit conversions and unsigned wrap-around too; the CRC and
# hash code wraps on purpose, so use it to audit, with suppressions, not as the test default
CLANG_SANITIZE = [*SANITIZE, "-fsanitize=integer"]
# host test builds: debug info, ASan + UBSan that abort on the first report, the strict set
HOST_FLAGS = ["-std=c++11", "-O1", "-g", *SANITIZE, *STRICT]
NO_EH = ["-fno-exceptions", "-fno-rtti"]
PICOLIBC_SEMIHOST = ["--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost"]

def board(name: str) -> Dict:
    """A simulated board's JSON (platformio_plugin/platforms/*/boards/<name>.json): the one board
    table. Its upload.maximum_size / maximum_ram_size and build.*_origin are the memory map."""
    found = glob.glob(os.path.join(PLATFORMS, "*", "boards", name + ".json"))
    if len(found) != 1:
        raise KeyError("no simulated board %r under %s" % (name, PLATFORMS))
    with open(found[0], encoding="utf-8") as f:
        return json.load(f)


_UNO, _STM32, _ESP32C3 = (board(n) for n in ("miniml_uno", "miniml_stm32f405", "miniml_esp32c3"))

# target -> (C++ compiler, architecture flags); the simulated boards' CPU comes from their JSON
ARCH: Dict[str, List[str]] = {
    "host": ["g++"],
    "avr": ["avr-g++", "-mmcu=" + _UNO["build"]["mcu"]],
    "cortex_m4f": [
        "arm-none-eabi-g++",
        "-mcpu=" + _STM32["build"]["cpu"],
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=" + _STM32["build"]["fpu"],
    ],
    "rv32imc": [
        "riscv64-unknown-elf-g++",
        "-march=" + _ESP32C3["build"]["march"],
        "-mabi=" + _ESP32C3["build"]["mabi"],
    ],
    "lx106": ["xtensa-lx106-elf-g++", "-mlongcalls"],
}
_STD = {"avr": "-std=gnu++11"}  # avr-libc needs the GNU dialect; everything else is plain C++11
# the start of a standalone check program's build for the simulated Uno: its MCU, clock and dialect
UNO_CHECK = [*ARCH["avr"], "-DF_CPU=%sUL" % _UNO["build"]["f_cpu"].rstrip("L"), _STD["avr"]]


def cxx(target: str, opt: str = "-Os", std: Optional[str] = None, cc: Optional[str] = None) -> List[str]:
    """Compiler, architecture flags, optimisation level and language standard for `target`.
    `cc` replaces the compiler (e.g. the gcc driver, to link without libstdc++)."""
    compiler, *arch = ARCH[target]
    return [cc or compiler, *arch, opt, std or _STD.get(target, "-std=c++11")]


def memory(flash: int, flash_size: int, ram: int, ram_size: int) -> str:
    """The picolibc linker-script symbols that place flash and RAM for a QEMU machine."""
    return (
        f"-Wl,--defsym=__flash={flash:#010x},--defsym=__flash_size={flash_size},"
        f"--defsym=__ram={ram:#010x},--defsym=__ram_size={ram_size}"
    )


def board_memory(name: str) -> str:
    """The linker map of a simulated QEMU board, from its board JSON (as its builder links it)."""
    b = board(name)
    return memory(
        int(b["build"]["flash_origin"], 16),
        int(b["upload"]["maximum_size"]),
        int(b["build"]["ram_origin"], 16),
        int(b["upload"]["maximum_ram_size"]),
    )


# target -> its simulated board (the bench and the tests name targets, the JSON names boards)
BOARD_NAMES = {"uno": "miniml_uno", "stm32": "miniml_stm32f405", "esp32c3": "miniml_esp32c3"}


def limits(target: str) -> Tuple[int, int]:
    """(flash bytes, RAM bytes) of a target's simulated board, from its board JSON."""
    upload = board(BOARD_NAMES[target])["upload"]
    return int(upload["maximum_size"]), int(upload["maximum_ram_size"])


# QEMU netduinoplus2 (STM32F405) and QEMU virt (rv32imc, standing in for an ESP32-C3)
MEMORY = {"stm32": board_memory("miniml_stm32f405"), "esp32c3": board_memory("miniml_esp32c3")}

# board -> the whole command prefix of a simulated firmware (compile + link) that run_cmd can run
BOARDS: Dict[str, List[str]] = {
    "uno": [*cxx("avr"), "-fno-exceptions", "-fno-threadsafe-statics"],
    "stm32": [
        *cxx("cortex_m4f"),
        *NO_EH,
        "-fno-threadsafe-statics",
        *PICOLIBC_SEMIHOST,
        MEMORY["stm32"],
    ],
    "esp32c3": [*cxx("rv32imc"), *NO_EH, *PICOLIBC_SEMIHOST, MEMORY["esp32c3"]],
}


def run_cmd(elf: str, timeout: float) -> List[str]:
    """Runs a simulated-board ELF (simavr for AVR, QEMU semihosting for ARM/RISC-V) through
    platforms/miniml_run.py, which kills it after `timeout` seconds. QEMU writes the program's
    output to stderr, the simavr runner to stdout."""
    return [sys.executable, RUNNER, "--timeout", "%g" % timeout, str(elf)]


def simavr_cmd(elf: str, timeout: float) -> List[str]:
    """Runs an ATmega328P ELF directly in simavr at 16 MHz (the Uno's JSON), killed by coreutils
    `timeout`."""
    sim = _UNO["simulator"]
    return ["timeout", "%g" % timeout, "simavr", "-m", sim["mcu"], "-f", str(sim["frequency"]), str(elf)]


def check_result(cmd: List[str], timeout: Optional[float] = None) -> Tuple[List[int], str]:
    """Runs a check program and reads the counts it prints as "RESULT n n ... END": (the counts, or []
    when the line is missing, and the whole output for the assertion message)."""
    run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    out = run.stdout + run.stderr
    found = re.search(r"RESULT ([\d ]+) END", out)
    return ([int(v) for v in found.group(1).split()] if found else []), out


def simavr_result(elf: str, timeout: float) -> Tuple[List[int], str]:
    """check_result of an ATmega ELF in simavr (simavr_cmd)."""
    return check_result(simavr_cmd(elf, timeout))


def broken_include(into: str, header: str, old: str, new: str) -> str:
    """A copy of include/ under `into` with `old` (once in include/miniml/<header>, asserted) replaced by `new`:
    the headers a check must fail, for the tests that show a check catches a deliberately broken kernel. Returns
    the copy's include directory."""
    include = os.path.join(into, "include")
    shutil.copytree(os.path.join(REPO, "include"), include)
    path = os.path.join(include, "miniml", header)
    with open(path) as f:
        text = f.read()
    assert text.count(old) == 1, "%r is not once in %s" % (old, header)
    with open(path, "w") as f:
        f.write(text.replace(old, new))
    return include
