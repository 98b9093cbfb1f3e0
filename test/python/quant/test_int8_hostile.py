"""int8 export on hostile numbers: a bias beyond int32 is refused naming the layer and the numbers
(it used to be clipped, then the accumulator overflowed); weights negligible against their bias
warn; NaN and +-Inf inputs to predict() have a defined result (NaN -> the zero point, Inf
saturates) that the host build (ASan, UBSan with float-cast-overflow) and the integer reference
agree on; degenerate or outlier-dominated calibration ranges warn, in `warnings` and in the
report.
"""

from __future__ import annotations

import warnings

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
from harness import HOST_FLAGS, INCLUDE, compile_cpp
from miniml.api import build_header, int8_graph
from miniml.int8 import predict as predict_int8_graph

CAL = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)


def _linear(weight_scale: float, bias: float) -> nn.Module:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    with torch.no_grad():
        m[2].weight.mul_(weight_scale)
        m[2].bias.fill_(bias)
    return m


def test_reject_bias_beyond_int32():
    assert "float-cast-overflow" in " ".join(HOST_FLAGS)
    with pytest.raises(miniml.UnsupportedOpError) as err:
        build_header(_linear(1e-3, 1e9), torch.zeros(1, 4), "net", quantize="int8", calibration=CAL)
    msg = str(err.value)
    assert "linear" in msg and "beyond int32" in msg and "bias 1e+09" in msg, msg


def test_warn_weights_negligible_against_bias():
    with pytest.warns(miniml.MinimlWarning, match="ignore their input in int8") as rec:
        _, report = build_header(
            _linear(1e-4, 2.0), torch.zeros(1, 4), "net", quantize="int8", calibration=CAL
        )
    assert any("output channel" in str(w.message) for w in rec)
    assert any("ignore their input" in w for w in report.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", miniml.MinimlWarning)  # an ordinary model: no warning
        _, report = build_header(
            _linear(1.0, 0.1), torch.zeros(1, 4), "net", quantize="int8", calibration=CAL
        )
    assert report.warnings == []


@pytest.mark.parametrize(
    "what,cal,match",
    [
        ("constant", np.full((32, 4), 0.5, np.float32), "the calibration inputs is constant"),
        ("zeros", np.zeros((32, 4), np.float32), "the calibration inputs is constant"),
        ("outlier", np.concatenate([np.full((1, 4), 1e4, np.float32), CAL]), "has outliers"),
    ],
)
def test_warn_degenerate_calibration(what, cal, match):
    with pytest.warns(miniml.MinimlWarning, match=match):
        _, report = build_header(
            _linear(1.0, 0.1), torch.zeros(1, 4), "net", quantize="int8", calibration=cal
        )
    assert any(match in w for w in report.warnings)
    if what == "outlier":
        assert "calibration_method='percentile' or 'mse'" in report.warnings[0]


def test_nan_and_inf_inputs_have_a_defined_result(tmp_path):
    model = _linear(1.0, 0.1)
    text, _ = build_header(model, torch.zeros(1, 4), "net", quantize="int8", calibration=CAL)
    (tmp_path / "net.h").write_text(text)
    xs = np.array(
        [
            [np.nan, 0.5, -0.5, 1.0],
            [np.inf, -np.inf, np.nan, np.nan],
            [0.0, 0.5, -0.5, 1.0],
            [1e30, -1e30, 3e38, -3e38],
        ],
        np.float32,
    )
    rows = ",".join("{" + ",".join(_c(v) for v in x) + "}" for x in xs)
    (tmp_path / "main.cpp").write_text(
        '#include <math.h>\n#include <stdio.h>\n#include "net.h"\nint main() {\n'
        f"  static net::Model m;\n  static const float x[4][4] = {{{rows}}};\n  float y[3];\n"
        "  for (int k = 0; k < 4; ++k) {\n    m.predict(x[k], y);\n"
        '    for (int i = 0; i < 3; ++i) printf("%.9g\\n", static_cast<double>(y[i]));\n  }\n'
        "  return 0;\n}\n"
    )
    import subprocess

    exe = compile_cpp(
        str(tmp_path / "main.cpp"), str(tmp_path / "net"), [INCLUDE, str(tmp_path)], HOST_FLAGS
    )
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0 and "runtime error" not in out.stderr, out.stderr
    got = np.array(out.stdout.split(), np.float32).reshape(4, 3)
    g = int8_graph(model, torch.zeros(1, 4), calibration=CAL)
    np.testing.assert_array_equal(got, predict_int8_graph(g, xs))
    # NaN reads as 0: row 0 equals the same row with the NaN replaced by 0
    np.testing.assert_array_equal(got[0], predict_int8_graph(g, np.nan_to_num(xs[:1], nan=0.0))[0])


def _c(v: float) -> str:
    if np.isnan(v):
        return "NAN"
    if np.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return f"{float(v):.9e}f"
