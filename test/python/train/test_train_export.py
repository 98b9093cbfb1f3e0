"""Exported learn() against torch.optim.SGD: MSE and cross-entropy, with and without momentum,
head-only,
last-two-layers and bias-only; 100 steps on the host (ASan/UBSan). Also: training RAM in the report
==
measured sizeof(Model) difference, refused non-finite steps, save/reset/load, the latent read in
place."""

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
from train_build import HOST_FLAGS, INCLUDE, REPO, learn_loop_cpp, torch_steps

STEPS = 100
OUT_DIR = REPO / "build" / "pytest" / "train_export"


def _mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 4)
    ).eval()


# case id -> (loss, momentum, trainable option, torch parameter names that train, in save order[,
# further export options: the optimizer's])
CASES = {
    "mse_head": ("mse", 0.0, None, ["5.weight", "5.bias"]),
    "mse_head_momentum": ("mse", 0.9, None, ["5.weight", "5.bias"]),
    "ce_head": ("cross_entropy", 0.0, None, ["5.weight", "5.bias"]),
    "ce_head_momentum": ("cross_entropy", 0.9, None, ["5.weight", "5.bias"]),
    "mse_last2": ("mse", 0.0, 2, ["3.weight", "3.bias", "5.weight", "5.bias"]),
    "mse_last2_momentum": ("mse", 0.9, 2, ["3.weight", "3.bias", "5.weight", "5.bias"]),
    "ce_last2": ("cross_entropy", 0.0, 2, ["3.weight", "3.bias", "5.weight", "5.bias"]),
    "ce_last2_momentum": ("cross_entropy", 0.9, 2, ["3.weight", "3.bias", "5.weight", "5.bias"]),
    "mse_bias_only": ("mse", 0.0, ["1.bias", "5"], ["1.bias", "5.weight", "5.bias"]),
    "ce_bias_only_momentum": (
        "cross_entropy",
        0.9,
        ["1.bias", "3.bias", "5"],
        ["1.bias", "3.bias", "5.weight", "5.bias"],
    ),
    "mse_head_adam": ("mse", 0.0, None, ["5.weight", "5.bias"], dict(optimizer="adam")),
    "ce_head_adam_weight_decay": ("cross_entropy", 0.0, None, ["5.weight", "5.bias"],
                                  dict(optimizer="adam", weight_decay=0.01, beta1=0.8, eps=1e-6)),
    "ce_last2_adam": ("cross_entropy", 0.0, 2, ["3.weight", "3.bias", "5.weight", "5.bias"],
                      dict(optimizer="adam", beta2=0.99)),
    "mse_last2_momentum_weight_decay": ("mse", 0.9, 2, ["3.weight", "3.bias", "5.weight", "5.bias"],
                                        dict(weight_decay=0.05)),
}


def torch_optimizer(params, momentum, extra):
    """torch.optim's optimizer for a case: SGD(lr, momentum) or Adam, with the case's options."""
    opts = dict(extra)
    wd = opts.get("weight_decay", 0.0)
    if opts.get("optimizer") == "adam":
        betas = (opts.get("beta1", 0.9), opts.get("beta2", 0.999))
        return torch.optim.Adam(params, lr=LR, betas=betas, eps=opts.get("eps", 1e-8),
                                weight_decay=wd)
    return torch.optim.SGD(params, lr=LR, momentum=momentum, weight_decay=wd)
LR = 0.02


def _data(case_id):
    rng = np.random.default_rng(sum(map(ord, case_id)))
    xs = rng.normal(0, 1, (STEPS, 1, 2, 3)).astype(np.float32)
    ts = rng.normal(0, 1, (STEPS, 4)).astype(np.float32)
    labels = rng.integers(0, 4, STEPS).astype(np.uint16)
    return xs, ts, labels


def _torch_sgd(model, names, loss, momentum, xs, ts, labels, extra=()):
    return torch_steps(model, names, loss, lambda ps: torch_optimizer(ps, momentum, extra), xs, ts,
                       labels)


