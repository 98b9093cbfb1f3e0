"""End to end through PlatformIO (slow, marked `pio`): a fresh user project in a temp folder with
`lib_deps = symlink://<repo>` and a generated .pt2 builds with `pio run` and passes `pio test`
(golden vectors: the board computes what PyTorch computed) on native and on each simulated board.

Also: an unchanged second `pio run` does not re-export, a changed model does, and one model header
included from two .cpp files links. Needs the offline PlatformIO core of
scripts/offline_platformio.py (.pio- core).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from hook_support import REPO, UNO_RAM, save_mlp_pt2

pytestmark = pytest.mark.pio

CORE = os.path.join(REPO, ".pio-core")
PIO = os.path.join(os.path.dirname(sys.executable), "pio")
SIM_ENVS = ("sim_uno", "sim_stm32", "sim_esp32c3")

PLATFORMIO_INI = """\
[env]
lib_deps = symlink://{repo}
custom_miniml_model = {models}
custom_miniml_golden = 3
custom_miniml_python = {python}
{extra}
test_framework = custom
build_flags = -Wall -Wextra -Werror -Wdouble-promotion -Wfloat-conversion

[sim]
lib_deps =
  ${{env.lib_deps}}
  symlink://{repo}/platformio_plugin/unity
run =
  timeout
  600
  {repo}/platformio_plugin/platforms/miniml_run.py
  --timeout
  300

[env:native]
platform = symlink://{repo}/platformio_plugin/platforms/miniml-native
lib_deps = ${{sim.lib_deps}}
test_testing_command =
  timeout
  300
  ${{platformio.build_dir}}/${{this.__env__}}/program

[env:sim_uno]
platform = symlink://{repo}/platformio_plugin/platforms/miniml-simavr
board = miniml_uno
lib_deps = ${{sim.lib_deps}}
test_testing_command =
  ${{sim.run}}
  ${{platformio.build_dir}}/${{this.__env__}}/firmware.elf

[env:sim_stm32]
platform = symlink://{repo}/platformio_plugin/platforms/miniml-qemu-arm
board = miniml_stm32f405
lib_deps = ${{sim.lib_deps}}
test_testing_command =
  ${{sim.run}}
  ${{platformio.build_dir}}/${{this.__env__}}/firmware.elf

[env:sim_esp32c3]
platform = symlink://{repo}/platformio_plugin/platforms/miniml-qemu-riscv
board = miniml_esp32c3
lib_deps = ${{sim.lib_deps}}
test_testing_command =
  ${{sim.run}}
  ${{platformio.build_dir}}/${{this.__env__}}/firmware.elf
"""

# An Arduino-style sketch split over two files, both including the generated header (ODR: must
# link).
MAIN_CPP = """\
#include "mlp.h"
float other_file_predict(const float* input);
static mlp::Model model;
volatile float sink;
int main() {
  float input[mlp::kInputSize] = {0.5f, -1.0f, 0.25f, 2.0f};
  float output[mlp::kOutputSize];
  model.predict(input, output);
  sink = output[0] + other_file_predict(input);
  return 0;
}
"""
OTHER_CPP = """\
#include "mlp.h"
static mlp::Model other_model;
float other_file_predict(const float* input) {
  float output[mlp::kOutputSize];
  other_model.predict(input, output);
  return output[1];
}
"""
TEST_CPP = """\
#include <unity.h>
#include "mlp.h"
#include "miniml/testing.h"

