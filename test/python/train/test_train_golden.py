"""Learning golden: a header exported with golden=N and on_device_learning embeds PyTorch's SGD
steps (with an int8 backbone: of the same mixed model, the int8 part by the integer reference), and
testing.h's MINIML_CHECK_LEARN_GOLDEN replays them (host build with our Unity, ASan/UBSan); a header
whose expected weights were altered must fail with the parameter named."""

import re
import subprocess

import miniml
import torch
import torch.nn as nn
from train_build import HOST_FLAGS, INCLUDE, REPO

OUT = REPO / "build" / "pytest" / "train_golden"
UNITY = REPO / "platformio_plugin" / "unity" / "src"

MAIN = """#include <unity.h>
#include "lg_mse.h"
#include "lg_ce.h"
#include "lg_q.h"
#include "lg_spare.h"
#include "miniml/testing.h"
static lg_mse::Model a;
static lg_ce::Model b;
static lg_spare::Model c;
static lg_q::Model d;
void setUp() {}
void tearDown() {}
void test_learn_mse() { MINIML_CHECK_LEARN_GOLDEN(lg_mse, a); }
void test_learn_ce() { MINIML_CHECK_LEARN_GOLDEN(lg_ce, b); }
void test_learn_int8_backbone() { MINIML_CHECK_LEARN_GOLDEN(lg_q, d); }
void test_inference_after_reset() { MINIML_CHECK_GOLDEN(lg_mse, a); }
void test_learn_adam_spare() { MINIML_CHECK_LEARN_GOLDEN(lg_spare, c); }
void test_inference_spare() { MINIML_CHECK_GOLDEN(lg_spare, c); }
int main() {
  UNITY_BEGIN();
  RUN_TEST(test_learn_mse);
  RUN_TEST(test_learn_ce);
  RUN_TEST(test_learn_int8_backbone);
  RUN_TEST(test_inference_after_reset);
  RUN_TEST(test_learn_adam_spare);
  RUN_TEST(test_inference_spare);
  return UNITY_END();
}
"""


def _export():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(3)
    m1 = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2)).eval()
    m2 = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).eval()
    exports = {
        "lg_mse": (m1, dict(momentum=0.9, learning_rate=0.05, trainable=2)),
        "lg_ce": (m2, dict(loss="cross_entropy")),
        # Adam, and two spare classes: masked logits in the inference golden too
        "lg_spare": (m2, dict(loss="cross_entropy", optimizer="adam", spare_classes=2,
                              trainable=2)),
    }
    for name, (model, opts) in exports.items():
        miniml.export(model, torch.zeros(1, 5), name, str(OUT / "export"),
                      on_device_learning=True, golden=4, **opts)
    torch.manual_seed(4)  # an int8 backbone, a conv folded with BatchNorm learning in float
    m3 = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                       nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                       nn.Linear(4 * 3 * 3, 3)).eval()
    miniml.export(m3, torch.zeros(1, 1, 6, 6), "lg_q", str(OUT / "export"), quantize="int8",
                  calibration=torch.randn(64, 1, 6, 6), on_device_learning=True,
                  loss="cross_entropy", momentum=0.9, trainable="3.weight,3.bias,7.bias", golden=4)


def _run(tag):
    # main.cpp sits next to its headers: a quoted include looks in the including file's folder first
    (OUT / tag / "main.cpp").write_text(MAIN)
    exe = OUT / f"prog_{tag}"
    inc = OUT / tag
    unity_o = OUT / "unity.o"
    subprocess.run(
        [
            "gcc",
            "-O1",
            "-g",
            "-fsanitize=address,undefined",
            f"-I{UNITY}",
            "-c",
            str(UNITY / "unity.c"),
            "-o",
            str(unity_o),
        ],
        check=True,
    )
    build = subprocess.run(
        [
            "g++",
            *HOST_FLAGS,
            f"-I{INCLUDE}",
            f"-I{inc}",
            f"-I{UNITY}",
            str(OUT / tag / "main.cpp"),
            str(unity_o),
            "-o",
            str(exe),
            "-lm",
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)


def test_learn_golden_passes_and_catches_a_wrong_weight():
    _export()
    good = OUT / "good"
    bad = OUT / "bad"
    for d in (good, bad):
        d.mkdir(exist_ok=True)
    for name in ("lg_mse", "lg_ce", "lg_spare", "lg_q"):
        text = (OUT / "export" / f"{name}.h").read_text()
        (good / f"{name}.h").write_text(text)
        if name == "lg_mse":  # shift the first expected trained weight by 0.01
            head, body = text.split(
                "LearnGoldenData<Unused>::kTrainable[kTrainableCount] MINIML_ROM = {\n"
            )
            first = re.match(r"\s*(-?[0-9.e+-]+)f", body)
            value = float(first.group(1)) + 0.01
            body = body.replace(first.group(1) + "f", f"{value:.9g}f", 1)
            text = (
                head
                + "LearnGoldenData<Unused>::kTrainable[kTrainableCount] MINIML_ROM = {\n"
                + body
            )
        (bad / f"{name}.h").write_text(text)
    ok = _run("good")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "6 Tests 0 Failures" in ok.stdout, ok.stdout
    wrong = _run("bad")
    # a failed check stops before its final reset, so the inference check after it fails too
    assert wrong.returncode == 2, wrong.stdout
    assert re.search(r"test_learn_mse:FAIL: .*:trainable parameter 0\n", wrong.stdout), wrong.stdout
    assert "test_learn_ce:PASS" in wrong.stdout
    assert "test_learn_int8_backbone:PASS" in wrong.stdout
