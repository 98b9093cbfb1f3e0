"""Sparse channel update (trainable="3.weight[0,2:5]"): only those output channels of a weight learn,
against torch.optim over 100 steps (ASan/UBSan, one binary): SGD with momentum and Adam on a conv in
the middle, a Linear's rows, a depthwise conv's channels; the reference puts the other rows back
after each torch step. Also: what the device saves is those rows, bad channel names are refused by
name, and the layout id changes with the rows."""
import re

import miniml
import numpy as np
import pytest
import torch
from miniml.api import build_header
from test_train_deep import LR, OUT_DIR, _depthwise, _middle, _prepare, assert_parity, build_and_run
from train_build import torch_steps

CASES = {  # id -> (factory, input shape, loss, momentum, options, trainable_params reported)
    "rows_sgd_momentum": (_middle, (1, 1, 8, 8), "mse", 0.9,
                          dict(trainable="3.weight[0,2:5],3.bias,7.weight[1]"),
                          ["3.weight[0,2:5]", "3.bias", "7.weight[1]"]),
    "rows_adam": (_middle, (1, 1, 8, 8), "cross_entropy", 0.0,
                  dict(trainable="3.weight[5,1],7.weight[0:2],7.bias", optimizer="adam",
                       weight_decay=0.01, beta1=0.8),
                  ["3.weight[1,5]", "7.weight[0,1]", "7.bias"]),
    "rows_depthwise": (_depthwise, (1, 2, 6, 6), "cross_entropy", 0.5,
                       dict(trainable="2.weight[1,4],4.weight[3],8.bias"),
                       ["2.weight[1,4]", "4.weight[3]", "8.bias"]),
}


def _reference_optimizer(options_by_model):
    """run_torch for build_and_run: each case's torch.optim (SGD momentum or Adam) by its model."""
    def run(model, names, loss, momentum, xs, ts, labels):
        o = options_by_model[id(model)]
        def make(ps):
            if o.get("optimizer") == "adam":
                return torch.optim.Adam(ps, lr=LR, betas=(o.get("beta1", 0.9), 0.999),
                                        weight_decay=o.get("weight_decay", 0.0))
            return torch.optim.SGD(ps, lr=LR, momentum=momentum)

        return torch_steps(model, names, loss, make, xs[:, None], ts, labels)
    return run


@pytest.fixture(scope="module")
def built():
    cases, by_model = {}, {}
    for i, (case_id, (make, shape, loss, momentum, options, names)) in enumerate(CASES.items()):
        model = _prepare(make(), 20 + i)
        by_model[id(model)] = options
        cases[case_id] = dict(model=model, shape=shape, loss=loss, momentum=momentum, names=names,
                              options=options, reference=model)
    return build_and_run(OUT_DIR / "channels", cases, _reference_optimizer(by_model))


@pytest.mark.parametrize("case_id", CASES)
def test_channel_subset_parity(built, case_id):
    r = built[case_id]
    assert_parity(r, CASES[case_id][5])
    assert np.abs(r["got"] - r["start"]).max() > 1e-3  # the chosen rows moved


def test_channel_subset_costs_only_its_rows():
    """Gradient and momentum of 4 of 6 channels: less than the whole weight's, the same RAM copy."""
    def parts(trainable):
        _, rep = build_header(_prepare(_middle(), 3), torch.zeros(1, 1, 8, 8), "m",
                              on_device_learning=True, momentum=0.9, trainable=trainable)
        return rep.training_ram_parts

    whole, some = parts("3.weight"), parts("3.weight[0:4]")
    assert some["trainable"] == whole["trainable"] == 6 * 4 * 9 * 4
    assert whole["optimizer"] - some["optimizer"] == 2 * 36 * 4  # momentum of two rows
    assert whole["gradients"] - some["gradients"] == 2 * 36 * 4  # their weight gradient


def _layout(trainable):
    text, rep = build_header(_prepare(_middle(), 3), torch.zeros(1, 1, 8, 8), "m",
                             on_device_learning=True, trainable=trainable)
    return re.search(r"kLayoutId = (0x[0-9A-F]+)UL", text).group(1), rep, text


def test_channel_names():
    """Every channel listed is the whole weight (its plain name); the store holds the rows only."""
    _, rep, _ = _layout("3.weight[0:6]")
    assert rep.trainable_params == ["3.weight"]
    _, rep, text = _layout(["3.weight[4]", "3.weight[0,1]"])  # merged
    assert rep.trainable_params == ["3.weight[0,1,4]"]
    assert re.search(r"kTrainableCount = 108;", text)
    ids = {_layout(t)[0] for t in ("3.weight", "3.weight[0]", "3.weight[1]", "3.weight[0,1]")}
    assert len(ids) == 4


@pytest.mark.parametrize("spec, message", [
    ("3.weight[6]", r"'3.weight\[6\]': '3.weight' has 6 output channels \(0 to 5\)"),
    ("3.bias[0]", r"'3.bias\[0\]': output channels are chosen on a weight"),
    ("3[0]", r"'3\[0\]': output channels are chosen on a weight"),
    ("3.weight[2:2]", r"the range '2:2' is empty"),
    ("3.weight[1::2]", r"'1::2' is not a channel index or a range"),
    ("3.weight[a]", r"trainable='3.weight\[a\]' is not valid; .* features.3.weight\[0,5:8\]"),
])
def test_bad_channel_names(spec, message):
    with pytest.raises(miniml.OptionError, match=message):
        _layout(spec)
