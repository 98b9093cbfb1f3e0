"""train_budget measures contributions on the data it is given: train_sample= (inputs, optionally
their targets or labels), else the calibration data, else seeded random inputs. A model whose
conv channels 4-7 only see input channel 1 (and weigh 3x in the head) learns channels 4-7 when
measured on random inputs and channels 0-3 on data where input channel 1 is always 0 (those
channels are then dead behind their ReLU). Bad samples and files are refused naming the option."""
import re

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
from miniml.api import build_header

BUDGET = 1800


def _two_paths():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(8, 2))
    with torch.no_grad():
        m[0].weight[:4, 1] = 0  # channels 0-3 read input channel 0, channels 4-7 input channel 1
        m[0].weight[4:, 0] = 0
        m[0].weight[4:] *= 4
        m[0].bias[4:] = -0.1  # dead when input channel 1 is 0
        m[4].weight[:, 4:] *= 3
    return m.eval()


def _data(channel1_zero=True, n=32):
    x = np.random.default_rng(0).normal(0, 1, (n, 2, 4, 4)).astype(np.float32)
    if channel1_zero:
        x[:, 1] = 0
    return x


def _conv_rows(**options):
    _, rep = build_header(_two_paths(), torch.zeros(1, 2, 4, 4), "m", on_device_learning=True,
                          momentum=0.9, train_budget=options.pop("budget", BUDGET), **options)
    (conv,) = [n for n in rep.trainable_params if n.startswith("0.weight")]
    rows = [int(r) for r in re.fullmatch(r"0\.weight\[([0-9,]+)\]", conv).group(1).split(",")]
    return rows, rep


def test_the_sample_decides_which_channels_learn(tmp_path):
    random_rows, rep = _conv_rows()
    assert rep.training_ram_bytes <= BUDGET
    assert rep.train_budget_sample == "random" and "on the random inputs" in rep.format_table()
    assert random_rows and all(r >= 4 for r in random_rows), random_rows
    sample_rows, rep = _conv_rows(train_sample=_data())
    assert rep.training_ram_bytes <= BUDGET and rep.train_budget_sample == "train_sample"
    assert sample_rows and all(r < 4 for r in sample_rows), sample_rows
    # the same data from a file (the hook's form), with labels: the same dead channels
    np.savez(tmp_path / "s.npz", x=_data(), y=np.arange(32) % 2)
    file_rows, _ = _conv_rows(train_sample=str(tmp_path / "s.npz"), loss="cross_entropy")
    assert file_rows and all(r < 4 for r in file_rows), file_rows


@pytest.mark.filterwarnings("ignore:quantize='int8' with on_device_learning")
def test_int8_uses_the_calibration_data():
    """With quantize='int8' the calibration data is the sample; an explicit train_sample wins.
    (The chosen conv is the first layer, so this model then runs in float: a warning says so.)"""
    def rows(**o):
        return _conv_rows(budget=2400, quantize="int8", **o)

    calibrated, rep = rows(calibration=_data(n=64))
    assert rep.training_ram_bytes <= 2400 and rep.train_budget_sample == "calibration"
    assert calibrated and all(r < 4 for r in calibrated), calibrated
    given, _ = rows(calibration=_data(n=64), train_sample=_data(channel1_zero=False))
    assert given and all(r >= 4 for r in given), given


@pytest.mark.parametrize("make, message", [
    (lambda p: str(p / "s.csv"), r"train_sample file '.*s\.csv': use a \.npy file"),
    (lambda p: str(p / "missing.npy"), r"train_sample file '.*missing\.npy' does not exist"),
    (lambda p: _save(p / "bad.npy", b"not numpy"), r"train_sample file '.*bad\.npy' cannot be read"),
    (lambda p: _savez(p / "k.npz", a=_data(), b=_data()), r"holds \['a', 'b'\]; name the inputs x"),
    (lambda p: _data()[:, :1], r"train_sample: inputs of shape \[32, 1, 4, 4\]; the model's input"),
    (lambda p: np.full((4, 2, 4, 4), np.nan), r"train_sample \(inputs\) contains NaN or Inf"),
    (lambda p: (_data(), np.zeros((32, 3))), r"train_sample: targets of shape \[32, 3\]; give one "
                                              r"target of 2 values per input"),
    (lambda p: "x.npy", None),  # train_sample without train_budget: below
])
def test_bad_train_sample(tmp_path, make, message):
    value = make(tmp_path)
    if message is None:
        with pytest.raises(miniml.OptionError, match="train_sample= is the sample train_budget"):
            build_header(_two_paths(), torch.zeros(1, 2, 4, 4), "m", on_device_learning=True,
                         train_sample=value)
        return
    with pytest.raises(miniml.OptionError, match=message):
        _conv_rows(train_sample=value)


def test_bad_labels():
    with pytest.raises(miniml.OptionError, match=r"labels of shape \[32\]; give one class label 0..1"):
        _conv_rows(train_sample=(_data(), np.arange(32)), loss="cross_entropy")


def test_hook_resolves_the_sample_file(tmp_path):
    from miniml.hook.options import parse

    (tmp_path / "m.pt2").write_bytes(b"")
    np.save(tmp_path / "s.npy", _data())
    raw = {"custom_miniml_model": "m.pt2", "custom_miniml_on_device_learning": "yes",
           "custom_miniml_train_budget": "1800", "custom_miniml_train_sample": "s.npy"}
    opts = parse(raw, str(tmp_path))
    assert opts.train_sample == str(tmp_path / "s.npy")
    assert "--train-sample" in opts.export_args()
    with pytest.raises(miniml.OptionError, match=r"custom_miniml_train_sample = 'nope\.npy' is not valid \(no file "):
        parse({**raw, "custom_miniml_train_sample": "nope.npy"}, str(tmp_path))


def _save(path, data):
    path.write_bytes(data)
    return str(path)


def _savez(path, **arrays):
    np.savez(path, **arrays)
    return str(path)
