"""On-device learning options: parsed and checked once (by the option table, miniml/options.py), so
the pass and the emitter see clean values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Tuple, Union

from ..options import api_value


@dataclass(frozen=True)
class TrainOptions:
    """loss: "mse" | "cross_entropy"; learning_rate > 0; 0 <= momentum < 1 (torch.optim.SGD,
    dampening 0); trainable: None (the final Linear), k (the last k Linear layers) or a tuple of
    names (torch parameter names such as "head.weight", "net.0.bias", or module names such as
    "head" for weight and bias)."""

    loss: str = "mse"
    learning_rate: float = 0.01
    momentum: float = 0.0
    trainable: Union[None, int, Tuple[str, ...]] = None
    budget: Optional[int] = None  # train_budget: bytes of training RAM; the exporter picks trainable


def parse_train_options(options: Mapping[str, Any]) -> Optional[TrainOptions]:
    """None when on_device_learning is off."""
    if not api_value("on_device_learning", options):
        return None
    opts = TrainOptions(*(api_value(k, options) for k in ("loss", "learning_rate", "momentum",
                                                            "trainable")))
    return replace(opts, budget=api_value("train_budget", options))
