"""The compiler command lines of every target MiniML is built for, in one place.

Used by the tests (test/python/conftest.py puts this folder on sys.path), scripts/demo_sensor.py and
scripts/bench/. The PlatformIO platform builders (platformio_plugin/platforms/*/builder/main.py)
keep their own copies: they run inside SCons and cannot import this file.

    cxx("avr")                      -> ["avr-g++", "-mmcu=atmega328p", "-Os", "-std=gnu++11"]
    cxx("cortex_m4f", opt="-O2")    -> arm-none-eabi-g++ for a Cortex-M4F (hard float), -O2
    [*BOARDS["stm32"], *STRICT]     -> a semihosted STM32 firmware, as miniml_run.py runs it
    run_cmd(elf, 300)               -> runs any such ELF under its simulator (simavr or QEMU)

Site-specific flags (-flto, -DMINIML_NO_DSP, -x c++, a different -O level) stay at the site.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List, Optional

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RUNNER = os.path.join(REPO, "platformio_plugin", "platforms", "miniml_run.py")

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

# target -> (C++ compiler, architecture flags)
ARCH: Dict[str, List[str]] = {
    "host": ["g++"],
    "avr": ["avr-g++", "-mmcu=atmega328p"],
    "cortex_m4f": [
        "arm-none-eabi-g++",
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16",
    ],
    "rv32imc": ["riscv64-unknown-elf-g++", "-march=rv32imc", "-mabi=ilp32"],
    "lx106": ["xtensa-lx106-elf-g++", "-mlongcalls"],
}
_STD = {"avr": "-std=gnu++11"}  # avr-libc needs the GNU dialect; everything else is plain C++11


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


# QEMU netduinoplus2 (STM32F405) and QEMU virt (rv32imc, standing in for an ESP32-C3)
MEMORY = {
    "stm32": memory(0x08000000, 1048576, 0x20000000, 131072),
    "esp32c3": memory(0x80000000, 4194304, 0x80400000, 524288),
    # the smaller ESP32-C3-sized map (2 MB flash, 400 KB RAM) of the bench and counter firmware
    "esp32c3_small": memory(0x80000000, 0x200000, 0x80200000, 0x64000),
}

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
    """Runs an ATmega328P ELF directly in simavr at 16 MHz, killed by coreutils `timeout`."""
    return ["timeout", "%g" % timeout, "simavr", "-m", "atmega328p", "-f", "16000000", str(elf)]
