"""Generates the models the embedded suites run: small PyTorch nets saved as .pt2 (torch.export.save), then
exported with golden vectors through the public CLI, into build/test_models/ (never committed).

  mlp.h  Linear(8,16) - ReLU - Linear(16,4)                            golden=4
  cnn.h  Conv2d(1,4,3) - ReLU - Flatten - Linear(4*6*6, 3) on 1x8x8   golden=2
  learn.h  Linear(8,8) - ReLU - Linear(8,2), on-device learning of the head (momentum 0.9)  golden=4
  learn_adam.h  Linear(4,4) - ReLU - Linear(4,3), cross-entropy, Adam with weight decay on both Linears  golden=4
  learn_conv.h  Conv1d - ReLU - depthwise Conv1d - BatchNorm1d - ReLU - MaxPool1d - Linear on 1x8;
             output channels 0 and 2 of the depthwise conv (folded with its BatchNorm) and its bias,
             the first conv's bias (its weight stays in flash: AVR reads the two through different
             memory policies), output row 1 of the head's weight and its bias learn (sparse channel
             update)  golden=4
  learn_s8.h  int8 Conv1d - ReLU - Conv1d - ReLU - Conv1d - ReLU - MaxPool1d - Linear - ReLU - Linear on
             1x8 (learn_s8_cal.npy): the middle conv learns in float (from its dequantised int8 weights),
             the conv and Linear after it stay int8 (frozen), the head learns its bias  golden=4
  autoenc.h  1-D conv autoencoder (Conv1d, GroupNorm, PReLU, ConvTranspose1d, ELU, Upsample) on 1x8
             with two outputs: the reconstruction and its per-sample anomaly score  golden=3
  autoenc_s8.h  that autoencoder architecture in int8 (calibration: 64 seeded normal samples, autoenc_cal.npy);
             golden = the int8 model's own outputs (the integer reference)  golden=3
  mix_s8.h   int8 on 1x2x2x2: Conv2d, channel shuffle, LeakyReLU, bilinear to 3x4, mean over channels
             and rows, a tensor division, Hardswish, pad, sum over rows (mix_cal.npy)  golden=1

Usage: .venv/bin/python scripts/make_test_models.py [--out build/test_models] [--force]
Skips the work when this script and the exporter's sources are unchanged since the last run (hash stamp).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = {"mlp": 4, "cnn": 2, "learn": 4, "learn_adam": 4, "learn_conv": 4, "learn_s8": 4,
          "autoenc": 3,
          "autoenc_s8": 3, "mix_s8": 1}
EXTRA = {"learn": ["--on-device-learning", "--learning-rate", "0.05", "--momentum", "0.9"],
         "learn_adam": ["--on-device-learning", "--loss", "cross_entropy", "--optimizer", "adam",
                        "--weight-decay", "0.01", "--trainable", "2"],
         "learn_conv": ["--on-device-learning", "--learning-rate", "0.05", "--momentum", "0.9",
                        "--trainable", "0.bias,2.weight[0,2],2.bias,7.weight[1],7.bias"],
         "learn_s8": ["--quantize", "int8", "--calibration", "{out}/learn_s8_cal.npy",
                      "--on-device-learning", "--loss", "cross_entropy", "--learning-rate", "0.05",
                      "--momentum", "0.9", "--trainable", "2.weight,2.bias,10.bias"],
         "autoenc_s8": ["--quantize", "int8", "--calibration", "{out}/autoenc_cal.npy"],
         "mix_s8": ["--quantize", "int8", "--calibration", "{out}/mix_cal.npy"]}


def _stamp() -> str:
    h = hashlib.sha256()
    files = [Path(__file__)] + sorted((REPO / "platformio_plugin" / "miniml").rglob("*.py"))
    for f in files:
        h.update(str(f.relative_to(REPO)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _models():
    import torch
    from torch import nn

    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()
    learn = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)).eval()  # fits the Uno with Unity
    learn_adam = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3)).eval()  # beside learn.h on the Uno
    learn_conv = nn.Sequential(nn.Conv1d(1, 3, 3, padding=1), nn.ReLU(),
                               nn.Conv1d(3, 3, 3, padding=1, groups=3), nn.BatchNorm1d(3), nn.ReLU(),
                               nn.MaxPool1d(2), nn.Flatten(), nn.Linear(12, 2)).eval()
    with torch.no_grad():  # BatchNorm statistics that are not the identity, so the fold matters
        learn_conv[3].running_mean.uniform_(-0.5, 0.5)
        learn_conv[3].running_var.uniform_(0.5, 1.5)
        learn_conv[3].weight.uniform_(0.5, 1.5)
    return {"mlp": (mlp, torch.randn(1, 8)), "cnn": (cnn, torch.randn(1, 1, 8, 8)),
            "learn": (learn, torch.randn(1, 8)), "learn_adam": (learn_adam, torch.randn(1, 4)),
            "learn_conv": (learn_conv, torch.randn(1, 1, 8)),
            "learn_s8": (_learn_s8(), torch.zeros(1, 1, 8)),
            "autoenc": (_autoencoder(), torch.randn(1, 1, 8)),
            "autoenc_s8": (_autoencoder(), torch.randn(1, 1, 8)),
            "mix_s8": (_mix(), torch.randn(1, 2, 2, 2))}


def _learn_s8():
    import torch
    from torch import nn

    with torch.random.fork_rng():  # its own seed: the other models keep theirs
        torch.manual_seed(7)
        return nn.Sequential(nn.Conv1d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv1d(3, 3, 3, padding=1),
                             nn.ReLU(), nn.Conv1d(3, 3, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2),
                             nn.Flatten(), nn.Linear(12, 4), nn.ReLU(), nn.Linear(4, 3)).eval()


def _autoencoder():
    """Small enough for the Uno beside Unity and the other models (arena < 300 B); two heads."""
    from torch import nn

    class AutoEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encode = nn.Sequential(nn.Conv1d(1, 4, 3, stride=2, padding=1), nn.GroupNorm(2, 4),
                                        nn.PReLU(4))
            self.decode = nn.Sequential(nn.ConvTranspose1d(4, 4, 4, stride=2, padding=1), nn.ELU(),
                                        nn.Upsample(scale_factor=0.5, mode="linear"),
                                        nn.Conv1d(4, 1, 3, padding=1), nn.Upsample(scale_factor=2))

        def forward(self, x):
            y = self.decode(self.encode(x))
            return y, ((y - x) ** 2).mean(2)

    return AutoEncoder().eval()


def _mix():
    """#11's int8 kernels beyond the autoencoder's, in one small model for the boards."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Mix(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            y = y.view(1, 2, 2, 2, 2).transpose(1, 2).reshape(1, 4, 2, 2)  # channel shuffle
            y = F.interpolate(F.leaky_relu(y, 0.2), size=(3, 4), mode="bilinear")
            m = y.mean((1, 2), keepdim=True)  # 12 values: 1/12 folded into the multiplier
            d = F.hardswish(m / (1.5 + torch.sigmoid(m)))
            return F.pad(d, (1, 0, 0, 1)).sum(2)

    return Mix().eval()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "build" / "test_models"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp_file = out / ".stamp"
    stamp = _stamp()
    headers = [out / ("%s.h" % name) for name in GOLDEN]
    if not args.force and stamp_file.is_file() and stamp_file.read_text() == stamp and all(
        h.is_file() for h in headers
    ):
        print("[miniml] test models up to date in %s" % out)
        return 0

    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    np.save(out / "autoenc_cal.npy", rng.standard_normal((64, 1, 8)).astype(np.float32))
    np.save(out / "mix_cal.npy", rng.standard_normal((64, 2, 2, 2)).astype(np.float32))
    np.save(out / "learn_s8_cal.npy", rng.standard_normal((64, 1, 8)).astype(np.float32))
    for name, (model, example) in _models().items():
        pt2 = out / ("%s.pt2" % name)
        with torch.no_grad():
            torch.export.save(torch.export.export(model, (example,)), str(pt2))
        cmd = [sys.executable, "-m", "miniml", "export", str(pt2), "--name", name, "--out", str(out),
               "--golden", str(GOLDEN[name]), *(a.format(out=out) for a in EXTRA.get(name, []))]
        subprocess.run(cmd, check=True, cwd=REPO)
    stamp_file.write_text(stamp)
    print("[miniml] test models written to %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
