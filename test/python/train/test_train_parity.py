"""Optimizer and loss parity: the train_*.h kernels against torch.optim.SGD (momentum, weight decay)
and torch.optim.Adam (betas, eps, bias correction, weight decay), 100 steps, on
Linear -> ReLU -> Linear with head-only, last-two-layers and bias-only configurations."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from train_build import f32, f32_array

IN, HIDDEN, OUT, STEPS = 6, 5, 4, 100

CASES = {
    "mse_head": dict(loss="mse", momentum=0.0, mode=0),
    "mse_head_momentum": dict(loss="mse", momentum=0.9, mode=0),
    "ce_head": dict(loss="cross_entropy", momentum=0.0, mode=0),
    "ce_head_momentum": dict(loss="cross_entropy", momentum=0.9, mode=0),
    "mse_last2": dict(loss="mse", momentum=0.0, mode=1),
    "mse_last2_momentum": dict(loss="mse", momentum=0.5, mode=1),
    "ce_last2": dict(loss="cross_entropy", momentum=0.0, mode=1),
    "ce_last2_momentum": dict(loss="cross_entropy", momentum=0.9, mode=1),
    "mse_bias_only": dict(loss="mse", momentum=0.0, mode=2),
    "ce_bias_only_momentum": dict(loss="cross_entropy", momentum=0.9, mode=2),
    "mse_head_weight_decay": dict(loss="mse", momentum=0.0, mode=0, weight_decay=0.05),
    "ce_last2_momentum_weight_decay": dict(loss="cross_entropy", momentum=0.9, mode=1,
                                           weight_decay=0.01),
    "mse_head_adam": dict(loss="mse", mode=0, adam=(0.9, 0.999, 1e-8)),
    "ce_head_adam": dict(loss="cross_entropy", mode=0, adam=(0.9, 0.999, 1e-8)),
    "mse_last2_adam": dict(loss="mse", mode=1, adam=(0.9, 0.999, 1e-8)),
    # beta1 < 0.5 takes torch's other lerp form; a large eps matters in the denominator
    "ce_last2_adam_betas_weight_decay": dict(loss="cross_entropy", mode=1, adam=(0.3, 0.9, 1e-3),
                                             weight_decay=0.02),
    "ce_bias_only_adam": dict(loss="cross_entropy", mode=2, adam=(0.8, 0.99, 1e-6)),
}


def _torch_reference(case, params, xs, ts, labels, lr):
    w1, b1, w2, b2 = (torch.tensor(p, requires_grad=True) for p in params)
    trained = {0: [w2, b2], 1: [w1, b1, w2, b2], 2: [w2, b2, b1]}[case["mode"]]
    wd = case.get("weight_decay", 0.0)
    if "adam" in case:
        beta1, beta2, eps = case["adam"]
        opt = torch.optim.Adam(trained, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd)
    else:
        opt = torch.optim.SGD(trained, lr=lr, momentum=case["momentum"], weight_decay=wd)
    losses = []
    for s in range(STEPS):
        x = torch.tensor(xs[s])
        y = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
        if case["loss"] == "mse":
            loss = F.mse_loss(y, torch.tensor(ts[s]))
        else:
            loss = F.cross_entropy(y.unsqueeze(0), torch.tensor([int(labels[s])]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy() for p in (w1, b1, w2, b2)], np.array(losses, dtype=np.float32)


@pytest.mark.parametrize("case_id", CASES)
def test_parity_sgd(host, case_id):
    case = CASES[case_id]
    rng = np.random.default_rng(sum(map(ord, case_id)))
    params = [
        rng.normal(0, 0.5, s).astype(np.float32)
        for s in [(HIDDEN, IN), (HIDDEN,), (OUT, HIDDEN), (OUT,)]
    ]
    xs = rng.normal(0, 1, (STEPS, IN)).astype(np.float32)
    ts = rng.normal(0, 1, (STEPS, OUT)).astype(np.float32)
    labels = rng.integers(0, OUT, STEPS).astype(np.uint16)
    lr = np.float32(0.02)
    beta1, beta2, eps = case.get("adam", (0.9, 0.999, 1e-8))
    header = (
        f"const int kIn = {IN}, kHidden = {HIDDEN}, kOut = {OUT}, kSteps = {STEPS};\n"
        f"const int kLoss = {0 if case['loss'] == 'mse' else 1}, kMode = {case['mode']};\n"
        f"const float kLr = {f32(lr)}, kMomentum = {f32(case.get('momentum', 0.0))};\n"
        f"const bool kAdam = {'true' if 'adam' in case else 'false'};\n"
        f"const float kOneMinusBeta1 = {f32(1 - beta1)}, kBeta2 = {f32(beta2)}, "
        f"kOneMinusBeta2 = {f32(1 - beta2)}, kEps = {f32(eps)};\n"
        f"const float kWeightDecay = {f32(case.get('weight_decay', 0.0))};\n"
        + f32_array("kW1", params[0])
        + f32_array("kB1", params[1])
        + f32_array("kW2", params[2])
        + f32_array("kB2", params[3])
        + f32_array("kX", xs)
        + f32_array("kT", ts)
        + "static const unsigned short kLabel[] = {"
        + ", ".join(map(str, labels))
        + "};\n"
    )
    out = np.array(host.run("learn_chain.cpp", header).stdout.split(), dtype=np.float32)
    want, want_losses = _torch_reference(case, params, xs, ts, labels, float(lr))
    losses, got = out[:STEPS], out[STEPS:]
    # The loss is log-sum-exp minus a logit (cancellation): compared in absolute terms.
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5, atol=2e-5)
    offset = 0
    for name, w, p0 in zip(("w1", "b1", "w2", "b2"), want, params):
        g = got[offset : offset + w.size].reshape(w.shape)
        offset += w.size
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=name)
        trained = {0: ("w2", "b2"), 1: ("w1", "b1", "w2", "b2"), 2: ("w2", "b2", "b1")}
        if name in trained[case["mode"]]:
            assert np.abs(g - p0).max() > 1e-3, f"{name} did not train"
        else:
            np.testing.assert_array_equal(g, p0, err_msg=f"{name} is frozen")
    assert offset == got.size
