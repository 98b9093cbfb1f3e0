"""The sensor calibration demo end to end on the simulated STM32 (QEMU): the error on the new
machine at
least halves after on-device learning and the learned head survives a reboot through save/load."""

import re
import shutil
import subprocess
import sys

import pytest
from train_build import REPO


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
def test_demo_sensor_on_stm32():
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo_sensor.py"), "--board", "stm32"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    m = re.search(
        r"factory ([0-9.]+) -> learned ([0-9.]+) .* after reboot \+ load ([0-9.]+)", proc.stdout
    )
    before, after, restored = map(float, m.groups())
    assert after <= before / 2 and restored == after
    assert "FAIL" not in proc.stdout
