"""Adam on convolutions: a conv in the middle (weight + bias) and the first Conv2d, Adam with
weight decay / beta1 0.8, against torch.optim.Adam over 100 steps, ASan/UBSan."""
import numpy as np
import pytest
import torch
from test_train_deep import LR, OUT_DIR, _first, _middle, build_and_run
from train_build import torch_steps

CASES = {
    "adam_middle_conv": (_middle, (1, 1, 8, 8), "mse", ["3.weight", "3.bias"],
                         dict(trainable="3.weight,3.bias", optimizer="adam", weight_decay=0.01)),
    "adam_first_conv": (_first, (1, 1, 8, 8), "cross_entropy", ["0.weight", "0.bias", "5.weight"],
                        dict(trainable="0.weight,0.bias,5.weight", optimizer="adam", beta1=0.8)),
}


def _torch_adam(opts):
    def run(model, names, loss, momentum, xs, ts, labels):
        b = (opts.get("beta1", 0.9), opts.get("beta2", 0.999))
        return torch_steps(model, names, loss, lambda ps: torch.optim.Adam(
            ps, lr=LR, betas=b, weight_decay=opts.get("weight_decay", 0.0)), xs[:, None], ts, labels)
    return run


@pytest.mark.parametrize("case_id", CASES)
def test_parity_adam_conv(case_id):
    make, shape, loss, names, opts = CASES[case_id]
    torch.manual_seed(3)
    model = make().eval()
    cases = {case_id: dict(model=model, shape=shape, loss=loss, momentum=0.0, names=names,
                           options=opts, reference=model)}
    r = build_and_run(OUT_DIR / "adam", cases, _torch_adam(opts))[case_id]
    np.testing.assert_allclose(r["losses"], r["want_losses"], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(r["got"], r["want"], rtol=1e-5, atol=1e-6)
    assert np.abs(r["got"] - r["start"]).max() > 1e-3
