"""Helpers for the training tests: host C++ builds (g++, ASan/UBSan, -Werror, -ffp-contract=off)
and float literals."""

import pathlib
import subprocess

import numpy as np
import toolchains

REPO = pathlib.Path(__file__).resolve().parents[3]
INCLUDE = REPO / "include"
CPP = pathlib.Path(__file__).resolve().parent / "cpp"

HOST_FLAGS = toolchains.HOST_FLAGS


def torch_steps(model, names, loss, make_optimizer, xs, ts, labels):
    """make_optimizer(params) (a torch.optim optimizer) on a copy of `model`, one step per sample
    xs[s] (with its batch dimension): MSE against ts[s] or cross-entropy against labels[s]. Returns
    the named parameters afterwards (concatenated, in `names` order) and the loss before each step."""
    import copy

    import torch
    import torch.nn.functional as F

    from miniml.channel_rows import parse
    from miniml.train.golden import frozen_rows

    m = copy.deepcopy(model)
    params = dict(m.named_parameters())
    names, rows = zip(*(parse(n) for n in names))  # "3.weight[0,2]": output channels 0 and 2 learn
    for n in names:  # e.g. the bias a BatchNorm fold gave a conv: created not requiring grad
        params[n].requires_grad_(True)
    opt = make_optimizer([params[n] for n in names])
    losses = []
    for s in range(len(xs)):
        y = m(torch.from_numpy(xs[s]))
        if loss == "mse":
            lv = F.mse_loss(y, torch.from_numpy(ts[s])[None])
        else:
            lv = F.cross_entropy(y, torch.tensor([int(labels[s])]))
        opt.zero_grad()
        lv.backward()
        with frozen_rows([params[n] for n in names], rows):
            opt.step()
        losses.append(lv.item())
    flat = np.concatenate([params[n].detach().numpy()[slice(None) if r is None else list(r)].ravel()
                           for n, r in zip(names, rows)])
    return flat, np.array(losses, np.float32)


def learn_loop_cpp(ns: str, call: str, steps: int) -> str:
    """C++ of a host driver: `steps` times read x and t from `in`, write learn()'s loss (the `call`
    expression) to `out`; then write the learned parameters (`learned`, kTrainableCount floats)."""
    return f"""    for (int s = 0; s < {steps}; ++s) {{
      if (fread(x, sizeof(float), {ns}::kInputSize, in) != {ns}::kInputSize) return 4;
      if (fread(t, sizeof(float), {ns}::kOutputSize, in) != {ns}::kOutputSize) return 4;
      const float l = {call};
      fwrite(&l, sizeof(float), 1, out);
    }}
    model.get_trainable(learned);
    fwrite(learned, sizeof(float), {ns}::kTrainableCount, out);"""


def f32(value) -> str:
    """A C++ float literal that round-trips: %.9g, with a '.0' where %.9g gives an integer."""
    text = f"{float(np.float32(value)):.9g}"
    if not any(c in text for c in ".e"):
        text += ".0"
    return text + "f"


def f32_array(name: str, values) -> str:
    """A C++ float array literal, every value %.9g so it round-trips exactly."""
    flat = np.asarray(values, dtype=np.float32).ravel()
    body = ", ".join(f32(v) for v in flat) or "0.0f"
    return f"static const float {name}[{max(flat.size, 1)}] = {{{body}}};\n"


class HostBuild:
    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp

    def run(self, source: str, header: str = "", defines=(), args=(), check=True, include=()):
        """Builds CPP/<source> with `header` as case.h, runs it, returns the completed process."""
        (self.tmp / "case.h").write_text(header)
        exe = self.tmp / "prog"
        cmd = [
            "g++",
            *HOST_FLAGS,
            f"-I{INCLUDE}",
            f"-I{self.tmp}",
            *[f"-I{d}" for d in include],
            *[f"-D{d}" for d in defines],
            str(CPP / source),
            "-o",
            str(exe),
            "-lm",
        ]
        built = subprocess.run(cmd, capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)
        if check:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc
