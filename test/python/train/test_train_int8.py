"""On-device learning on an int8 backbone: the quantiser keeps the learning head float behind a
dequantize,
learn() reads that float latent in place. Checked on the host (ASan/UBSan): the head learns a
separable
3-class problem (cross-entropy), save/reset/load round-trips, and the report's training RAM equals
sizeof(Model) minus sizeof(Model) of the all-int8 export without learning."""

import re
import subprocess

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
from train_build import HOST_FLAGS, INCLUDE, REPO

OUT = REPO / "build" / "pytest" / "train_int8"


OPTIMIZERS = {  # the int8 edge is the same for every optimizer; Adam with a spare class too
    "sgd": dict(learning_rate=0.1, momentum=0.9),
    "adam_spare": dict(optimizer="adam", learning_rate=0.05, spare_classes=1),
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("trainable", [None, 2])
def test_int8_backbone_float_head_learns(trainable, optimizer):
    out = OUT / f"trainable_{trainable}_{optimizer}"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3)
    ).eval()
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 2, (3, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 400)
    xs = (centers[labels] + rng.normal(0, 0.5, (400, 6))).astype(np.float32)
    cal = torch.from_numpy(xs[:128])
    rep = miniml.export(
        model,
        torch.zeros(1, 6),
        "q_learn",
        str(out),
        quantize="int8",
        calibration=cal,
        on_device_learning=True,
        loss="cross_entropy",
        trainable=trainable,
        **OPTIMIZERS[optimizer],
    )
    plain = miniml.export(
        model, torch.zeros(1, 6), "q_plain", str(out), quantize="int8", calibration=cal
    )
    header = (out / "q_learn.h").read_text()
    assert "linear_s8" in header and "dequantize" in header.lower()
    assert re.search(r"linear_weight_step_f32\(\w+, \w+, arena_", header), (
        "latent not read in place"
    )
    data = ", ".join(f"{v:.9g}f" for v in xs.ravel())
    lab = ", ".join(str(int(v)) for v in labels)
    src = f"""#include <stdio.h>
#include <string.h>
#include "miniml/store_ram.h"
#include "q_learn.h"
#include "q_plain.h"
static const float kX[] = {{{data}}};
static const unsigned short kY[] = {{{lab}}};
static q_learn::Model model;
int main() {{
  float first = 0.0f, last = 0.0f;
  for (int s = 0; s < 400; ++s) {{
    const float loss = model.learn(kX + 6 * s, kY[s]);
    if (s < 50) first += loss;
    if (s >= 350) last += loss;
  }}
  static float learned[q_learn::kTrainableCount], w[q_learn::kTrainableCount];
  static uint8_t bytes[q_learn::kStoreBytes];
  model.get_trainable(learned);
  miniml::RamStore store(bytes, sizeof(bytes));
  store.erase();
  const int saved = model.save(store) == miniml::kStoreOk;
  model.reset();
  const int loaded = model.load(store) == miniml::kStoreOk;
  model.get_trainable(w);
  printf("first %.6f last %.6f refused %u roundtrip %d sizeof %u plain %u\\n",
         static_cast<double>(first / 50.0f), static_cast<double>(last / 50.0f),
         static_cast<unsigned>(model.refused_steps()),
         saved && loaded && memcmp(w, learned, sizeof(w)) == 0,
         static_cast<unsigned>(sizeof(q_learn::Model)),
         static_cast<unsigned>(sizeof(q_plain::Model)));
  return 0;
}}
"""
    (out / "main.cpp").write_text(src)
    build = subprocess.run(
        [
            "g++",
            *HOST_FLAGS,
            f"-I{INCLUDE}",
            f"-I{out}",
            str(out / "main.cpp"),
            "-o",
            str(out / "prog"),
            "-lm",
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([str(out / "prog")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    v = dict(re.findall(r"(\w+) ([0-9.]+)", run.stdout))
    assert float(v["last"]) < 0.5 * float(v["first"]), run.stdout
    assert v["refused"] == "0" and v["roundtrip"] == "1"
    assert rep.ram_bytes == int(v["sizeof"]) and plain.ram_bytes == int(v["plain"])
    assert rep.training_ram_bytes == int(v["sizeof"]) - int(v["plain"]) > 0


def test_frozen_layers_after_learning_int8_or_float_with_reason():
    """After a learning layer: a frozen Linear stays int8 (report.int8_learning lists it and the
    flash it saves); the frozen output layer stays float with a warning naming it (an int8 output
    would zero the gradient outside its calibrated range); so does one too small to gain from int8."""
    from miniml.api import build_header

    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3), nn.ReLU(),
                          nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)).eval()
    cal = torch.from_numpy(np.random.default_rng(0).normal(0, 1, (64, 6)).astype(np.float32))
    with pytest.warns(miniml.MinimlWarning) as caught:
        _, rep = build_header(model, torch.zeros(1, 6), "m", quantize="int8", calibration=cal,
                              on_device_learning=True, loss="cross_entropy", trainable="0.bias")
    mixed = rep.int8_learning
    assert mixed["int8_frozen"] == ["2"], mixed
    assert set(mixed["float_frozen"]) == {"4", "6"}, mixed
    assert "model output" in mixed["float_frozen"]["6"]
    assert "would not save flash" in mixed["float_frozen"]["4"]
    # Linear(16, 3): 204 B float vs 48 int8 weights + 3 x (bias, multiplier, shift, scale)
    assert mixed["flash_saved_bytes"] == 204 - (48 + 3 * 13), mixed
    assert "int8 after the learning layers: 2 (flash saved 117 B); kept float: 4, 6" in \
        rep.format_table()
    said = " ".join(str(w.message) for w in caught)
    assert "frozen layer 'linear_3' (linear, 6 (nn.Linear)) stays float" in said, said
