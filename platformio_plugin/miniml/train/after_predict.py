"""learn_after_predict(): the step for the input of the last predict(), without its forward pass.

predict() already leaves what the backward step reads: the layer inputs it keeps alive in the arena
(split_training's keep_alive) and, with this, a copy of its output in the loss-gradient buffer and of
its input when a first-layer weight learns. A flag (a Model member) says they belong to the last
predict() and the current weights: predict() sets it; learn(), learn_after_predict(), reset(), a
successful load() and add_class() clear it. learn() is predict() into that buffer plus this step.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional

from ..ir import DType, Graph


class AfterPredict:
    def __init__(self, member: Any, dy: str) -> None:
        self.dy = dy
        self.member = member
        self.ready = member("train_ready_", 1, "1 while the arena holds the last predict()'s "
                            "activations, for learn_after_predict()", DType.S32)
        self.input_copy: Optional[str] = None

    def keep_input_if_read(self, g: Graph, step_lines: List[str]) -> None:
        """The step's lines name the model input (`input`, e.g. a first layer's weight gradient):
        predict() then keeps a copy, which learn_after_predict() reads under that name."""
        if re.search(r"\binput\b", "\n".join(step_lines)):
            self.input_copy = self.member("train_input_", g.tensor(g.inputs[0]).numel,
                                          "learn_after_predict(): the last predict()'s input")

    @property
    def invalidate(self) -> str:
        return f"{self.ready}[0] = 0;"

    def predict_lines(self) -> List[str]:
        """Appended to predict(): keep the output (learn() predicts into the buffer itself)."""
        lines = [f"    if (output != {self.dy}) memcpy({self.dy}, output, sizeof(float) * kOutputSize);"]
        if self.input_copy:
            lines.append(f"    memcpy({self.input_copy}, input, sizeof({self.input_copy}));")
        return lines + [f"    {self.ready}[0] = 1;"]

    def entry_points(self, loss: str, refuse: str, classes: str, ce_call: str) -> List[str]:
        """learn() and the head of learn_after_predict(), up to the loss gradient in dy; classes:
        the C++ count of valid labels, ce_call: the cross-entropy call (train_loss.h or, with spare
        classes, train_classes.h)."""
        dy, ready = self.dy, self.ready
        doc = [
            "  // One optimizer step on one sample; returns the loss before the step. A step whose input,",
            "  // target, loss, gradient or any updated weight or optimizer state is not finite is refused:",
            "  // parameters and optimizer state untouched, NAN returned, refused_steps() counts it.",
        ]
        after_doc = [
            "  // The same step for the input of the last predict(), reusing its activations (only the",
            "  // backward pass and the update run). Valid once after each predict(); after learn(), another",
            "  // learn_after_predict(), reset(), load() or add_class() it is refused: NAN returned, nothing",
            "  // changed, refused_steps() not counted (call predict() again).",
        ]
        if loss == "mse":
            sig, arg, check = ("const float* target", "target",
                               "!miniml::all_finite_f32(target, kOutputSize)")
            head = ["\n  // target: kOutputSize floats; loss: torch.nn.functional.mse_loss (mean)."]
            step = [
                f"    const float loss = miniml::mse_loss_f32({dy}, target, kOutputSize);",
                f"    if (!miniml::is_finite_f32(loss)) {refuse}",
                f"    miniml::mse_grad_f32({dy}, target, kOutputSize, {dy});",
            ]
        else:
            sig, arg, check = "uint16_t label", "label", f"label >= {classes}"
            bound = "kOutputSize" if classes == "kOutputSize" else "active_classes()"
            head = [f"\n  // label: class index < {bound}; loss: torch.nn.functional.cross_entropy on the "
                    "logits."]
            step = [
                f"    const float loss = {ce_call};",
                f"    if (!miniml::is_finite_f32(loss)) {refuse}",
            ]
        return [
            *head,
            *doc,
            f"  float learn(const float* input, {sig}) {{",
            f"    {ready}[0] = 0;",
            f"    if (!miniml::all_finite_f32(input, kInputSize)) {refuse}",
            f"    predict(input, {dy});",
            f"    return learn_after_predict({arg});",
            "  }",
            *after_doc,
            f"  float learn_after_predict({sig}) {{",
            f"    if ({ready}[0] == 0) return miniml::nan_f32();",
            f"    {ready}[0] = 0;",
            *([f"    const float* input = {self.input_copy};"] if self.input_copy else []),
            f"    if ({check}) {refuse}",
            *step,
        ]
