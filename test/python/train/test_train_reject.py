"""Rejected on-device learning configurations: each raises OptionError naming the thing and the
fix."""

import miniml
import pytest
import torch
import torch.nn as nn
from miniml.api import build_header
from miniml.train.options import parse_train_options


def _mlp(final_act=None, bias=True):
    layers = [nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3, bias=bias)]
    if final_act is not None:
        layers.append(final_act)
    torch.manual_seed(0)
    return nn.Sequential(*layers).eval()


REJECT = {
    "bad_loss": (dict(loss="hinge"), "loss='hinge'"),
    "zero_lr": (dict(learning_rate=0.0), "learning_rate=0.0"),
    "momentum_one": (dict(momentum=1.0), "momentum=1.0"),
    "trainable_zero": (dict(trainable=0), "trainable=0"),
    "trainable_too_deep": (dict(trainable=3), "only the last 2 layer(s)"),
    "trainable_unknown_name": (dict(trainable=["head"]), "'head' is not a parameter or module"),
    "trainable_bad_type": (dict(trainable=1.5), "trainable=1.5"),
}


@pytest.mark.parametrize("case", REJECT)
def test_reject_train_options(case):
    opts, message = REJECT[case]
    with pytest.raises(miniml.OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_header(_mlp(), torch.zeros(1, 4), "m", on_device_learning=True, **opts)


def test_reject_final_activation():
    with pytest.raises(miniml.OptionError, match="final Linear '2' is followed by sigmoid"):
        build_header(_mlp(nn.Sigmoid()), torch.zeros(1, 4), "m", on_device_learning=True)


def test_reject_bias_only_without_bias():
    with pytest.raises(
        miniml.OptionError,
        match=r"'2.bias' is not .* choose from \['0', '0.bias', "
        r"'0.weight', '2', '2.weight'\]",
    ):
        build_header(
            _mlp(bias=False), torch.zeros(1, 4), "m", on_device_learning=True, trainable=["2.bias"]
        )


def test_reject_backward_through_unsupported_activation():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 6), nn.ELU(), nn.Linear(6, 3)).eval()
    with pytest.raises(miniml.OptionError, match="back through elu after '0'"):
        build_header(m, torch.zeros(1, 4), "m", on_device_learning=True, trainable=2)


def test_reject_backward_through_op_without_backward():
    """An op with no backward rule between a trainable layer and the loss is named."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Flatten(),
                      nn.Linear(2 * 4 * 4, 3)).eval()
    with pytest.raises(miniml.OptionError,
                       match=r"back through upsample.* to reach '0', but it has no backward"):
        build_header(m, torch.zeros(1, 1, 4, 4), "m", on_device_learning=True, trainable="0.bias")


def test_reject_unknown_name_lists_conv_and_linear_choices():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3)).eval()
    with pytest.raises(miniml.OptionError,
                       match=r"'features.3.weight' is not .* choose from \['0', '0.bias', "
                             r"'0.weight', '2', '2.bias', '2.weight'\]"):
        build_header(m, torch.zeros(1, 1, 4, 4), "m", on_device_learning=True,
                     trainable="features.3.weight")


def test_reject_model_not_ending_in_linear():
    m = nn.Sequential(nn.Tanh()).eval()
    with pytest.raises(
        miniml.OptionError, match="its last layer is .*activation.*end the model with nn.Linear"
    ):
        build_header(m, torch.zeros(1, 4), "m", on_device_learning=True)


def test_cli_trainable_strings():
    """--trainable from the command line arrives as text: "2" is a layer count, commas separate
    names."""
    assert parse_train_options({"on_device_learning": True, "trainable": "2"}).trainable == 2
    assert parse_train_options(
        {"on_device_learning": True, "trainable": "head, body.0.bias"}
    ).trainable == ("head", "body.0.bias")
    assert parse_train_options({"trainable": 2}) is None  # learning off: no plan


def test_reject_final_softmax():
    m = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)).eval()
    with pytest.raises(miniml.OptionError, match="ends with softmax .* without the final softmax"):
        build_header(m, torch.zeros(1, 4), "m", on_device_learning=True, loss="cross_entropy")
