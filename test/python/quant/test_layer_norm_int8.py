"""int8 LayerNorm: the C++ (host, ASan/UBSan) equals its integer reference (ops/layer_norm.py) to
the bit through predict() and predict_int8(), and stays within 2 output steps of the float model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from int8_host import run_int8_models
from miniml.int8 import predict as predict_int8_graph
from miniml.int8 import run_int8


def _ln(c, **kw):
    ln = nn.LayerNorm(c, **kw)
    if ln.weight is not None:
        nn.init.uniform_(ln.weight, 0.5, 1.5)
    if ln.bias is not None:
        nn.init.uniform_(ln.bias, -0.5, 0.5)
    return ln


# id -> (model, input shape, the float-vs-int8 bound in output steps)
CASES = {
    "ln_affine": (lambda: _ln(16), (1, 16), 2),
    "ln_no_affine": (lambda: _ln(16, elementwise_affine=False), (1, 3, 16), 2),
    "ln_no_bias": (lambda: _ln(10, bias=False), (1, 4, 10), 2),
    "ln_after_linear_rows": (
        lambda: nn.Sequential(nn.Linear(6, 8), _ln(8), nn.ReLU()), (1, 4, 6), 2
    ),
}


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(11)
    cases = {}
    for cid, (f, shape, _) in CASES.items():
        torch.manual_seed(sum(map(ord, cid)))
        cal = (rng.standard_normal((64,) + shape[1:]) * 2.0 + 0.5).astype(np.float32)
        cases[cid] = (f().eval(), cal, (0.9 * cal[:5]).astype(np.float32))
    return run_int8_models("quant_layer_norm", cases)


@pytest.mark.parametrize("cid", CASES)
def test_layer_norm_int8_parity(cid, built):
    r = built[cid]
    g = r["graph"]
    assert "layer_norm_s8" in [n.op for n in g.nodes]
    assert "constexpr miniml::LayerNormParams" in r["header"]
    want = predict_int8_graph(g, r["xs"]).reshape(len(r["xs"]), -1)
    np.testing.assert_array_equal(r["y"], want)
    yq = g.meta["int8_edges"]["output"]
    np.testing.assert_array_equal(r["yq"], np.stack([run_int8(g, x)[yq] for x in r["xs"]]))
    assert len(set(r["yq"].ravel().tolist())) > 10, "degenerate case"
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(r["xs"])).numpy().reshape(len(r["xs"]), -1)
    scale = g.tensor(yq).scale
    err = np.max(np.abs(r["y"] - yf))
    assert err <= CASES[cid][2] * scale, (err, scale)
