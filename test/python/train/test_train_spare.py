"""spare_classes: a classifier exported with 2 spare output rows learns 2 new classes on the device
(add_class() mid-stream), equal over 100 steps to the PyTorch model with the expanded head (zero
rows) and cross-entropy over the active logits only (SGD momentum and Adam); masked logits are the
lowest float; labels of inactive classes are refused; save/load keeps the active-class count."""

import copy
import re
import subprocess

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from test_train_export import LR, torch_optimizer
from train_build import HOST_FLAGS, INCLUDE, REPO

STEPS, CLASSES, SPARE = 100, 3, 2
ADD_AT = (40, 70)  # add_class() before these steps
OUT = REPO / "build" / "pytest" / "train_spare"
CASES = {
    "spare_momentum": dict(momentum=0.9, trainable=2),
    "spare_adam": dict(optimizer="adam", weight_decay=0.01),
}
LOWEST = np.finfo(np.float32).min


def _model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, CLASSES)).eval()


def _data(seed):
    """Class k's samples sit around a centre of their own; a class appears once it is added."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (CLASSES + SPARE, 6))
    active = np.full(STEPS, CLASSES) + (np.arange(STEPS) >= ADD_AT[0]) + (np.arange(STEPS) >= ADD_AT[1])
    labels = np.array([rng.integers(0, a) if rng.random() < 0.5 else a - 1 for a in active])
    xs = (centres[labels] + rng.normal(0, 0.5, (STEPS, 6))).astype(np.float32)
    return xs, labels, active


def _torch_reference(model, names, opts, xs, labels, active):
    """The expanded, masked head: zero rows appended; cross-entropy over the active logits."""
    m = copy.deepcopy(model)
    head = m[2]
    with torch.no_grad():
        head.weight = nn.Parameter(torch.cat([head.weight, torch.zeros(SPARE, 10)]))
        head.bias = nn.Parameter(torch.cat([head.bias, torch.zeros(SPARE)]))
    params = dict(m.named_parameters())
    opt = torch_optimizer([params[n] for n in names], opts.get("momentum", 0.0), opts)
    losses = []
    for x, label, a in zip(xs, labels, active):
        y = m(torch.from_numpy(x)[None])
        masked = y.masked_fill(torch.arange(CLASSES + SPARE) >= int(a), float("-inf"))
        loss = F.cross_entropy(masked, torch.tensor([int(label)]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.concatenate([params[n].detach().numpy().ravel() for n in names]), np.array(losses)


DRIVER = """
  {{
    static {ns}::Model model;
    static float x[{ns}::kInputSize], y[{ns}::kOutputSize], w[{ns}::kTrainableCount];
    static uint8_t bytes[{ns}::kStoreBytes];
    int ok = {ns}::kOutputSize == {total} && model.active_classes() == {classes};
    model.predict(kX, y);
    for (miniml::index_t k = {classes}; k < {ns}::kOutputSize; ++k) ok &= y[k] == miniml::lowest_f32();
    ok &= !miniml::is_finite_f32(model.learn(kX, {classes}));  // not a class yet: refused
    const unsigned refused = static_cast<unsigned>(model.refused_steps());
    for (int s = 0; s < {steps}; ++s) {{
      if (s == {add0}) ok &= model.add_class() == {classes};  // returns the new label
      if (s == {add1}) ok &= model.add_class() == {classes} + 1;
      memcpy(x, kX + s * {ns}::kInputSize, sizeof(x));
      printf("loss %.9g\\n", static_cast<double>(model.learn(x, kLabel[s])));
    }}
    ok &= model.add_class() == -1 && model.active_classes() == {total};
    model.get_trainable(w);
    for (miniml::index_t i = 0; i < {ns}::kTrainableCount; ++i) printf("w %.9g\\n", static_cast<double>(w[i]));
    miniml::RamStore store(bytes, sizeof(bytes));
    store.erase();
    ok &= model.save(store) == miniml::kStoreOk;
    model.reset();
    ok &= model.active_classes() == {classes};
    ok &= model.load(store) == miniml::kStoreOk && model.active_classes() == {total};
    printf("ok %d refused %u\\n", ok, refused);
  }}"""


@pytest.mark.parametrize("case_id", CASES)
def test_parity_spare_classes(case_id):
    opts = CASES[case_id]
    out = OUT / case_id
    out.mkdir(parents=True, exist_ok=True)
    model = _model(1)
    rep = miniml.export(model, torch.zeros(1, 6), case_id, str(out), on_device_learning=True,
                        loss="cross_entropy", learning_rate=LR, spare_classes=SPARE, **opts)
    assert rep.output_shape == (1, CLASSES + SPARE)
    xs, labels, active = _data(2)
    lits = ", ".join(f"{v:.9g}f" for v in xs.ravel())
    src = (f'#include <stdio.h>\n#include <string.h>\n#include "miniml/store_ram.h"\n'
           f'#include "{case_id}.h"\nstatic const float kX[] = {{{lits}}};\n'
           f"static const uint16_t kLabel[] = {{{', '.join(map(str, labels))}}};\n"
           "int main() {" + DRIVER.format(ns=case_id, total=CLASSES + SPARE, classes=CLASSES,
                                          steps=STEPS, add0=ADD_AT[0], add1=ADD_AT[1])
           + "  return 0;\n}\n")
    (out / "main.cpp").write_text(src)
    cc = subprocess.run(["g++", *HOST_FLAGS, f"-I{INCLUDE}", f"-I{out}", str(out / "main.cpp"),
                         "-o", str(out / "prog"), "-lm"], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr[-4000:]
    run = subprocess.run([str(out / "prog")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(r"^ok 1 refused 1$", run.stdout, re.M), run.stdout[-500:]
    got = np.array(re.findall(r"^w (\S+)$", run.stdout, re.M), np.float32)
    losses = np.array(re.findall(r"^loss (\S+)$", run.stdout, re.M), np.float32)
    names = ["0.weight", "0.bias", "2.weight", "2.bias"] if opts.get("trainable") == 2 else [
        "2.weight", "2.bias"]
    want, want_losses = _torch_reference(model, names, opts, xs, labels, active)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    head_w = got[-(CLASSES + SPARE) * 11: -(CLASSES + SPARE)].reshape(CLASSES + SPARE, 10)
    assert np.abs(head_w[CLASSES:]).min(axis=1).max() > 0, "the new classes did not learn"
