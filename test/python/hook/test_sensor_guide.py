"""docs/sensor_to_board.md runs as written: every file it shows (a code block after a `guide-file: PATH`
comment) is written under a fresh folder, every `sh` block runs there in order (in one shell session's
working directory), and every line of a `text` block must appear in the output of the `sh` block before
it. Offline: the simulated Uno (simavr), the build hook, torch on the CPU."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
from hook_support import REPO, pio_env

pytestmark = pytest.mark.pio

GUIDE = os.path.join(REPO, "docs", "sensor_to_board.md")
BLOCK = re.compile(r"(?:<!-- guide-file: (\S+) -->\n)?```(\w+)\n(.*?)```", re.S)


def _blocks():
    with open(GUIDE, encoding="utf-8") as f:
        return [(path, lang, body) for path, lang, body in BLOCK.findall(f.read())]


def test_every_guide_file_block_is_a_file_or_a_command():
    blocks = _blocks()
    assert [p for p, _, _ in blocks if p] == ["motion/include/imu_sim.h", "motion/src/logger.cpp",
                                              "motion/platformio.ini", "motion/train.py", "motion/src/classify.cpp"]
    assert {lang for p, lang, _ in blocks if not p} == {"sh", "text"}


def test_the_guide_runs_as_written(tmp_path):
    env = pio_env()
    cwd = str(tmp_path)
    output = ""
    for path, lang, body in _blocks():
        if path:
            target = tmp_path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
        elif lang == "sh":
            where = tmp_path / ".cwd"
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", f"{body}\npwd > {where}"], cwd=cwd, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
            output = done.stdout + done.stderr
            assert done.returncode == 0, f"{body}\n---\n{output[-4000:]}"
            cwd = where.read_text().strip()
        else:
            for line in body.splitlines():
                assert line in output.splitlines(), f"{line!r} not in the output of the block before:\n{output[-4000:]}"
