"""Vibration monitoring with a 1-D residual CNN: 64-sample accelerometer windows -> normal /
imbalance / bearing.

Synthetic windows (no download): a shaft tone with random phase and speed, plus a strong 1x/2x tone
for imbalance or periodic decaying impulses for a bearing fault, plus noise. Saves `vibration.pt2`,
`calibration.npy` (representative windows for int8) and `include/samples.h` (a few windows with
their labels for the firmware).
  python model.py
"""

import math
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ("normal", "imbalance", "bearing")
WINDOW = 64
SAMPLES = 6


def windows(n: int, gen: torch.Generator):
    t = torch.arange(WINDOW, dtype=torch.float32)
    label = torch.randint(0, 3, (n,), generator=gen)
    freq = (0.04 + 0.03 * torch.rand(n, 1, generator=gen)) * 2 * math.pi
    phase = torch.rand(n, 1, generator=gen) * 2 * math.pi
    x = 0.5 * torch.sin(freq * t + phase) + 0.15 * torch.randn(n, WINDOW, generator=gen)
    imb = (label == 1).float().unsqueeze(1)
    x = x + imb * (1.2 * torch.sin(freq * t + phase) + 0.4 * torch.sin(2 * freq * t + phase))
    period = torch.randint(9, 14, (n, 1), generator=gen)
    start = torch.randint(0, 9, (n, 1), generator=gen)
    since = torch.remainder(t - start, period)
    burst = torch.exp(-since / 1.5) * torch.sin(2.5 * since)
    x = x + (label == 2).float().unsqueeze(1) * 1.5 * burst
    return x.unsqueeze(1), label


class Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.BatchNorm1d(channels),
        )

    def forward(self, x):
        return torch.relu(x + self.body(x))


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(1, 8, 5, stride=2, padding=2),
        nn.BatchNorm1d(8),
        nn.ReLU(),  # 8 x 32
        Residual(8),
        nn.MaxPool1d(2),  # 8 x 16
        Residual(8),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )


def _literal(v: float) -> str:
    """A C++ float literal that round-trips (9 significant digits, always with a '.' or an
    exponent).
    """
    text = "%.9g" % v
    return text + ("f" if ("." in text or "e" in text) else ".0f")


def main() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = windows(6000, gen)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(15):
        for i in range(0, len(x), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i : i + 100]), y[i : i + 100]).backward()
            opt.step()
    model.eval()
    x_test, y_test = windows(1000, gen)
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    torch.export.save(
        torch.export.export(model, (x_test[:1].clone(),)), os.path.join(HERE, "vibration.pt2")
    )
    np.save(
        os.path.join(HERE, "calibration.npy"), x[:64].numpy()
    )  # int8 ranges (used by the uno env)
    with open(os.path.join(HERE, "include", "samples.h"), "w") as f:
        f.write(
            "// Test windows for the firmware, written by model.py: 64 accelerometer samples\n"
            "// each, and labels, in flash (MINIML_ROM): read with miniml::rom_read.\n"
        )
        f.write(
            "#ifndef VIBRATION_SAMPLES_H_\n#define VIBRATION_SAMPLES_H_\n"
            '#include <stdint.h>\n#include "miniml/core_rom.h"\n'
        )
        f.write(f"const uint8_t kSampleCount = {SAMPLES};\n")
        f.write(
            f"const uint8_t kSampleLabels[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(v)) for v in y_test[:SAMPLES])
            + "};\n"
        )
        with torch.no_grad():
            predicted = model(x_test[:SAMPLES]).argmax(1)
        f.write("// PyTorch's predictions for the same windows.\n")
        f.write(
            f"const uint8_t kSamplePredicted[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(v)) for v in predicted)
            + "};\n"
        )
        f.write(f"const float kSampleWindows[{SAMPLES}][{WINDOW}] MINIML_ROM = {{\n")
        for row in x_test[:SAMPLES, 0]:
            f.write("    {" + ", ".join(_literal(float(v)) for v in row) + "},\n")
        f.write("};\n#endif  // VIBRATION_SAMPLES_H_\n")
    print(f"test accuracy {accuracy:.3f}; saved vibration.pt2, calibration.npy, include/samples.h")


if __name__ == "__main__":
    main()
