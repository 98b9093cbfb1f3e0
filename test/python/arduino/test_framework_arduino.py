"""`framework = arduino` on the simulated Uno, as the README shows it: the project of README's
"Arduino framework on the simulated Uno" (its platformio.ini as written) prints PyTorch's
numbers through Serial, learns, saves to the real EEPROM library and loads back (`pio run -t
upload`, which ends by itself); `pio test` reads Unity over Serial from README step 5's test, as
written; the runner's stop rules.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
README = (REPO / "README.md").read_text()
RUN = REPO / "platformio_plugin" / "platforms" / "miniml_run.py"
INPUTS = [[0.1, -0.2, 0.3], [0.5, 0.25, -0.75], [-1.0, 0.0, 1.0]]

SKETCH = r"""
#include <Arduino.h>
#include <EEPROM.h>
#include <SPI.h>
#include <Wire.h>
#include <string.h>

#include "miniml/store_eeprom.h"
#include "sensor.h"

static sensor::Model model;
static miniml::EepromStore eeprom;
static const float kInputs[][sensor::kInputSize] = {INPUTS};

void setup() {
  Serial.begin(115200);
  Wire.begin();  // the core's libraries, found by PlatformIO's library finder
  SPI.begin();
  for (unsigned i = 0; i < sizeof(kInputs) / sizeof(kInputs[0]); ++i) {
    float y[sensor::kOutputSize];
    model.predict(kInputs[i], y);
    Serial.print("y ");
    Serial.println(y[0], 7);
  }
  float loss_first = 0.0f, loss = 0.0f;
  for (int i = 0; i < 200; ++i) {  // a new sensor: target = 1.25 * raw + 0.08
    const float x[3] = {0.01f * static_cast<float>(i % 97), 0.1f, -0.2f};
    const float target = 1.25f * x[0] + 0.08f;
    loss = model.learn(x, &target);
    if (i == 0) loss_first = loss;
  }
  Serial.print("loss ");
  Serial.print(loss_first, 6);
  Serial.print(' ');
  Serial.println(loss, 6);
  float learned[sensor::kTrainableCount], factory[sensor::kTrainableCount];
  float back[sensor::kTrainableCount];
  model.get_trainable(learned);
  Serial.print("save ");
  Serial.println(static_cast<int>(model.save(eeprom)));
  model.reset();  // a reboot: factory weights
  model.get_trainable(factory);
  Serial.print("load ");
  Serial.println(static_cast<int>(model.load(eeprom)));
  model.get_trainable(back);
  Serial.print("restored ");
  Serial.println(memcmp(back, learned, sizeof(back)) == 0 &&
                 memcmp(factory, learned, sizeof(back)) != 0);
  Serial.print("eeprom ");
  Serial.println(EEPROM.length());
}

