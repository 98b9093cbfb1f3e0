"""Deeper learning against torch.optim.SGD, 100 steps on the host (ASan/UBSan, one binary): a conv in
the middle learning weight + bias with momentum, a depthwise conv with a bias-only sparse set, the
first Conv2d learning, Conv1d, backward through every supported activation, pools, residual add and
concat, a conv followed by BatchNorm learning in folded form (the reference folds too), and
train_budget at three budgets (report within the budget, parity with the set it chose), and an int8
backbone feeding a conv that learns in float (reference: the same mixed model in PyTorch)."""

import copy
import os
import re
import subprocess

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from miniml.channel_rows import parse
from train_build import HOST_FLAGS, INCLUDE, REPO, learn_loop_cpp, torch_steps

# torch's own note on the even 'same' kernel of _odd_shapes (a padded copy inside torch), not ours
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
STEPS = 100
LR = 0.01
torch.set_num_threads(1)  # 1,200 tiny backward passes: threads only contend on a shared machine
OUT_DIR = REPO / "build" / "pytest" / "train_deep"


class Residual(nn.Module):
    """conv -> (conv + skip) -> cat(a, b) -> pool -> head: add and concat in the backward path."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.body = nn.Conv2d(4, 4, 3, padding=1)
        self.side = nn.Conv2d(4, 2, 1)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        a = F.relu(self.stem(x))
        b = F.relu6(self.body(a)) + a
        c = torch.cat([b, torch.sigmoid(self.side(a))], dim=1)
        return self.head(F.adaptive_avg_pool2d(c, 1).flatten(1))


def _middle():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 3),
    )


def _depthwise():
    return nn.Sequential(
        nn.Conv2d(2, 6, 3, padding=1), nn.Hardswish(),
        nn.Conv2d(6, 6, 3, padding=1, groups=6), nn.SiLU(),
        nn.Conv2d(6, 4, 1), nn.Tanh(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3),
    )


def _first():
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, stride=2, padding=1), nn.GELU(),
        nn.Conv2d(3, 4, 3, dilation=2, padding=2, groups=1), nn.Sigmoid(),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 2),
    )


def _conv1d():
    return nn.Sequential(
        nn.Conv1d(2, 4, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(4, 4, 3, groups=2), nn.GELU(approximate="tanh"), nn.AvgPool1d(2),
        nn.Flatten(), nn.Linear(4 * 2, 3),
    )


def _odd_shapes():
    """Even kernel with 'same' padding (one more at the end), pools with ceil_mode, padding,
    count_include_pad=False and dilation: the backward follows the forward's window rules."""
    return nn.Sequential(
        nn.Conv2d(1, 2, 4, padding="same"), nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.MaxPool2d(2, stride=1, dilation=2, padding=1, ceil_mode=True),
        nn.Flatten(), nn.Linear(2 * 4 * 4, 2),
    )


def _batchnorm():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 2),
    )


# case id -> (factory, input shape, loss, momentum, trainable option, parameters that learn (save
# order), modules to fold (conv, batchnorm) in the reference)
CASES = {
    "middle_conv_momentum": (_middle, (1, 1, 8, 8), "mse", 0.9, "3.weight,3.bias", ["3.weight", "3.bias"], ()),
    "depthwise_bias_only": (_depthwise, (1, 2, 6, 6), "cross_entropy", 0.5, "0.bias,2.bias,4.bias,8.bias",
                            ["0.bias", "2.bias", "4.bias", "8.bias"], ()),
    "first_conv": (_first, (1, 1, 8, 8), "mse", 0.0, "0.weight,0.bias", ["0.weight", "0.bias"], ()),
    "conv1d_all": (_conv1d, (1, 2, 12), "cross_entropy", 0.9, ["0", "3", "7"], ["0.weight", "0.bias", "3.weight",
                                                                      "3.bias", "7.weight", "7.bias"], ()),
    "residual_concat": (Residual, (1, 2, 5, 5), "mse", 0.9, "stem.weight,side,head.bias",
                        ["stem.weight", "side.weight", "side.bias", "head.bias"], ()),
    "odd_shapes": (_odd_shapes, (1, 1, 7, 7), "mse", 0.5, "0.weight,0.bias", ["0.weight", "0.bias"],
                   ()),
    "batchnorm_folded": (_batchnorm, (1, 1, 4, 4), "mse", 0.9, "0.weight,0.bias,4",
                         ["0.weight", "0.bias", "4.weight", "4.bias"], (("0", "1"),)),
}


