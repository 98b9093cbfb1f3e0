"""An Arduino sketch (framework = arduino, Debian's core, `Serial`) on the simulated Uno streams rows with
miniml::stream_row(Serial, ...) (stream.h's Arduino `Print` path); `pio run -t upload` with
board_simulator.pty serves its UART on a pseudo-terminal and `miniml capture` records them: the rows
the sketch computed, to its 2 decimals."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hook_support import pio_env

pytestmark = pytest.mark.pio

SKETCH = r"""
#include <Arduino.h>
#include "miniml/stream.h"

static int16_t g_i = 0;
void setup() {
  Serial.begin(115200);
  Serial.println("arduino logger");
}
void loop() {
  const float v[2] = {g_i * 0.5f, g_i * -0.25f};
  miniml::stream_row(Serial, v, 2, 2);
  ++g_i;
}
"""


def test_arduino_sketch_streams_into_capture(tmp_path):
    link = tmp_path / "uno-serial"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.cpp").write_text(SKETCH)
    (tmp_path / "platformio.ini").write_text(f"""[env:sim_uno]
platform = symlink://${{sysenv.MINIML_ROOT}}/platformio_plugin/platforms/miniml-simavr
board = miniml_uno
framework = arduino
lib_deps = symlink://${{sysenv.MINIML_ROOT}}
board_simulator.pty = {link}
""")
    env = pio_env()
    build = subprocess.run(["pio", "run", "-d", str(tmp_path)], env=env, capture_output=True, text=True,
                           timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-2000:]
    board = subprocess.Popen(["pio", "run", "-d", str(tmp_path), "-t", "upload"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    out = tmp_path / "rows.csv"
    try:
        cap = subprocess.run([sys.executable, "-m", "miniml", "capture", "--port", str(link), "--wait", "300",
                              "--lines", "60", "--out", str(out)], capture_output=True, text=True, timeout=600)
        log, _ = board.communicate(timeout=120)
    finally:
        board.kill()
    assert cap.returncode == 0, cap.stderr
    assert board.returncode == 0 and "its reader closed the serial port: run stopped" in log, log[-3000:]
    assert out.read_text().splitlines() == [f"{i * 0.5:.2f},{i * -0.25 + 0.0:.2f}" for i in range(60)]  # no -0.00
    assert "0 malformed lines skipped" in cap.stdout