void loop() {}
"""

FAILING_TEST = r"""
#include <Arduino.h>
#include <unity.h>
void setUp() {}
void tearDown() {}
void test_fails() { TEST_ASSERT_EQUAL_INT(1, 2); }
void setup() { UNITY_BEGIN(); RUN_TEST(test_fails); UNITY_END(); }
void loop() {}
"""


def _readme_block(marker: str, lang: str) -> str:
    at = README.index(marker)
    start = README.index("```" + lang + "\n", at) + len(lang) + 4
    return README[start : README.index("```", start)]


def _pio(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
    )
    pio = str(Path(sys.executable).parent / "pio")
    return subprocess.run(
        [pio, *args], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """README's Arduino project as written (<repo> filled in), on-device learning added, the
    sensor model."""
    proj = tmp_path_factory.mktemp("arduino_sim")
    ini = _readme_block("<!-- arduino-sim-ini", "ini").replace("<repo>", str(REPO))
    ini = ini.replace(
        "custom_miniml_golden = 4\n",
        "custom_miniml_golden = 4\ncustom_miniml_on_device_learning = yes\n"
        "custom_miniml_loss = mse\ncustom_miniml_learning_rate = 0.05\n",
    )
    (proj / "platformio.ini").write_text(ini)
    (proj / "model").mkdir()
    shutil.copyfile(
        REPO / "examples" / "sensor_calibration" / "sensor.pt2", proj / "model" / "sensor.pt2"
    )
    (proj / "src").mkdir()
    inputs = ", ".join("{%s}" % ", ".join("%sf" % float(v) for v in row) for row in INPUTS)
    (proj / "src" / "main.cpp").write_text(SKETCH.replace("INPUTS", inputs))
    (proj / "test" / "test_sensor").mkdir(parents=True)
    shutil.copyfile(
        REPO / "test" / "test_custom_runner.py", proj / "test" / "test_custom_runner.py"
    )
    step5 = _readme_block("5. `test/test_sensor/test_main.cpp`", "cpp")
    (proj / "test" / "test_sensor" / "test_main.cpp").write_text(step5)
    return proj


def test_upload_prints_pytorch_numbers_learns_saves_and_ends(project: Path) -> None:
    import torch

    done = _pio(project, "run", "-e", "sim_uno", "-t", "upload")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-5000:]
    assert "stopped: no serial output for 3000 ms of simulated time (idle rule" in out, out[-3000:]
    model = torch.export.load(str(project / "model" / "sensor.pt2")).module()
    with torch.no_grad():
        want = np.array([model(torch.tensor([row], dtype=torch.float32)).item() for row in INPUTS])
    got = np.array([float(v) for v in re.findall(r"^y (\S+)\r?$", done.stdout, re.MULTILINE)])
    assert got.shape == want.shape, out[-3000:]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    first, last = map(
        float, re.search(r"^loss (\S+) (\S+)\r?$", done.stdout, re.MULTILINE).groups()
    )
    assert last < 0.5 * first, out[-3000:]
    assert re.search(r"^save 0\r?$", done.stdout, re.MULTILINE) and re.search(
        r"^load 0\r?$", done.stdout, re.MULTILINE
    ), out
    assert re.search(r"^restored 1\r?$", done.stdout, re.MULTILINE), out[-3000:]
    assert re.search(r"^eeprom 1024\r?$", done.stdout, re.MULTILINE), out[
        -3000:
    ]  # the core's EEPROM library
    for lib in ("EEPROM", "SPI", "Wire"):
        assert re.search(r"\|-- %s @" % lib, out), out[:3000]


def test_pio_test_reads_unity_over_serial(project: Path, tmp_path: Path) -> None:
    fail_dir = project / "test" / "test_fails"
    fail_dir.mkdir(exist_ok=True)
    (fail_dir / "test_main.cpp").write_text(FAILING_TEST)
    report = tmp_path / "report.json"
    done = _pio(
        project, "test", "-e", "sim_uno", "--without-uploading", "--json-output-path", str(report)
    )
    suites = {
        s["test_name"]: s
        for s in json.loads(report.read_text())["test_suites"]
        if s["env_name"] == "sim_uno"
    }
    statuses = {name: [c["status"] for c in s["test_cases"]] for name, s in suites.items()}
    assert statuses["test_sensor"] == ["PASSED"], done.stdout[-4000:]
    assert statuses["test_fails"] == ["FAILED"], done.stdout[-4000:]  # a failure is seen, not lost
    assert done.returncode != 0


def test_real_uno_env_differs_in_platform_and_board_only() -> None:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(_readme_block("<!-- arduino-sim-ini", "ini"))
    sim, uno = dict(ini["env:sim_uno"]), dict(ini["env:uno"])
    assert ini["env"]["framework"] == "arduino"
    assert (uno["platform"], uno["board"]) == ("atmelavr", "uno")
    assert sim["board"] == "miniml_uno" and sim["platform"].endswith("/platforms/miniml-simavr")
    # besides the two lines, only test settings: the simulator's runner; on the board, real Unity
    assert set(uno) - {"platform", "board"} == {"test_framework"}
    assert set(sim) - {"platform", "board"} == {
        "lib_deps",
        "test_framework",
        "test_testing_command",
    }


BARE_LOOP = r"""
#include "miniml/board_io.h"
int main() {
  miniml::io::begin();
  for (;;) {
    for (volatile long i = 0; i < 20000; ++i) {}
    if (CHATTY) miniml::io::put('.');
  }
}
"""


@pytest.mark.parametrize(
    "chatty,option,message",
    [
        (0, "--idle-ms", "stopped: no serial output for 200 ms of simulated time (idle rule"),
        (1, "--limit-ms", "stopped: simulated-time limit of 200 ms reached"),
    ],
)
def test_runner_stop_rules(tmp_path: Path, chatty: int, option: str, message: str) -> None:
    src = tmp_path / "loop.cpp"
    src.write_text(BARE_LOOP.replace("CHATTY", str(chatty)))
    elf = tmp_path / "loop.elf"
    subprocess.run(
        [
            "avr-g++",
            "-mmcu=atmega328p",
            "-DF_CPU=16000000UL",
            "-Os",
            f"-I{REPO / 'include'}",
            str(src),
            "-o",
            str(elf),
        ],
        check=True,
    )
    done = subprocess.run(
        [sys.executable, str(RUN), option, "200", str(elf)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert message in done.stderr
    assert ("." in done.stdout) == bool(chatty)