static mlp::Model model;
void test_mlp_matches_pytorch() {{ MINIML_CHECK_GOLDEN(mlp, model); }}
{extra_tests}
int main() {{
  UNITY_BEGIN();
  RUN_TEST(test_mlp_matches_pytorch);
  {extra_runs}
  return UNITY_END();
}}
"""


def _pio_ready() -> bool:
    return os.path.isfile(
        os.path.join(CORE, "packages", "tool-scons", "scons.py")
    ) and os.path.isfile(PIO)


def _pio(project: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PLATFORMIO_CORE_DIR=CORE,
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="3650",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    return subprocess.run(
        [PIO, *args, "-d", project],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def _make_project(root, models="model/mlp.pt2", extra="") -> str:
    project = str(root / "project")
    os.makedirs(os.path.join(project, "src"))
    os.makedirs(os.path.join(project, "test", "test_golden"))
    save_mlp_pt2(os.path.join(project, "model", "mlp.pt2"))
    with open(os.path.join(project, "platformio.ini"), "w") as f:
        f.write(PLATFORMIO_INI.format(repo=REPO, models=models, python=sys.executable, extra=extra))
    with open(os.path.join(project, "src", "main.cpp"), "w") as f:
        f.write(MAIN_CPP)
    with open(os.path.join(project, "src", "other.cpp"), "w") as f:
        f.write(OTHER_CPP)
    with open(os.path.join(project, "test", "test_golden", "test_main.cpp"), "w") as f:
        f.write(TEST_CPP.format(extra_tests="", extra_runs=""))
    shutil.copy(os.path.join(REPO, "test", "test_custom_runner.py"), os.path.join(project, "test"))
    return project


def _miniml_lines(proc: subprocess.CompletedProcess):
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("[miniml] ")]


@pytest.fixture(scope="module")
def project(tmp_path_factory, request):
    if not _pio_ready():
        pytest.skip(
            "offline PlatformIO core missing: run scripts/setup.sh (scripts/offline_platformio.py)"
        )
    return _make_project(tmp_path_factory.mktemp("pio"))


def test_pio_run_exports_once_and_links_two_files(project):
    proc = _pio(project, "run", "-e", "native", "-e", "sim_uno")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = _miniml_lines(proc)
    # One export for both envs (same model, same options): the second env reuses it ("shared");
    # each env prints the table and, on a board, the fit.
    assert sum("exporting model/mlp.pt2 -> mlp.h" in ln for ln in lines) == 1, lines
    assert any(ln.startswith("[miniml] mlp ") and ln.endswith("shared") for ln in lines), lines
    report = json.load(
        open(os.path.join(project, ".pio", "build", "sim_uno", "miniml", "mlp.report.json"))
    )
    row = next(ln for ln in lines if ln.startswith("[miniml] mlp ") and "exported" in ln)
    assert row.split()[2:4] == [f"{report['flash_bytes']:,}", f"{report['ram_bytes']:,}"]
    assert any(
        f"[miniml] board miniml_uno: models use {report['ram_bytes']} of {UNO_RAM} B RAM" in ln
        for ln in lines
    )
    assert os.path.isfile(os.path.join(project, ".pio", "build", "sim_uno", "firmware.elf"))

    again = _pio(project, "run", "-e", "sim_uno")
    assert again.returncode == 0, again.stdout[-3000:]
    assert not any("exporting" in ln for ln in _miniml_lines(again)), _miniml_lines(again)
    assert any(
        ln.startswith("[miniml] mlp ") and ln.endswith("up to date") for ln in _miniml_lines(again)
    )

    save_mlp_pt2(os.path.join(project, "model", "mlp.pt2"), seed=1)  # the user retrains the model
    changed = _pio(project, "run", "-e", "sim_uno")
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert sum("exporting model/mlp.pt2" in ln for ln in _miniml_lines(changed)) == 1


def test_pio_run_fails_when_the_model_does_not_fit_the_uno(tmp_path, project):
    """Through real SCons: the hook stops the build with the numbers (600 hidden floats > 2 KB)."""
    root = _make_project(tmp_path, models="model/wide.pt2")
    save_mlp_pt2(os.path.join(root, "model", "wide.pt2"), in_features=4, hidden=600, out_features=2)
    proc = _pio(root, "run", "-e", "sim_uno")
    assert proc.returncode != 0
    report = json.load(
        open(os.path.join(root, ".pio", "build", "sim_uno", "miniml", "wide.report.json"))
    )
    want = (
        f"[miniml] error: model needs {report['ram_bytes']} B RAM, board has {UNO_RAM} B (miniml_uno): "
    )
    assert any(ln.startswith(want) for ln in proc.stderr.splitlines()), proc.stderr[-2000:]
    assert not os.path.exists(os.path.join(root, ".pio", "build", "sim_uno", "firmware.elf"))


def test_ide_metadata_sees_the_headers(project):
    """IDEs read `pio project metadata`: valid JSON, with the hook's folder on the include path."""
    proc = _pio(project, "project", "metadata", "-e", "sim_uno", "--json-output")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    out = os.path.join(project, ".pio", "build", "sim_uno", "miniml")
    assert out in data["sim_uno"]["includes"]["build"]


