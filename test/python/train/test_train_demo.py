"""The sensor calibration demo end to end on the simulated STM32 (QEMU): the error on the new
machine at
least halves after on-device learning and the learned head survives a reboot through save/load;
its second act (scripts/demo_new_class.py) learns a new class."""

import re
import shutil
import subprocess
import sys

import pytest
from train_build import REPO


def _demo_on_stm32(script: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), "--board", "stm32"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "FAIL" not in proc.stdout
    return proc.stdout


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
def test_demo_sensor_on_stm32():
    m = re.search(
        r"factory ([0-9.]+) -> learned ([0-9.]+) .* after reboot \+ load ([0-9.]+)",
        _demo_on_stm32("demo_sensor.py"),
    )
    before, after, restored = map(float, m.groups())
    assert after <= before / 2 and restored == after


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
def test_demo_new_class_on_stm32():
    """Act 2: the new class goes from never predicted to learned; the known classes are kept."""
    out = _demo_on_stm32("demo_new_class.py")
    after = re.search(r"after +idle (\d+)%, running (\d+)%, overload (\d+)%, drift (\d+)%", out)
    assert min(map(int, after.groups()[:3])) >= 85 and int(after.group(4)) >= 80
    assert "drift 0%" in out.split("after")[0]
