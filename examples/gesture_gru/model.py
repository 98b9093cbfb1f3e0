"""Gesture recognition from an IMU stream with a GRU: 3-axis accelerometer samples -> rest / shake / circle,
answered after every sample (streaming).

Synthetic IMU windows (no download): rest is gravity on z plus noise; shake a fast x oscillation; circle a
slow rotation in the x-y plane; random amplitude, speed and phase. GRU(3->16) + Linear(16->3) on the last
step, trained on 24-sample windows. Saves `gesture.pt2` and `include/samples.h` (a few windows with their
labels and PyTorch's predictions, for the firmware). The build exports it with custom_miniml_streaming = yes,
so the firmware feeds one sample at a time to Model::step().
  python model.py
"""

import math
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ("rest", "shake", "circle")
STEPS = 24
SAMPLES = 6


def windows(n: int, gen: torch.Generator):
    t = torch.arange(STEPS, dtype=torch.float32).unsqueeze(0)
    label = torch.randint(0, 3, (n,), generator=gen)
    amp = 0.6 + 0.8 * torch.rand(n, 1, generator=gen)
    phase = torch.rand(n, 1, generator=gen) * 2 * math.pi
    fast = (0.45 + 0.2 * torch.rand(n, 1, generator=gen)) * 2 * math.pi / 2
    slow = (0.8 + 0.4 * torch.rand(n, 1, generator=gen)) * 2 * math.pi / STEPS
    x = 0.1 * torch.randn(n, STEPS, 3, generator=gen)
    x[:, :, 2] += 1.0  # gravity
    shake = (label == 1).float().unsqueeze(1)
    circle = (label == 2).float().unsqueeze(1)
    x[:, :, 0] += shake * amp * torch.sin(fast * t + phase) + circle * amp * torch.sin(slow * t + phase)
    x[:, :, 1] += circle * amp * torch.cos(slow * t + phase)
    return x, label


class GestureGru(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 16, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):  # x: [1, STEPS, 3]
        return self.head(self.gru(x)[0][:, -1])


def _literal(v: float) -> str:
    """A C++ float literal that round-trips (9 significant digits, always with a '.' or an exponent)."""
    text = "%.9g" % v
    return text + ("f" if ("." in text or "e" in text) else ".0f")


def main() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = windows(3000, gen)
    model = GestureGru()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(6):
        for i in range(0, len(x), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i : i + 100]), y[i : i + 100]).backward()
            opt.step()
    model.eval()
    x_test, y_test = windows(600, gen)
    pick = torch.cat([torch.nonzero(y_test == k)[: SAMPLES // 3, 0] for k in range(3)])
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        predicted = model(x_test[pick]).argmax(1)
    torch.export.save(torch.export.export(model, (x_test[:1].clone(),)), os.path.join(HERE, "gesture.pt2"))
    with open(os.path.join(HERE, "include", "samples.h"), "w") as f:
        f.write(
            "// Test windows for the firmware, written by model.py: 24 samples of 3 axes each, their labels\n"
            "// and PyTorch's predictions, in flash (MINIML_ROM): read with miniml::rom_read.\n"
            "#ifndef GESTURE_SAMPLES_H_\n#define GESTURE_SAMPLES_H_\n"
            '#include <stdint.h>\n#include "miniml/core_rom.h"\n'
            f"const uint8_t kSampleCount = {SAMPLES};\n"
            f"const uint8_t kSampleLabels[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(v)) for v in y_test[pick]) + "};\n"
            f"const uint8_t kSamplePredicted[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(v)) for v in predicted) + "};\n"
            f"const float kSampleWindows[{SAMPLES}][{STEPS * 3}] MINIML_ROM = {{\n"
        )
        for row in x_test[pick]:
            f.write("    {" + ", ".join(_literal(float(v)) for v in row.reshape(-1)) + "},\n")
        f.write("};\n#endif  // GESTURE_SAMPLES_H_\n")
    print(f"test accuracy {accuracy:.3f}; saved gesture.pt2, include/samples.h")


if __name__ == "__main__":
    main()
