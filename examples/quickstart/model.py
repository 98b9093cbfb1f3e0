"""Quickstart model: a small MLP that says in which of three regions of the plane a point (x, y)
lies.

Trains in a few seconds on CPU and saves `mlp.pt2` next to this file; the build hook turns it into
`mlp.h`.
  python model.py
"""

import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REGIONS = ("inside the circle", "below the diagonal", "above the diagonal")


def label(points: torch.Tensor) -> torch.Tensor:
    """0 inside the circle of radius 0.5, else 1 below the line y = x, else 2."""
    x, y = points[:, 0], points[:, 1]
    inside = x * x + y * y < 0.25
    return torch.where(inside, 0, torch.where(y < x, 1, 2))


def main() -> None:
    torch.manual_seed(0)
    points = torch.rand(4000, 2) * 2 - 1
    labels = label(points)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(400):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(points), labels)
        loss.backward()
        opt.step()
    model.eval()
    test = torch.rand(1000, 2) * 2 - 1
    with torch.no_grad():
        accuracy = (model(test).argmax(1) == label(test)).float().mean().item()
    program = torch.export.export(model, (torch.zeros(1, 2),))
    torch.export.save(program, os.path.join(HERE, "mlp.pt2"))
    print(f"test accuracy {accuracy:.3f}; saved mlp.pt2")


if __name__ == "__main__":
    main()
