"""The README's offline platformio.ini works as written: a fresh project with that env, the README's
model path, the custom runner copied by the documented command, `pio test` on the simulated Uno."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hook_support import REPO, save_mlp_pt2

pytestmark = pytest.mark.pio
ROOT = Path(REPO)
TEST_MAIN = """#include <unity.h>
#include "miniml/testing.h"
#include "sensor.h"
static sensor::Model model;
void setUp() {}
void tearDown() {}
void test_golden() { MINIML_CHECK_GOLDEN(sensor, model); }
int main() { UNITY_BEGIN(); RUN_TEST(test_golden); return UNITY_END(); }
"""


def _offline_ini() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- offline-ini:[^\n]*\n\s*```ini\n(.*?)```", readme, re.S).group(1)
    return (
        "\n".join(line[3:] if line.startswith("   ") else line for line in block.splitlines())
        + "\n"
    )


def test_readme_offline_env_builds_and_tests(tmp_path):
    proj = tmp_path / "sensor_project"
    (proj / "src").mkdir(parents=True)
    (proj / "platformio.ini").write_text(_offline_ini())
    save_mlp_pt2(str(proj / "model" / "sensor.pt2"), in_features=16, hidden=8, out_features=4)
    (proj / "src" / "main.cpp").write_text('#include "sensor.h"\nint main() { return 0; }\n')
    (proj / "test" / "test_sensor").mkdir(parents=True)
    (proj / "test" / "test_sensor" / "test_main.cpp").write_text(TEST_MAIN)
    env = dict(
        os.environ,
        MINIML_ROOT=REPO,
        PLATFORMIO_CORE_DIR=str(ROOT / ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "copy_runner.py"), str(proj)], check=True, env=env
    )
    out = tmp_path / "result.json"
    done = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "pio"),
            "test",
            "-d",
            str(proj),
            "-e",
            "sim_uno",
            "--without-uploading",
            "--json-output-path",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    cases = [c for s in json.loads(out.read_text())["test_suites"] for c in s["test_cases"]]
    assert [c["status"] for c in cases] == ["PASSED"], done.stdout[-3000:]
