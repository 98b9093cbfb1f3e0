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
    "bad_optimizer": (dict(optimizer="rmsprop"), "optimizer='rmsprop' is not valid; valid: sgd, adam"),
    "adam_with_momentum": (dict(optimizer="adam", momentum=0.9),
                           "momentum=0.9 is an SGD option; optimizer='adam' uses beta1"),
    "beta1_without_adam": (dict(beta1=0.5), "beta1=0.5 is not valid (only used with optimizer='adam')"),
    "beta2_one": (dict(optimizer="adam", beta2=1.0), "beta2=1.0 is not valid; valid: a number in .0, 1., torch"),
    "eps_zero": (dict(optimizer="adam", eps=0.0), "eps=0.0 is not valid; valid: a number > 0"),
    "negative_weight_decay": (dict(weight_decay=-0.1), "weight_decay=-0.1 is not valid"),
    "spare_classes_with_mse": (dict(spare_classes=2), "spare_classes=2 is not valid (only used with "
                                                      "loss='cross_entropy')"),
    "spare_classes_frozen_head": (dict(loss="cross_entropy", spare_classes=1, trainable=["0.bias"]),
                                  "a new class learns in the final Linear, but '2.weight' is not "
                                  "trainable"),
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


def test_reject_spare_classes_without_final_linear():
    m = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)).eval()
    with pytest.raises(miniml.OptionError, match="spare_classes=1 adds rows to the final nn.Linear, "
                                                 "but the model ends with"):
        build_header(m, torch.zeros(1, 4), "m", on_device_learning=True, loss="cross_entropy",
                     spare_classes=1)
