"""docs/op_template.py.txt instantiated as a real op (aten.neg as "template_neg"), registered like any
op module, and exported: float parity with torch and int8 0 LSB against the integer reference through
the host build (ASan/UBSan). Keeps the template and docs/adding_an_op.md honest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from harness import build_batch, check_batch, prepare
from int8_host import run_int8_models
from miniml.int8 import predict as predict_int8_graph
from miniml.ops import INT8_RULES, KERNELS, LOWERINGS

TEMPLATE = Path(__file__).resolve().parents[3] / "docs" / "op_template.py.txt"
FILL = {
    "TEMPLATE_DOC": "Negation: y = -x (an instance of docs/op_template.py.txt).",
    "TEMPLATE_TARGET": "aten.neg.default",
    "TEMPLATE_OP": "template_neg",
    "TEMPLATE_CLASS": "TemplateNeg",
    "TEMPLATE_FN": "-x",
    "TEMPLATE_HEADER": "op_elementwise.h",
    "TEMPLATE_CALL": (
        "miniml::mul_scalar_f32({e.t(node.inputs[0])}, -1.0f, {e.t(node.outputs[0])}, {e.i(n)});"
    ),
}


@pytest.fixture(scope="module")
def template_op(tmp_path_factory):
    text = TEMPLATE.read_text()
    for k in sorted(FILL, key=len, reverse=True):
        text = text.replace(k, FILL[k])
    assert not [k for k in FILL if k in text]
    path = tmp_path_factory.mktemp("ops") / "template_neg.py"
    path.write_text(text)
    # neg is a real op since #11 (ops/unary_math.py): set it aside while the template stands in
    real = LOWERINGS.pop("aten.neg.default", None)
    spec = importlib.util.spec_from_file_location("miniml.ops.template_neg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    del LOWERINGS["aten.neg.default"], KERNELS["template_neg"], INT8_RULES["template_neg"]
    if real is not None:
        LOWERINGS["aten.neg.default"] = real


class Neg(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 6)

    def forward(self, x):
        return torch.neg(self.fc(x))


def test_op_template_float(template_op):
    batch = build_batch("op_template", {"neg": (prepare(Neg()), (1, 5))})
    check_batch(batch, "neg")


def test_op_template_int8(template_op):
    cal = np.random.default_rng(5).standard_normal((48, 5)).astype(np.float32)
    model = prepare(Neg(), 1)
    r = run_int8_models("op_template_int8", {"neg": (model, cal, cal[:4])})["neg"]
    g = r["graph"]
    assert [n.op for n in g.nodes] == ["quantize_s8", "linear_s8", "lut_s8", "dequantize_s8"]
    np.testing.assert_array_equal(r["y"], predict_int8_graph(g, cal[:4]).reshape(4, -1))
    with torch.no_grad():
        yf = model(torch.from_numpy(cal[:4])).numpy()
    scale = g.tensor(g.meta["int8_edges"]["output"]).scale
    assert np.max(np.abs(r["y"] - yf)) <= 3 * scale