def _prepare(model, seed):
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def _folded(model, folds):
    """The reference model: each (conv, batchnorm) pair folded as the exporter folds it, the conv
    given a bias (named <conv>.bias) when it had none."""
    m = copy.deepcopy(model)
    for conv_name, bn_name in folds:
        conv, bn = m.get_submodule(conv_name), m.get_submodule(bn_name)
        fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
        setattr(m, conv_name, fused)
        setattr(m, bn_name, nn.Identity())
    return m


def _torch_sgd(model, names, loss, momentum, xs, ts, labels):
    return torch_steps(model, names, loss,
                       lambda ps: torch.optim.SGD(ps, lr=LR, momentum=momentum), xs[:, None], ts,
                       labels)


def _driver(ns, loss):
    call = "model.learn(x, t)" if loss == "mse" else "model.learn(x, static_cast<uint16_t>(t[0]))"
    return f"""
  {{
    static {ns}::Model model;
    static float x[{ns}::kInputSize], t[{ns}::kOutputSize], learned[{ns}::kTrainableCount];
{learn_loop_cpp(ns, call, STEPS)}
    printf("{ns} refused %u sizeof %u\\n", static_cast<unsigned>(model.refused_steps()),
           static_cast<unsigned>(sizeof(model)));
  }}"""