def _driver(name, loss):
    ns = name
    call = "model.learn(x, t)" if loss == "mse" else "model.learn(x, static_cast<uint16_t>(t[0]))"
    return f"""
  {{
    static {ns}::Model model;
    static float x[{ns}::kInputSize], t[{ns}::kOutputSize];
    static float factory[{ns}::kTrainableCount], learned[{ns}::kTrainableCount];
    static float w[{ns}::kTrainableCount];
    static uint8_t bytes[{ns}::kStoreBytes];
    model.get_trainable(factory);
{learn_loop_cpp(ns, call, STEPS)}
    // refused steps: NaN input, Inf target / out-of-range label; learned weights untouched
    x[0] = miniml::nan_f32();
    const bool r1 = !miniml::is_finite_f32({call});
    x[0] = 1.0f;
    t[0] = {"3.0e38f * 10.0f" if loss == "mse" else "99.0f"};
    const bool r2 = !miniml::is_finite_f32({call});
    model.get_trainable(w);
    const bool untouched = memcmp(w, learned, sizeof(w)) == 0 && model.refused_steps() == 2;
    // save, reset to factory, load back
    miniml::RamStore store(bytes, sizeof(bytes));
    store.erase();
    const bool empty = model.load(store) == miniml::kStoreEmpty;
    const bool saved = model.save(store) == miniml::kStoreOk;
    model.reset();
    model.get_trainable(w);
    const bool reset = memcmp(w, factory, sizeof(w)) == 0 && model.refused_steps() == 0;
    const bool loaded = model.load(store) == miniml::kStoreOk;
    model.get_trainable(w);
    const bool back = memcmp(w, learned, sizeof(w)) == 0;
    // learning rate 0: a valid step changes nothing; reset() restores the exported rate
    model.set_learning_rate(0.0f);
    x[0] = 0.5f;
    t[0] = 1.0f;
    const bool step = miniml::is_finite_f32({call});
    model.get_trainable(w);
    const bool lr0 = step && model.learning_rate() == 0.0f && memcmp(w, learned, sizeof(w)) == 0;
    model.reset();
    const bool lr = model.learning_rate() == {LR}f;
    printf("{ns} refused %d untouched %d empty %d saved %d reset %d loaded %d back %d lr0 %d lr %d "
           "sizeof %u\\n", r1 && r2, untouched, empty, saved, reset, loaded, back, lr0, lr,
           static_cast<unsigned>(sizeof(model)));
  }}"""


