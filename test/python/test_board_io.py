"""One board I/O shim: include/miniml/board_io.h. No other committed source drives the AVR UART or
ends a simulated program by itself (our Unity library, plain C, keeps its own output routine)."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OWNER = "include/miniml/board_io.h"
C_UNITY = "platformio_plugin/unity/src/unity.c"


def _sources():
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return [
        f
        for f in out.stdout.split()
        if f.endswith((".h", ".c", ".cpp", ".py", ".ino"))
        and (REPO / f).is_file()
        and f != "test/python/test_board_io.py"
    ]


def test_only_board_io_drives_the_uart():
    writers = [f for f in _sources() if "UDR0" in (REPO / f).read_text(errors="replace")]
    assert sorted(writers) == sorted([OWNER, C_UNITY])


def test_only_board_io_sleeps_to_end_a_program():
    enders = [f for f in _sources() if "sleep_cpu()" in (REPO / f).read_text(errors="replace")]
    assert enders == [OWNER]
