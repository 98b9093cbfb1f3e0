"""On-device learning options: parsed and checked once, so the pass and the emitter see clean
values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple, Union

from ..errors import OptionError

LOSSES = ("mse", "cross_entropy")
FLT_MAX = 3.4028234663852886e38  # the largest float32: the device keeps the rate in a float
FLT_MIN = 1.1754943508222875e-38  # the smallest normal float32; smaller rates flush to 0 or denormals


@dataclass(frozen=True)
class TrainOptions:
    """loss: "mse" | "cross_entropy"; learning_rate > 0; 0 <= momentum < 1 (torch.optim.SGD,
    dampening 0);
    trainable: None (the final Linear), k (the last k Linear layers) or a tuple of names (torch
    parameter
    names such as "head.weight", "net.0.bias", or module names such as "head" for weight and
    bias)."""

    loss: str = "mse"
    learning_rate: float = 0.01
    momentum: float = 0.0
    trainable: Union[None, int, Tuple[str, ...]] = None


def parse_train_options(options: Mapping[str, Any]) -> Optional[TrainOptions]:
    """None when on_device_learning is off (then loss/learning_rate/momentum/trainable must be
    defaults
    or unset, else the user probably forgot on_device_learning=True)."""
    if not options.get("on_device_learning"):
        return None
    loss = options.get("loss", "mse")
    if loss not in LOSSES:
        raise OptionError(f"loss={loss!r}: use 'mse' (regression) or 'cross_entropy' (classes)")
    lr = options.get("learning_rate", 0.01)
    if (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0
            or not FLT_MIN <= lr <= FLT_MAX):
        raise OptionError(
            f"learning_rate={lr!r}: give a number > 0 that a float holds (about 1e-38 to 3e38), "
            "e.g. 0.01"
        )
    momentum = options.get("momentum", 0.0)
    if (
        isinstance(momentum, bool)
        or not isinstance(momentum, (int, float))
        or not 0.0 <= momentum < 1.0
    ):
        raise OptionError(
            f"momentum={momentum!r}: give a number in [0, 1), e.g. 0.9 (0 = plain SGD)"
        )
    trainable = options.get("trainable")
    if trainable is not None:
        if isinstance(trainable, bool):
            raise OptionError(
                f"trainable={trainable!r}: give a number of layers or parameter names"
            )
        if isinstance(trainable, int):
            if trainable < 1:
                raise OptionError(
                    f"trainable={trainable}: give the number of last Linear layers >= 1"
                )
        elif isinstance(trainable, str):  # the CLI's --trainable: "2" or "head,body.0.bias"
            text = trainable.strip()
            if text.isdigit():
                return parse_train_options({**options, "trainable": int(text)})
            trainable = tuple(t.strip() for t in text.split(",") if t.strip())
            if not trainable:
                raise OptionError(f"trainable={text!r}: give a number of layers or parameter names")
        elif isinstance(trainable, (list, tuple)) and all(isinstance(t, str) for t in trainable):
            trainable = tuple(trainable)
            if not trainable:
                raise OptionError("trainable=[]: name at least one parameter (or leave it None)")
        else:
            raise OptionError(
                f"trainable={trainable!r}: use None (final Linear), an int k (last k Linear "
                "layers) or "
                "a list of names, e.g. ['head', 'body.0.bias']"
            )
    return TrainOptions(str(loss), float(lr), float(momentum), trainable)