@pytest.fixture(scope="module")
def built():
    os.makedirs(OUT_DIR, exist_ok=True)
    results = {}
    blocks, includes, inputs = [], [], []
    for i, (case_id, (loss, momentum, trainable, names, *extra)) in enumerate(CASES.items()):
        extra = extra[0] if extra else {}
        model = _mlp(i)
        example = torch.zeros(1, 2, 3)
        rep = miniml.export(
            model,
            example,
            case_id,
            str(OUT_DIR),
            on_device_learning=True,
            loss=loss,
            learning_rate=LR,
            momentum=momentum,
            trainable=trainable,
            **extra,
        )
        plain = miniml.export(model, example, f"{case_id}_plain", str(OUT_DIR))
        xs, ts, labels = _data(case_id)
        includes += [f'#include "{case_id}.h"', f'#include "{case_id}_plain.h"']
        blocks.append(_driver(case_id, loss))
        blocks.append(
            f'  printf("{case_id}_plain sizeof %u\\n", '
            f"static_cast<unsigned>(sizeof({case_id}_plain::Model)));"
        )
        tcol = ts if loss == "mse" else np.repeat(labels[:, None].astype(np.float32), 4, axis=1)
        for s in range(STEPS):
            inputs.append(xs[s].ravel())
            inputs.append(tcol[s])
        want, want_losses = _torch_sgd(model, names, loss, momentum, xs, ts, labels, extra)
        results[case_id] = dict(
            report=rep,
            plain=plain,
            want=want,
            want_losses=want_losses,
            header=(OUT_DIR / f"{case_id}.h").read_text(),
        )
    src = "\n".join(
        [
            "#include <stdio.h>",
            "#include <string.h>",
            '#include "miniml/store_ram.h"',
            *includes,
            "int main(int argc, char** argv) {",
            "  if (argc != 3) return 2;",
            '  FILE* in = fopen(argv[1], "rb");',
            '  FILE* out = fopen(argv[2], "wb");',
            "  if (!in || !out) return 3;",
            *blocks,
            "  fclose(out);",
            "  return 0;",
            "}",
            "",
        ]
    )
    (OUT_DIR / "driver.cpp").write_text(src)
    exe = OUT_DIR / "driver"
    proc = subprocess.run(
        [
            "g++",
            *HOST_FLAGS,
            f"-I{INCLUDE}",
            f"-I{OUT_DIR}",
            str(OUT_DIR / "driver.cpp"),
            "-o",
            str(exe),
            "-lm",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    np.concatenate(inputs).astype(np.float32).tofile(OUT_DIR / "in.bin")
    run = subprocess.run(
        [str(exe), str(OUT_DIR / "in.bin"), str(OUT_DIR / "out.bin")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-5000:]
    raw = np.fromfile(OUT_DIR / "out.bin", dtype=np.float32)
    pos = 0
    for case_id, r in results.items():
        r["losses"] = raw[pos : pos + STEPS]
        pos += STEPS
        r["got"] = raw[pos : pos + r["want"].size]
        pos += r["want"].size
        line = re.search(rf"^{case_id} refused.*$", run.stdout, re.M).group(0)
        r["flags"] = dict(re.findall(r"(\w+) (\d+)", line.split(" ", 1)[1]))
        r["plain_sizeof"] = int(
            re.search(rf"^{case_id}_plain sizeof (\d+)", run.stdout, re.M).group(1)
        )
    assert pos == raw.size
    return results


@pytest.mark.parametrize("case_id", CASES)
def test_parity_learn(built, case_id):
    r = built[case_id]
    np.testing.assert_allclose(r["got"], r["want"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r["losses"], r["want_losses"], rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("case_id", CASES)
def test_learn_refuse_save_load(built, case_id):
    f = built[case_id]["flags"]
    keys = ("refused", "untouched", "empty", "saved", "reset", "loaded", "back", "lr0", "lr")
    assert {k: f[k] for k in keys} == {k: "1" for k in keys}


@pytest.mark.parametrize("case_id", CASES)
def test_training_ram_is_sizeof_difference(built, case_id):
    r = built[case_id]
    measured = int(r["flags"]["sizeof"])
    assert r["report"].ram_bytes == measured
    assert r["plain"].ram_bytes == r["plain_sizeof"]
    assert r["report"].training_ram_bytes == measured - r["plain_sizeof"] > 0


def test_latent_read_in_place(built):
    """The head's weight update reads the arena tensor predict() fed the final Linear: no copy."""
    text = built["mse_head"]["header"]
    head_input = re.findall(r"miniml::linear_f32<miniml::Ram>\(([^,]+),", text)
    assert len(head_input) == 1 and head_input[0].startswith("arena_")
    assert f"linear_weight_step_f32(sgd, t5_weight_, {head_input[0]}," in text
    assert "memcpy" not in text.split("float learn(")[1].split("return loss;")[0]


class _GruHead(nn.Module):
    """A recurrent backbone: the latent the head learns on is the GRU's last hidden state."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        return self.head(self.gru(x)[0][:, -1])


BACKBONES = {  # id -> (model, input shape, trained parameter names)
    "cnn": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(36, 5)), (1, 1, 8, 8), ["4.weight", "4.bias"]),
    "gru": (_GruHead, (1, 10, 3), ["head.weight", "head.bias"]),
}


@pytest.mark.parametrize("backbone", list(BACKBONES))
def test_parity_learn_backbone(tmp_path, backbone):
    """A backbone in flash (conv/pool or recurrent); the Linear head learns on its features in place."""
    make, shape, names = BACKBONES[backbone]
    torch.manual_seed(0)
    model = make().eval()
    miniml.export(
        model,
        torch.zeros(shape),
        "bb_head",
        str(tmp_path),
        on_device_learning=True,
        loss="cross_entropy",
        learning_rate=0.05,
        momentum=0.9,
    )
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((STEPS,) + shape).astype(np.float32)
    labels = rng.integers(0, 5, STEPS)
    data = ", ".join(f"{v:.9g}f" for v in xs.ravel())
    (tmp_path / "main.cpp").write_text(
        '#include <stdio.h>\n#include "bb_head.h"\nstatic bb_head::Model m;\n'
        f"static const float kX[] = {{{data}}};\n"
        f"static const unsigned short kY[] = {{{', '.join(map(str, labels))}}};\n"
        "static float w[bb_head::kTrainableCount];\n"
        "int main() {\n  for (int s = 0; s < "
        f"{STEPS}; ++s) m.learn(kX + bb_head::kInputSize * s, kY[s]);\n"
        "  m.get_trainable(w);\n  for (unsigned i = 0; i < bb_head::kTrainableCount; ++i) "
        'printf("%.9g\\n", static_cast<double>(w[i]));\n  return 0;\n}\n'
    )
    exe = tmp_path / "prog"
    build = subprocess.run(
        [
            "g++",
            *HOST_FLAGS,
            f"-I{INCLUDE}",
            f"-I{tmp_path}",
            str(tmp_path / "main.cpp"),
            "-o",
            str(exe),
            "-lm",
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    got = np.array(
        subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(),
        np.float32,
    )
    want, _ = _torch_sgd_labels(model, names, xs, labels, lr=0.05, momentum=0.9)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _torch_sgd_labels(model, names, xs, labels, lr, momentum):
    m = copy.deepcopy(model)
    params = dict(m.named_parameters())
    opt = torch.optim.SGD([params[n] for n in names], lr=lr, momentum=momentum)
    for x, y in zip(xs, labels):
        loss = F.cross_entropy(m(torch.from_numpy(x)), torch.tensor([int(y)]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return np.concatenate([params[n].detach().numpy().ravel() for n in names]), None
