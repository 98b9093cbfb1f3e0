"""Sensor calibration, the on-device-learning use case: a base model trained on many "generic"
sensors, whose last layer then adapts on the board to one new sensor's gain and offset from a few
reference readings.

Inputs (normalised): raw reading / 10, (temperature - 25) / 25, (supply - 3.3) / 0.3. Output: true
value / 10. Saves `sensor.pt2` and checks in PyTorch that training only the last Linear with SGD
(what the board does) halves the error on a new sensor; src/main.cpp repeats that experiment on the
board with the same sensor law.
  python model.py
"""

import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def readings(
    n: int, gain: torch.Tensor, offset: torch.Tensor, tc: torch.Tensor, gen: torch.Generator
):
    """The sensor law (same as read_new_sensor() in include/sensor_law.h): raw = gain*true + offset
    + tc*(temp-25) + ..."""
    true = torch.rand(n, generator=gen) * 10
    temp = torch.rand(n, generator=gen) * 50
    vcc = 3.0 + torch.rand(n, generator=gen) * 0.6
    raw = gain * true + offset + tc * (temp - 25) + 0.05 * (vcc - 3.3)
    raw = raw + 0.02 * torch.randn(n, generator=gen)
    x = torch.stack([raw / 10, (temp - 25) / 25, (vcc - 3.3) / 0.3], dim=1)
    return x, (true / 10).unsqueeze(1)


def generic(n: int, gen: torch.Generator):
    gain = 0.9 + 0.2 * torch.rand(n, generator=gen)
    offset = -0.5 + torch.rand(n, generator=gen)
    tc = 0.01 + 0.02 * torch.rand(n, generator=gen)
    return readings(n, gain, offset, tc, gen)


def main() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = generic(20000, gen)
    model = nn.Sequential(
        nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(20):
        for i in range(0, len(x), 200):
            opt.zero_grad()
            nn.functional.mse_loss(model(x[i : i + 200]), y[i : i + 200]).backward()
            opt.step()
    model.eval()
    torch.export.save(
        torch.export.export(model, (torch.zeros(1, 3),)), os.path.join(HERE, "sensor.pt2")
    )

    # The new sensor, outside the generic range (as in src/main.cpp): gain 1.25, offset +0.8, tc
    # 0.03.
    new = lambda n: readings(n, torch.tensor(1.25), torch.tensor(0.8), torch.tensor(0.03), gen)  # noqa: E731
    x_test, y_test = new(200)
    head = model[-1]
    sgd = torch.optim.SGD(head.parameters(), lr=0.05)
    with torch.no_grad():
        before = (model(x_test) - y_test).abs().mean().item() * 10
    x_new, y_new = new(300)
    for i in range(300):
        sgd.zero_grad()
        nn.functional.mse_loss(model(x_new[i : i + 1]), y_new[i : i + 1]).backward()
        sgd.step()
    with torch.no_grad():
        after = (model(x_test) - y_test).abs().mean().item() * 10
    print(
        f"saved sensor.pt2; new sensor mean error {before:.3f} -> {after:.3f} "
        "after 300 last-layer SGD steps"
    )


if __name__ == "__main__":
    main()
