"""Rejections: every bad input gets a specific MinimlError whose message names the thing and the fix."""
import re

import pytest
import torch
import torch.nn as nn

import miniml
from miniml import (BatchSizeError, DynamicShapeError, ExportValueError, MinimlError, OptionError,
                    TrainingModeError, UnsupportedOpError)


class CumSum(nn.Module):
    """An op MiniML has no lowering for (running sums over time)."""

    def forward(self, x):
        return torch.cumsum(x, dim=1)


class WithCumSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.ModuleList([nn.Conv1d(2, 4, 3), nn.ReLU(), nn.Identity(), CumSum()])

    def forward(self, x):
        for m in list(self.features)[:3]:
            x = m(x)
        return self.features[3](x.transpose(1, 2))


def _export(model, x, **kw):
    return miniml.analyze(model, x, "m", **kw)


def test_reject_unsupported_op_names_module_path():
    with pytest.raises(UnsupportedOpError) as e:
        _export(WithCumSum().eval(), torch.randn(1, 2, 10))
    msg = str(e.value)
    # transpose comes first in forward order; either way the message names op, node and module
    assert "unsupported op aten." in msg and "MiniML supports:" in msg
    assert "conv2d" in msg and "linear" in msg and "softmax" in msg


def test_reject_unsupported_names_features_3():
    features = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Identity(), CumSum())
    with pytest.raises(UnsupportedOpError) as e:
        _export(nn.Sequential(features).eval(), torch.randn(1, 3, 4))
    msg = str(e.value)
    assert re.match(r"unsupported op aten\.cumsum\.\w+ \(node 'cumsum' at 0\.3 \(CumSum\)\)", msg), msg


def test_reject_training_mode_module():
    m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout())
    with pytest.raises(TrainingModeError) as e:
        _export(m, torch.randn(1, 4))
    assert "model.eval()" in str(e.value) and "BatchNorm1d" in str(e.value)


def test_reject_training_mode_submodule_only():
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout()).eval()
    m[1].train()
    with pytest.raises(TrainingModeError) as e:
        _export(m, torch.randn(1, 4))
    assert "1 (Dropout)" in str(e.value)


def test_reject_training_mode_program():
    m = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)).train()
    ep = torch.export.export(m, (torch.randn(2, 2, 4, 4)[:1],))
    with pytest.raises(TrainingModeError) as e:
        _export(ep, None)
    assert "training mode" in str(e.value) and "model.eval()" in str(e.value)


def test_reject_dynamic_shapes():
    m = nn.Sequential(nn.Conv1d(2, 3, 3)).eval()
    length = torch.export.Dim("length", min=4, max=64)
    ep = torch.export.export(m, (torch.randn(1, 2, 16),), dynamic_shapes={"input": {2: length}})
    with pytest.raises(DynamicShapeError) as e:
        _export(ep, None)
    assert "fixed" in str(e.value) and "dynamic_shapes" in str(e.value)


@pytest.mark.parametrize("shape", [(2, 4), (4,), (8, 4)])
def test_reject_batch_not_1(shape):
    with pytest.raises(BatchSizeError) as e:
        _export(nn.Sequential(nn.Linear(4, 2)).eval(), torch.randn(*shape))
    assert "batch dimension of 1" in str(e.value)


def test_reject_batch_2_program():
    ep = torch.export.export(nn.Sequential(nn.Linear(4, 2)).eval(), (torch.randn(2, 4),))
    with pytest.raises(BatchSizeError):
        _export(ep, None)


def test_reject_unknown_option_did_you_mean():
    with pytest.raises(OptionError) as e:
        _export(nn.Sequential(nn.Linear(4, 2)).eval(), torch.randn(1, 4), goldn=3)
    assert "'goldn'" in str(e.value) and "did you mean 'golden'" in str(e.value)


@pytest.mark.parametrize("name", ["class", "new", "template", "3net", "my-net", "Model", "a__b", ""])
def test_reject_bad_model_name(name, tmp_path):
    with pytest.raises(OptionError) as e:
        miniml.export(nn.Sequential(nn.Linear(4, 2)).eval(), torch.randn(1, 4), name, str(tmp_path))
    assert repr(name) in str(e.value)


def test_reject_nan_weight():
    m = nn.Sequential(nn.Linear(4, 2)).eval()
    with torch.no_grad():
        m[0].weight[1, 2] = float("nan")
    with pytest.raises(ExportValueError) as e:
        _export(m, torch.randn(1, 4))
    assert "NaN/Inf" in str(e.value) and "0.weight" in str(e.value)


def test_reject_inf_bias():
    m = nn.Sequential(nn.Linear(4, 2)).eval()
    with torch.no_grad():
        m[0].bias[0] = float("inf")
    with pytest.raises(ExportValueError):
        _export(m, torch.randn(1, 4))


def test_reject_softmax_not_last_dim():
    m = nn.Sequential(nn.Conv1d(2, 3, 1), nn.Softmax(dim=1)).eval()
    with pytest.raises(UnsupportedOpError) as e:
        _export(m, torch.randn(1, 2, 5))
    assert "only the last dim" in str(e.value) and "1 (nn.Softmax)" in str(e.value)


def test_reject_reflect_padding_conv():
    m = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")).eval()
    with pytest.raises(UnsupportedOpError) as e:
        _export(m, torch.randn(1, 2, 5, 5))
    assert "pad" in str(e.value) and "0 (nn.Conv2d)" in str(e.value)


def test_reject_non_float_input():
    # an integer input is an index input: only Embedding / one_hot may read it, named in the message
    with pytest.raises(MinimlError) as e:
        _export(nn.Sequential(nn.Linear(4, 2)).eval(), torch.ones(1, 4, dtype=torch.int64))
    assert "reads the integer input" in str(e.value) and "nn.Embedding" in str(e.value)
    assert "x.float()" not in str(e.value)


def test_reject_builtin_layer_points_at_the_models_line():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.AdaptiveMaxPool2d(2)

        def forward(self, x):
            return self.pool(x)  # the line the error must show

    with pytest.raises(UnsupportedOpError) as e:
        _export(M().eval(), torch.randn(1, 2, 6, 6))
    msg = str(e.value)
    assert "test_reject.py" in msg and "return self.pool(x)" in msg
    assert "torch/nn/modules" not in msg


def test_reject_broadcast_add_unsupported():
    class M(nn.Module):
        def forward(self, x):
            return x + x[:, :1, :]  # [1, 1, 5] broadcast over channels

    with pytest.raises(UnsupportedOpError) as e:
        _export(M().eval(), torch.randn(1, 3, 5))
    assert "add of shapes [1, 3, 5] and [1, 1, 5]" in str(e.value)


def test_errors_subclass_minimlerror():
    for cls in (BatchSizeError, DynamicShapeError, ExportValueError, OptionError,
                TrainingModeError, UnsupportedOpError):
        assert issubclass(cls, MinimlError)
