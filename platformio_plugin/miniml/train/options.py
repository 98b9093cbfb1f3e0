"""On-device learning options: parsed and checked once (by the option table, miniml/options.py), so
the pass and the emitter see clean values."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping, Optional, Tuple, Union

from ..errors import OptionError
from ..options import api_value


@dataclass(frozen=True)
class TrainOptions:
    """loss: "mse" | "cross_entropy"; learning_rate > 0; optimizer "sgd" (torch.optim.SGD,
    0 <= momentum < 1, dampening 0) or "adam" (torch.optim.Adam: beta1, beta2, eps); weight_decay
    >= 0 for both; spare_classes: output rows reserved for add_class() (cross-entropy); trainable: None (the final Linear), k (the last k Linear layers) or a tuple of
    names (torch parameter names such as "head.weight", "net.0.bias", or module names such as
    "head" for weight and bias)."""

    loss: str = "mse"
    learning_rate: float = 0.01
    momentum: float = 0.0
    trainable: Union[None, int, Tuple[str, ...]] = None
    optimizer: str = "sgd"
    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    spare_classes: int = 0
    train_budget: Optional[int] = None  # bytes of training RAM; the exporter picks trainable


TRAIN_OPTION_NAMES = tuple(f.name for f in fields(TrainOptions))


def parse_train_options(options: Mapping[str, Any]) -> Optional[TrainOptions]:
    """None when on_device_learning is off."""
    if not api_value("on_device_learning", options):
        return None
    opts = TrainOptions(*(api_value(name, options) for name in TRAIN_OPTION_NAMES))
    if opts.optimizer == "adam" and opts.momentum:
        raise OptionError(
            f"momentum={opts.momentum!r} is an SGD option; optimizer='adam' uses beta1 (its "
            "first-moment decay) instead: remove momentum or use optimizer='sgd'"
        )
    return opts
