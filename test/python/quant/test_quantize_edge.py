"""quantize_s8's float -> int8 edge (quantize_check.cpp): AVR's multiply-by-1/scale path
(detail::quantize_by_reciprocal, which hands values near a rounding step to the division) and AVR's
bit-reading round_to_s8 equal round(x / scale) + zero point, clamped, as TFLM computes it: on the host
under ASan/UBSan and on the Uno's core in simavr, where they run."""

import re
import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"

BUILDS = {
    "host": ["g++", *toolchains.HOST_FLAGS, "-DCASES=3000"],
    "uno": [
        *toolchains.UNO_CHECK,
        "-Os",
        *toolchains.WARN,
        "-DCASES=300",
    ],
}


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_quantize_equals_division(build, tmp_path):
    elf = tmp_path / "quantize_check.elf"
    subprocess.run(
        [*BUILDS[build], f"-I{INCLUDE}", str(HERE / "quantize_check.cpp"), "-o", str(elf)],
        check=True,
    )
    cmd = [str(elf)] if build == "host" else toolchains.simavr_cmd(str(elf), 120)
    run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    out = run.stdout + run.stderr
    found = re.search(
        r"quantize_check: (\d+) cases, (\d+) mismatches, (\d+) near halves, (\d+) codes dequantized", out
    )
    assert found, out[-1000:]
    cases, bad, near, dequantized = (int(g) for g in found.groups())
    assert bad == 0, out[-1000:]
    # the near-half values the fast path must leave to the division are really exercised
    assert cases >= 16400 and near >= cases // 20
    assert dequantized >= 256 * 75  # every code, at CASES / 4 scales
    assert run.returncode == 0, out[-1000:]
