"""Dropout (also in place, as torchvision's nn.Dropout(inplace=True)) in eval mode is the identity ("alias"); in training mode it is refused."""
from __future__ import annotations

from ..errors import TrainingModeError
from .registry import AtenCall, LowerCtx, lowering
from .view import lower_alias


@lowering("aten.dropout.default", "aten.feature_dropout.default", "aten.alpha_dropout.default",
          "aten.native_dropout.default", "aten.dropout_.default", "aten.feature_dropout_.default",
          "aten.alpha_dropout_.default", "aten.feature_alpha_dropout.default",
          "aten.feature_alpha_dropout_.default")
def lower_dropout(ctx: LowerCtx, call: AtenCall):
    train = call.arg(2, "train", False)
    if train:
        raise TrainingModeError(
            f"{ctx.where()}: dropout in training mode; call model.eval() before exporting"
        )
    return lower_alias(ctx, call)
