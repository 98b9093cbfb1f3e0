"""End to end without hardware: a firmware on the simulated Uno (simavr, its UART0 at 115200 baud) streams
sensor rows with include/miniml/stream.h; miniml_run.py --pty puts that UART on a pseudo-terminal and
`miniml capture` records it as it would a USB serial port. The CSV must hold exactly the rows the
firmware computed."""
from __future__ import annotations

import subprocess
import sys

import toolchains
from harness import INCLUDE

ROWS = 150
FIRMWARE = r"""
#include "miniml/stream.h"
int main() {
  miniml::io::begin();
  miniml::io::print("MiniML sensor logger\r\n");   // the first line: capture skips it
  miniml::io::print("calibrating...\r\n");         // not a row: counted as malformed
  for (int16_t i = 0; i < %d; i = static_cast<int16_t>(i + 1 == 30000 ? 0 : i + 1)) {
    const int16_t counts[2] = {i, static_cast<int16_t>((i * 37) %% 101 - 50)};
    const float volts = static_cast<float>(i) * 0.125f - 3.0f;  // exact in 3 decimals
    miniml::io::print_int(counts[0]);
    miniml::io::put(',');
    miniml::io::print_int(counts[1]);
    miniml::io::put(',');
    miniml::stream_row(&volts, 1);
  }
  return miniml::io::finish(0);
}
"""


def _expected(i: int) -> str:
    return f"{i},{(i * 37) % 101 - 50},{i * 0.125 - 3.0:.3f},walk"


def _firmware(tmp_path, rows: int) -> str:
    """The logger for the Uno: `rows` rows then the end of the program, or rows forever (rows = 30000)."""
    src = tmp_path / "logger.cpp"
    src.write_text(FIRMWARE % rows)
    elf = tmp_path / "logger.elf"
    subprocess.run([*toolchains.BOARDS["uno"], *toolchains.STRICT, "-DF_CPU=16000000UL", f"-I{INCLUDE}", str(src),
                    "-o", str(elf)], check=True)
    return str(elf)


def _run(tmp_path, elf: str, rows: int):
    """(capture's result, the board's exit status and stderr) for `capture --lines rows` on the board's port."""
    link = tmp_path / "uno-serial"
    board = subprocess.Popen([sys.executable, toolchains.RUNNER, "--timeout", "60", "--pty", str(link), elf],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        cap = subprocess.run([sys.executable, "-m", "miniml", "capture", "--port", str(link), "--baud", "115200",
                              "--wait", "20", "--out", str(tmp_path / "walk.csv"), "--label", "walk", "--columns",
                              "count,delta,volts", "--lines", str(rows)], capture_output=True, text=True, timeout=60)
        board_out, board_err = board.communicate(timeout=60)
    finally:
        board.kill()
    assert board_out == "" and f"[miniml] serial port: {link} -> /dev/pts/" in board_err, board_err
    assert not link.exists()  # the runner removes its link
    return cap, board.returncode, board_err


def test_capture_from_the_simulated_uno(tmp_path):
    elf = _firmware(tmp_path, ROWS)
    cap, code, err = _run(tmp_path, elf, ROWS)
    assert cap.returncode == 0 and code == 0, cap.stderr + err
    out = tmp_path / "walk.csv"
    assert out.read_text().splitlines() == ["count,delta,volts,label"] + [_expected(i) for i in range(ROWS)]
    assert cap.stdout.strip() == (f"wrote {ROWS} rows of 3 values to {out}; 1 malformed lines skipped, first line "
                                  "skipped (may be cut off); stopped by lines")


def test_a_board_streaming_forever_stops_when_capture_is_done(tmp_path):
    elf = _firmware(tmp_path, 30000)
    cap, code, err = _run(tmp_path, elf, 40)
    assert cap.returncode == 0 and code == 0, cap.stderr + err
    assert (tmp_path / "walk.csv").read_text().splitlines()[1:] == [_expected(i) for i in range(40)]
    assert "its reader closed the serial port: run stopped" in err



def test_a_firmware_that_ends_closes_the_port_after_its_last_row(tmp_path):
    elf = _firmware(tmp_path, 30)
    cap, code, err = _run(tmp_path, elf, 50)
    assert code == 0, err
    assert cap.returncode == 1 and "closed after 30 rows" in cap.stderr, cap.stderr
    assert (tmp_path / "walk.csv").read_text().splitlines()[1:] == [_expected(i) for i in range(30)]
