"""examples/vibration_forest/include/vibration_features.h (the board's features) against model.py's numpy
features(), on 200 generated windows, host build under ASan/UBSan: within 1e-4 of max(|numpy|, 1)."""
from __future__ import annotations

import importlib.util
import os
import subprocess

import numpy as np
from harness import BUILD, INCLUDE, REPO, compile_cpp

EXAMPLE = os.path.join(REPO, "examples", "vibration_forest")
DRIVER = r"""
#include <stdio.h>
#include "vibration_features.h"
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  FILE* in = fopen(argv[1], "rb");
  FILE* out = fopen(argv[2], "wb");
  if (!in || !out) return 3;
  float window[vibration_features::kWindow];
  float features[vibration_features::kCount];
  while (fread(window, sizeof(float), vibration_features::kWindow, in) == vibration_features::kWindow) {
    vibration_features::compute(window, features);
    fwrite(features, sizeof(float), vibration_features::kCount, out);
  }
  fclose(in);
  fclose(out);
  return 0;
}
"""


def _model_py():
    spec = importlib.util.spec_from_file_location("vibration_forest_model", os.path.join(EXAMPLE, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_features_match_numpy():
    model = _model_py()
    x, _ = model.windows(200, np.random.default_rng(1))
    x[0] = 0.0  # a silent window: kurtosis and crest factor are defined as 0
    want = model.features(x)
    out = os.path.join(BUILD, "classic", "features")
    os.makedirs(out, exist_ok=True)
    src = os.path.join(out, "features.cpp")
    with open(src, "w") as f:
        f.write(DRIVER)
    exe = compile_cpp(src, os.path.join(out, "features"), [INCLUDE, os.path.join(EXAMPLE, "include")])
    x.astype(np.float32).tofile(os.path.join(out, "in.bin"))
    subprocess.run([exe, os.path.join(out, "in.bin"), os.path.join(out, "out.bin")], check=True)
    got = np.fromfile(os.path.join(out, "out.bin"), np.float32).reshape(want.shape)
    err = np.abs(got - want) / np.maximum(np.abs(want), 1.0)
    assert err.max() <= 1e-4, f"feature {np.unravel_index(err.argmax(), err.shape)}: {err.max():.3g}"
