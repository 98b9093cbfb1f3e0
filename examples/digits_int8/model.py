"""Handwritten digits (scikit-learn's bundled 8x8 digits, no download) with a small CNN, for int8 on
an Uno.

Saves `digits.pt2` (the float model), `calibration.npy` (representative inputs for the int8 ranges)
and `include/samples.h` (a few test digits with their labels, for the firmware) next to this file.
  python model.py
"""

import os

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = 8


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8 x 4 x 4
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 2 x 2
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def main() -> None:
    torch.manual_seed(0)
    digits = load_digits()
    images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(
        1
    )  # N x 1 x 8 x 8 in [0, 1]
    labels = torch.tensor(digits.target)
    perm = torch.randperm(len(images))
    train, test = perm[:1500], perm[1500:]
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(30):
        for batch in train.split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(images[test]).argmax(1) == labels[test]).float().mean().item()
    torch.export.save(
        torch.export.export(model, (images[:1].clone(),)), os.path.join(HERE, "digits.pt2")
    )
    np.save(os.path.join(HERE, "calibration.npy"), images[train[:64]].numpy())
    with open(os.path.join(HERE, "include", "samples.h"), "w") as f:
        f.write(
            "// Test digits for the firmware, written by model.py: 8x8 images in [0, 1]\n"
            "// and their labels, in flash (MINIML_ROM): read with miniml::rom_read.\n"
        )
        f.write(
            "#ifndef DIGITS_SAMPLES_H_\n#define DIGITS_SAMPLES_H_\n"
            '#include <stdint.h>\n#include "miniml/core_rom.h"\n'
        )
        f.write(f"const uint8_t kSampleCount = {SAMPLES};\n")
        f.write(
            f"const uint8_t kSampleLabels[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(labels[i])) for i in test[:SAMPLES])
            + "};\n"
        )
        with torch.no_grad():
            predicted = model(images[test[:SAMPLES]]).argmax(1)
        f.write("// PyTorch's (float) predictions for the same digits.\n")
        f.write(
            f"const uint8_t kSamplePredicted[{SAMPLES}] MINIML_ROM = {{"
            + ", ".join(str(int(v)) for v in predicted)
            + "};\n"
        )
        # Pixels as 0..16 integers (the dataset's own values) to keep the samples small in flash.
        f.write(f"const uint8_t kSamplePixels[{SAMPLES}][64] MINIML_ROM = {{\n")
        for i in test[:SAMPLES]:
            f.write("    {" + ", ".join(str(int(v)) for v in digits.images[i].reshape(-1)) + "},\n")
        f.write("};\n#endif  // DIGITS_SAMPLES_H_\n")
    print(
        f"float test accuracy {accuracy:.3f}; saved digits.pt2, calibration.npy, include/samples.h"
    )


if __name__ == "__main__":
    main()