@pytest.mark.parametrize("env_name", ("native",) + SIM_ENVS)
def test_pio_test_golden_passes_on_board(project, env_name):
    proc = _pio(
        project,
        "test",
        "-e",
        env_name,
        "--without-uploading",
        "--json-output-path",
        os.path.join(project, f"result_{env_name}.json"),
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    result = json.load(open(os.path.join(project, f"result_{env_name}.json")))
    cases = [c for suite in result["test_suites"] for c in suite["test_cases"]]
    assert [(c["name"], c["status"]) for c in cases] == [("test_mlp_matches_pytorch", "PASSED")]


LEARN_TEST = """
void test_learning_matches_pytorch_sgd() { MINIML_CHECK_LEARN_GOLDEN(mlp, model); }

void test_learning_lowers_the_loss() {
  model.reset();
  const float input[mlp::kInputSize] = {0.5f, -1.0f, 0.25f, 2.0f};
  const float target[mlp::kOutputSize] = {1.0f, 0.0f, -1.0f};
  const float first = model.learn(input, target);
  float last = first;
  for (int i = 0; i < 20; ++i) last = model.learn(input, target);
  TEST_ASSERT_TRUE(first > 0.0f);
  TEST_ASSERT_TRUE(last < 0.5f * first);
}
"""

KINDS = {
    # kind: (extra platformio.ini options, extra test code, extra RUN_TEST lines, expected test
    # names)
    "int8": (
        "custom_miniml_quantize = int8\ncustom_miniml_calibration = model/calibration.npy",
        "",
        "",
        ["test_mlp_matches_pytorch"],
    ),
    "learning": (
        "custom_miniml_on_device_learning = yes\ncustom_miniml_loss = mse\n"
        "custom_miniml_learning_rate = 0.05",
        LEARN_TEST,
        "RUN_TEST(test_learning_matches_pytorch_sgd); RUN_TEST(test_learning_lowers_the_loss);",
        [
            "test_mlp_matches_pytorch",
            "test_learning_matches_pytorch_sgd",
            "test_learning_lowers_the_loss",
        ],
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pio_test_golden_int8_and_learning(tmp_path, project, kind):
    """The int8 and on-device-learning exports pass their golden checks on native and each simulated
    board."""
    import numpy as np

    options, tests, runs, names = KINDS[kind]
    root = _make_project(tmp_path, extra=options)
    np.save(
        os.path.join(root, "model", "calibration.npy"),
        np.random.default_rng(0).standard_normal((64, 1, 4)).astype(np.float32),
    )
    with open(os.path.join(root, "test", "test_golden", "test_main.cpp"), "w") as f:
        f.write(TEST_CPP.format(extra_tests=tests, extra_runs=runs))
    envs = [arg for e in ("native",) + SIM_ENVS for arg in ("-e", e)]
    out = os.path.join(root, "result.json")
    proc = _pio(root, "test", *envs, "--without-uploading", "--json-output-path", out)
    result = json.load(open(out)) if os.path.isfile(out) else {"test_suites": []}
    got = {
        (suite["env_name"], c["name"]): c["status"]
        for suite in result["test_suites"]
        for c in suite["test_cases"]
    }
    want = {(e, n): "PASSED" for e in ("native",) + SIM_ENVS for n in names}
    assert got == want, proc.stdout[-4000:]
    assert proc.returncode == 0


def test_pio_optimize_speed_links_the_float_mac(tmp_path, project):
    """custom_miniml_optimize = speed through real SCons: the Uno firmware links the float
    multiply-accumulate (core_float_avr.h) and passes the golden and learning checks (weights in flash
    and, for the layer that learns, in RAM)."""
    options, tests, runs, names = KINDS["learning"]
    root = _make_project(tmp_path, extra=options + "\ncustom_miniml_optimize = speed")
    with open(os.path.join(root, "test", "test_golden", "test_main.cpp"), "w") as f:
        f.write(TEST_CPP.format(extra_tests=tests, extra_runs=runs))
    out = os.path.join(root, "result.json")
    proc = _pio(root, "test", "-e", "sim_uno", "--without-uploading", "--json-output-path", out)
    result = json.load(open(out)) if os.path.isfile(out) else {"test_suites": []}
    got = [(c["name"], c["status"]) for suite in result["test_suites"] for c in suite["test_cases"]]
    assert got == [(n, "PASSED") for n in names], proc.stdout[-4000:] + proc.stderr[-2000:]
    elf = os.path.join(root, ".pio", "build", "sim_uno", "firmware.elf")
    nm = subprocess.run(["avr-nm", "-C", elf], capture_output=True, text=True, check=True).stdout
    assert "dot_f32_avr(" in nm
