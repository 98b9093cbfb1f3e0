"""learn() never stores a non-finite weight: an overflowing step (learning rate 3e38, finite loss
and gradient; SGD with and without momentum, Adam) is refused and counted, leaving weights and momentum
bit-identical; set_learning_rate() refuses Inf, NaN and negative rates; kLayoutId tells graphs
apart that differ only in an activation or the optimizer.
"""

import re

import miniml
import pytest
import torch
import torch.nn as nn
from miniml.api import build_header
from train_build import HostBuild


def _mlp(act: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), act, nn.Linear(6, 3)).eval()


OPTIMIZERS = {"sgd": {}, "momentum": dict(momentum=0.9),
              "adam": dict(optimizer="adam", weight_decay=0.01)}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("trainable", [None, 2])
def test_reject_overflowing_step(tmp_path, optimizer, trainable):
    text, _ = build_header(
        _mlp(nn.ReLU()),
        torch.zeros(1, 4),
        "net",
        on_device_learning=True,
        **OPTIMIZERS[optimizer],
        trainable=trainable,
        learning_rate=0.1,
    )
    out = HostBuild(tmp_path).run("hostile_learn.cpp", text).stdout.split()
    assert out == "bad_rates 0 kept 1 lr_ok 1 refused 1 same 1 then_same 1 finite 1".split()


def _layout(model, **opts) -> str:
    text, _ = build_header(model, torch.zeros(1, 4), "net", on_device_learning=True, **opts)
    return re.search(r"kLayoutId = (0x[0-9A-F]+)UL", text).group(1)


def test_layout_id_covers_graph_and_optimizer():
    relu = _layout(_mlp(nn.ReLU()))
    assert relu == _layout(_mlp(nn.ReLU()))  # deterministic
    others = {
        "tanh": _layout(_mlp(nn.Tanh())),
        "sigmoid": _layout(_mlp(nn.Sigmoid())),
        "momentum": _layout(_mlp(nn.ReLU()), momentum=0.9),
        "loss": _layout(_mlp(nn.ReLU()), loss="cross_entropy"),
        "trainable": _layout(_mlp(nn.ReLU()), trainable=2),
        "adam": _layout(_mlp(nn.ReLU()), optimizer="adam"),
        "adam_beta1": _layout(_mlp(nn.ReLU()), optimizer="adam", beta1=0.8),
        "weight_decay": _layout(_mlp(nn.ReLU()), weight_decay=0.01),
        "spare_classes": _layout(_mlp(nn.ReLU()), loss="cross_entropy", spare_classes=1),
    }
    assert relu not in others.values() and len(set(others.values())) == len(others), others


@pytest.mark.parametrize(
    "option,value",
    [
        ("learning_rate", float("inf")),
        ("learning_rate", float("nan")),
        ("learning_rate", -0.1),
        ("learning_rate", 1e39),
        ("momentum", float("nan")),
        ("momentum", 1.5),
        ("momentum", -0.1),
    ],
)
def test_reject_bad_training_option(option, value):
    with pytest.raises(miniml.OptionError, match=option):
        build_header(
            _mlp(nn.ReLU()), torch.zeros(1, 4), "net", on_device_learning=True, **{option: value}
        )