def build_and_run(out_dir, cases, run_torch=_torch_sgd):
    """Exports every case (id -> dict(model, shape, loss, momentum, names, options, reference)),
    runs all in one host binary, returns id -> results (losses, learned, torch's, report). names
    None: the parameters the export chose (train_budget)."""
    os.makedirs(out_dir, exist_ok=True)
    results, includes, blocks, inputs = {}, [], [], []
    for case_id, c in cases.items():
        rep = miniml.export(c["model"], torch.zeros(c["shape"]), case_id, str(out_dir),
                            on_device_learning=True, loss=c["loss"], learning_rate=LR,
                            momentum=c["momentum"], **c["options"])
        rng = np.random.default_rng(sum(map(ord, case_id)))
        xs = rng.normal(0, 1, (STEPS,) + c["shape"][1:]).astype(np.float32)
        n_out = rep.output_shape[-1]
        ts = rng.normal(0, 1, (STEPS, n_out)).astype(np.float32)
        labels = rng.integers(0, n_out, STEPS)
        tcol = ts if c["loss"] == "mse" else np.repeat(labels[:, None].astype(np.float32), n_out, 1)
        for s in range(STEPS):
            inputs += [xs[s].ravel(), tcol[s]]
        names = c["names"] or rep.trainable_params  # train_budget: what the exporter chose
        want, want_losses = run_torch(c["reference"], names, c["loss"], c["momentum"], xs, ts, labels)
        includes.append(f'#include "{case_id}.h"')
        blocks.append(_driver(case_id, c["loss"]))
        named = dict(c["reference"].named_parameters())
        start = np.concatenate([named[n].detach().numpy()[slice(None) if r is None else list(r)].ravel()
                                for n, r in map(parse, names)])
        results[case_id] = dict(report=rep, want=want, want_losses=want_losses, start=start)
    src = "\n".join(["#include <stdio.h>", *includes, "int main(int argc, char** argv) {",
                     "  if (argc != 3) return 2;", '  FILE* in = fopen(argv[1], "rb");',
                     '  FILE* out = fopen(argv[2], "wb");', "  if (!in || !out) return 3;", *blocks,
                     "  fclose(out);", "  return 0;", "}", ""])
    (out_dir / "driver.cpp").write_text(src)
    exe = out_dir / "driver"
    proc = subprocess.run(["g++", *HOST_FLAGS, f"-I{INCLUDE}", f"-I{out_dir}",
                           str(out_dir / "driver.cpp"), "-o", str(exe), "-lm"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-5000:]
    np.concatenate(inputs).astype(np.float32).tofile(out_dir / "in.bin")
    run = subprocess.run([str(exe), str(out_dir / "in.bin"), str(out_dir / "out.bin")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr[-5000:]
    raw = np.fromfile(out_dir / "out.bin", dtype=np.float32)
    pos = 0
    for case_id, r in results.items():
        r["losses"] = raw[pos:pos + STEPS]
        pos += STEPS
        r["got"] = raw[pos:pos + r["want"].size]
        pos += r["want"].size
        m = re.search(rf"^{case_id} refused (\d+) sizeof (\d+)$", run.stdout, re.M)
        r["refused"], r["sizeof"] = int(m.group(1)), int(m.group(2))
    assert pos == raw.size
    return results


BUDGETS = (300, 1200, 3000)
INT8_BUDGET = 600


def _mixed_islands():
    """An int8 model whose middle conv learns, with frozen int8 layers after it: a conv (fused
    LeakyReLU, run in float after it), a pool, a Linear (fused ReLU) and the head, which learns its
    bias."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
        nn.Conv2d(6, 6, 3, padding=1), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(24, 8), nn.ReLU(), nn.Linear(8, 3),
    )


class ResidualIslands(nn.Module):
    """int8 stem; `a` learns its bias; after it a frozen depthwise conv folded with BatchNorm (ReLU6,
    a clamp: int8 with it) added to a's output, a frozen 1x1 conv whose Sigmoid runs in float after
    it, global pooling and a frozen head (the output: kept float)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.a = nn.Conv2d(4, 6, 3, padding=1)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.pw = nn.Conv2d(6, 8, 1)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        a = F.relu(self.a(F.relu(self.stem(x))))
        b = F.relu6(self.bn(self.dw(a))) + a
        return self.head(F.adaptive_avg_pool2d(torch.sigmoid(self.pw(b)), 1).flatten(1))


def _conv1d_island():
    """A frozen int8 Conv1d island with stride, dilation, groups and a tap past the input's end
    after the learning Conv1d."""
    return nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(),
        nn.Conv1d(4, 4, 3, padding=1), nn.ReLU(),
        nn.Conv1d(4, 6, 4, stride=2, dilation=2, groups=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(6 * 4, 3),
    )


def _int8_case(make, seed, trainable, names, shape=(1, 1, 8, 8), loss="cross_entropy"):
    """The same mixed model in PyTorch as the reference (miniml.train.int8_reference): the int8
    backbone and frozen int8 layers by miniml's integer reference, learning layers from their
    dequantised int8 weights."""
    from miniml.api import int8_graph
    from miniml.train.int8_reference import reference_module

    model = _prepare(make(), seed)
    calibration = torch.from_numpy(np.random.default_rng(5).normal(0, 1, (64, *shape[1:])).astype(np.float32))
    options = dict(trainable=trainable, quantize="int8", calibration=calibration)
    gq = int8_graph(model, calibration[:1], on_device_learning=True, loss=loss, **options)
    return dict(model=model, shape=shape, loss=loss, momentum=0.9, names=names, options=options,
                reference=reference_module(model, gq, calibration[:1]))


def _int8_budget_case():
    """train_budget on the int8 model; the reference is the mixed model of the set it picks."""
    from miniml.api import analyze

    c = _int8_case(_middle, 11, "7.bias", None)
    options = dict(train_budget=INT8_BUDGET, quantize="int8", calibration=c["options"]["calibration"])
    chosen = analyze(c["model"], torch.zeros(1, 1, 8, 8), "m", on_device_learning=True,
                     loss="cross_entropy", momentum=0.9, **options).trainable_params
    return {**_int8_case(_middle, 11, chosen, None), "options": options}


@pytest.fixture(scope="module")
def built():
    cases = {}
    for b in BUDGETS:
        cases[f"budget_{b}"] = dict(model=_prepare(_middle(), 7), shape=(1, 1, 8, 8), loss="mse",
                                    momentum=0.9, names=None, options=dict(train_budget=b))
        cases[f"budget_{b}"]["reference"] = cases[f"budget_{b}"]["model"]
    cases["int8_backbone_conv"] = _int8_case(_middle, 11, "3.weight,3.bias,7.bias",
                                             ["3.weight", "3.bias", "7.bias"])
    cases["int8_frozen_after"] = _int8_case(_mixed_islands, 12, "3.weight,3.bias,11.bias",
                                            ["3.weight", "3.bias", "11.bias"])
    cases["int8_residual_islands"] = _int8_case(ResidualIslands, 13, "a.bias", ["a.bias"],
                                                shape=(1, 2, 6, 6), loss="mse")
    cases["int8_conv1d_island"] = _int8_case(_conv1d_island, 14, "2.weight,7.bias",
                                             ["2.weight", "7.bias"], shape=(1, 2, 12))
    cases["budget_int8"] = _int8_budget_case()
    for i, (case_id, (make, shape, loss, momentum, trainable, names, folds)) in enumerate(CASES.items()):
        model = _prepare(make(), i)
        cases[case_id] = dict(model=model, shape=shape, loss=loss, momentum=momentum, names=names,
                              options=dict(trainable=trainable), reference=_folded(model, folds))
    return build_and_run(OUT_DIR, cases)


def test_int8_backbone_conv_learns_in_float(built):
    """Frozen layers before the learning conv stay int8 (flash), the conv learns in float."""
    r = built["int8_backbone_conv"]
    assert_parity(r, ["3.weight", "3.bias", "7.bias"])
    ops = [row.op for row in r["report"].layers]
    assert ops[:4] == ["quantize_s8", "conv2d_s8", "max_pool2d_s8", "dequantize_s8"], ops
    assert "conv2d_s8" not in ops[4:], ops


def test_int8_frozen_layers_after_learning_stay_int8(built):
    """The middle conv learns in float; the frozen conv and Linear after it stay int8 (islands:
    quantize -> int8 layer -> dequantize), their backward through the dequantised weights."""
    r = built["int8_frozen_after"]
    assert_parity(r, ["3.weight", "3.bias", "11.bias"])
    moved = np.abs(r["got"][:6 * 4 * 9] - r["start"][:6 * 4 * 9]).max()  # 3.weight
    assert moved > 1e-3, f"the gradient through the int8 layers never reached the conv ({moved})"
    ops = [row.op for row in r["report"].layers]
    assert ops[4:] == ["conv2d+relu", "quantize_s8", "conv2d_s8", "dequantize_s8", "leaky_relu",
                       "avg_pool2d", "quantize_s8", "linear_s8", "dequantize_s8", "linear"], ops
    mixed = r["report"].int8_learning
    assert mixed["int8_frozen"] == ["5", "9"] and mixed["float_frozen"] == {}, mixed
    assert mixed["flash_saved_bytes"] > 0


def test_int8_islands_in_a_residual_block(built):
    """Depthwise + BatchNorm + ReLU6 and a 1x1 conv with a float Sigmoid after it stay int8 after
    the learning conv, beside a residual add; the frozen head (the output) stays float."""
    r = built["int8_residual_islands"]
    assert_parity(r, ["a.bias"])
    assert np.abs(r["got"] - r["start"]).max() > 1e-3
    mixed = r["report"].int8_learning
    assert mixed["int8_frozen"] == ["dw", "pw"] and list(mixed["float_frozen"]) == ["head"], mixed


def test_int8_conv1d_island_strided_dilated_grouped(built):
    r = built["int8_conv1d_island"]
    assert_parity(r, ["2.weight", "7.bias"])
    assert np.abs(r["got"][:48] - r["start"][:48]).max() > 1e-3  # 2.weight moved
    assert r["report"].int8_learning["int8_frozen"] == ["4"]


@pytest.mark.parametrize("budget", BUDGETS)
def test_budget_parity_and_fit(built, budget):
    r = built[f"budget_{budget}"]
    assert_parity(r, r["report"].trainable_params)
    assert 0 < r["report"].training_ram_bytes <= budget


def test_budget_chooses_more_with_more_ram(built):
    """Biases come first; a larger budget learns a strict superset, output channels of weights
    included (a sparse channel update: 0.weight[0,1], not the whole weight)."""
    sets = [built[f"budget_{b}"]["report"].trainable_params for b in BUDGETS]
    assert all(n.endswith("bias") for n in sets[0]), sets[0]
    assert set(sets[0]) < set(sets[1]) < set(sets[2]), sets
    assert any(re.fullmatch(r"\d\.weight\[[0-9,:]+\]", n) for n in sets[2]), sets[2]


def test_budget_with_an_int8_backbone(built):
    """The choice decides which layers learn in float; the layers before stay int8; the report is
    the mixed model's training RAM, within the budget, and learning equals the mixed reference."""
    r = built["budget_int8"]
    names = r["report"].trainable_params
    assert names == ["7.weight[1,2]", "7.bias"], names
    assert_parity(r, names)
    assert 0 < r["report"].training_ram_bytes <= INT8_BUDGET
    ops = [row.op for row in r["report"].layers]
    assert ops[-2:] == ["dequantize_s8", "linear"] and "conv2d_s8" in ops, ops


def test_budget_refusals():
    from miniml.api import build_header

    with pytest.raises(miniml.OptionError, match="train_budget=8: no parameter fits; the cheapest"):
        build_header(_prepare(_middle(), 7), torch.zeros(1, 1, 8, 8), "m", on_device_learning=True,
                     train_budget=8)
    with pytest.raises(miniml.OptionError, match="either trainable or train_budget"):
        build_header(_prepare(_middle(), 7), torch.zeros(1, 1, 8, 8), "m", on_device_learning=True,
                     train_budget=800, trainable="7")


def assert_parity(r, names):
    np.testing.assert_allclose(r["got"], r["want"], rtol=1e-5, atol=1e-6)
    # cross-entropy is log-sum-exp minus a logit (cancellation): compared in absolute terms too
    np.testing.assert_allclose(r["losses"], r["want_losses"], rtol=1e-5, atol=2e-5)
    assert r["refused"] == 0
    assert r["report"].trainable_params == names
    assert r["report"].ram_bytes == r["sizeof"]
    parts = r["report"].training_ram_parts
    assert sum(parts.values()) == r["report"].training_ram_bytes and min(parts.values()) >= 0
    # the gradient buffer, placed by the arena's planner, at its bound on every case
    assert r["report"].gradient_buffer_bytes == r["report"].gradient_lower_bound


@pytest.mark.parametrize("case_id", CASES)
def test_deep_parity(built, case_id):
    assert_parity(built[case_id], CASES[case_id][5])


def test_deep_parameters_moved(built):
    """Learning changed every case's parameters (parity alone would also hold with lr = 0)."""
    for case_id, r in built.items():
        assert np.abs(r["got"] - r["start"]).max() > 1e-3, case_id


def test_layout_id_changes_with_the_trainable_set():
    """A save of one trainable set is never loaded by an export that learns another."""
    from miniml.api import build_header

    def layout(trainable):
        text, _ = build_header(_prepare(_middle(), 3), torch.zeros(1, 1, 8, 8), "m",
                               on_device_learning=True, trainable=trainable)
        return re.search(r"kLayoutId = (0x[0-9A-F]+)UL", text).group(1)

    ids = [layout(t) for t in ("3.weight", "3.bias", "3.weight,3.bias", "0.bias,3.bias")]
    assert len(set(ids)) == len(ids), ids
    assert layout("3.bias") == ids[1]  # and it is stable


def test_gradient_buffer_at_its_lower_bound():
    """The conv's dense weight gradient (216 floats, alive to the update) and the activation
    gradients: placed by plan/placement.py at the most floats alive at one backward step; the
    first fit in graph order emit.py had before #17 left a hole: 1728 B."""
    from miniml.api import build_header

    _, rep = build_header(_prepare(_middle(), 3), torch.zeros(1, 1, 8, 8), "m",
                          on_device_learning=True, trainable="3.weight")
    assert rep.gradient_buffer_bytes == rep.gradient_lower_bound == 312 * 4
    assert "gradient buffer 1248 B (lower bound 1248 B)" in rep.format_table()
    assert rep.training_ram_parts["gradients"] == 1248 + 3 * 4  # and the loss gradient (dy)
