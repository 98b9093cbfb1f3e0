"""Every example builds as it is and passes its own `pio test` on native and the simulated boards
(slow: `pio`).

Build output goes to build/examples/<name>/ (PLATFORMIO_BUILD_DIR / PLATFORMIO_LIBDEPS_DIR), never
into the example folder. The firmware's own output, run in simavr, is checked too (`pio run -t
upload` on sim_uno).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from hook_support import REPO

pytestmark = pytest.mark.pio

ENVS = ("native", "sim_uno", "sim_stm32", "sim_esp32c3")
# example -> a line its firmware prints on the simulated Uno
EXAMPLES = {
    "quickstart": "point (0.800, -0.600) -> below the diagonal",
    "digits_int8": "8 of 8 correct",
    "gesture_gru": "window 5: circle",
    "sensor_calibration": "mean error after 300 steps: 0.323  (at least halved)",
    "vibration_cnn": "window 4: bearing fault",
    "vibration_forest": "window 2: bearing fault",
}


def _pio(example: str, *args: str, project: str = "") -> subprocess.CompletedProcess:
    out = os.path.join(REPO, "build", "examples", example)
    env = dict(
        os.environ,
        MINIML_ROOT=REPO,  # how every example finds the repository (scripts/env.sh sets it)
        PLATFORMIO_CORE_DIR=os.path.join(REPO, ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PLATFORMIO_BUILD_DIR=os.path.join(out, "build"),
        PLATFORMIO_LIBDEPS_DIR=os.path.join(out, "libdeps"),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    pio = os.path.join(os.path.dirname(sys.executable), "pio")
    return subprocess.run(
        [pio, *args, "-d", project or os.path.join(REPO, "examples", example)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def test_every_example_is_listed():
    found = sorted(
        d
        for d in os.listdir(os.path.join(REPO, "examples"))
        if os.path.isfile(os.path.join(REPO, "examples", d, "platformio.ini"))
    )
    assert found == sorted(EXAMPLES)
    for name in found:
        for f in ("model.py", "src/main.cpp", "test/test_custom_runner.py"):
            assert os.path.isfile(os.path.join(REPO, "examples", name, f)), (name, f)
        ini = open(os.path.join(REPO, "examples", name, "platformio.ini")).read()
        for env in ENVS + ("uno", "esp32dev", "nucleo_f446re"):
            assert f"[env:{env}]" in ini, (name, env)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_builds_runs_and_passes_its_tests(example):
    envs = [arg for e in ENVS for arg in ("-e", e)]
    build = _pio(example, "run", *envs)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-2000:]
    run = _pio(example, "run", "-e", "sim_uno", "-t", "upload")
    assert run.returncode == 0, run.stdout[-3000:]
    assert EXAMPLES[example] in run.stdout.splitlines(), run.stdout[-3000:]
    out = os.path.join(REPO, "build", "examples", example, "result.json")
    test = _pio(example, "test", *envs, "--without-uploading", "--json-output-path", out)
    suites = [s for s in json.load(open(out))["test_suites"] if s["env_name"] in ENVS]
    statuses = {(s["env_name"], c["name"]): c["status"] for s in suites for c in s["test_cases"]}
    assert {env for env, _ in statuses} == set(ENVS), test.stdout[-4000:]
    failed = {k: v for k, v in statuses.items() if v != "PASSED"}
    assert not failed, test.stdout[-4000:]
    assert test.returncode == 0


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_copied_to_another_folder_builds_and_passes_its_tests(example, tmp_path):
    """An example needs nothing at ../.. (was: the library and the platforms were found there)."""
    copy = tmp_path / "somewhere" / "my_project"
    shutil.copytree(os.path.join(REPO, "examples", example), copy,
                    ignore=shutil.ignore_patterns(".pio"))
    assert "../.." not in (copy / "platformio.ini").read_text()
    name = example + "-copy"
    shutil.rmtree(os.path.join(REPO, "build", "examples", name), ignore_errors=True)
    out = tmp_path / "result.json"
    # every example on the host; the quickstart also on the simulated Uno
    envs = ["-e", "native"] + (["-e", "sim_uno"] if example == "quickstart" else [])
    test = _pio(name, "test", *envs, "--json-output-path", str(out), project=str(copy))
    assert test.returncode == 0, test.stdout[-4000:] + test.stderr[-2000:]
    cases = [c for s in json.load(open(out))["test_suites"] for c in s["test_cases"]]
    assert cases and all(c["status"] == "PASSED" for c in cases), test.stdout[-4000:]
