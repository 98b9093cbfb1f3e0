"""learn_after_predict(): the step for the input of the last predict(), without its forward pass.

predict() already leaves what the backward step reads: the layer inputs it keeps alive in the arena
(split_training's keep_alive) and, with this, a copy of its output in the loss-gradient buffer and of
its input when a first-layer weight learns. A flag (a Model member) says they belong to the last
predict() and the current weights: predict() sets it; learn(), learn_after_predict(), reset(), a
successful load() and add_class() clear it. learn() is predict() into that buffer plus this step,
without the predict() when the flag is set and the input is the last predict()'s: the same int8
codes when the input's only reader is its quantize_s8 (the whole forward pass depends on them
alone), or the same bytes as the kept input copy.
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
        self.same_input: Optional[str] = None  # C++ test: input is the last predict()'s

    def keep_input_if_read(self, g: Graph, step_lines: List[str]) -> None:
        """The step's lines name the model input (`input`, e.g. a first layer's weight gradient):
        predict() then keeps a copy, which learn_after_predict() reads under that name."""
        if re.search(r"\binput\b", "\n".join(step_lines)):
            self.input_copy = self.member("train_input_", g.tensor(g.inputs[0]).numel,
                                          "learn_after_predict(): the last predict()'s input")

    def recognise_input(self, g: Graph, e: Any, predict: List[str]) -> None:
        """Lets learn() tell the last predict()'s input: by the kept copy, or, when the input's only
        reader is an int8 quantize_s8, by its codes (kInputSize bytes predict()'s quantize_s8_keep
        keeps). Call after keep_input_if_read; predict: predict()'s lines so far."""
        if len(g.inputs) != 1:
            return
        if self.input_copy:
            self.same_input = f"memcmp(input, {self.input_copy}, sizeof({self.input_copy})) == 0"
            return
        readers = g.consumers(g.inputs[0])
        if len(readers) != 1 or readers[0].op != "quantize_s8":
            return
        q = readers[0]
        n = g.tensor(g.inputs[0]).numel
        codes = self.member("train_codes_", n, "the last predict()'s input codes, for learn()",
                            DType.S8)
        at = next(k for k, line in enumerate(predict) if line.startswith(f"    // {q.name}: ")) + 1
        assert predict[at].startswith("    miniml::quantize_s8(") and predict[at].endswith(");")
        predict[at] = predict[at].replace("quantize_s8(", "quantize_s8_keep(", 1)[:-2] + f", {codes});"
        self.same_input = (f"miniml::quantize_s8_matches(input, {n}, {e.f(q.attrs['scale'])}, "
                           f"{int(q.attrs['zero_point'])}, {codes})")

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
        """learn() and the head of learn_after_predict(), up to the loss gradient in dy; refuse: the
        C++ return statement of a refused step, classes: the C++ count of valid labels, ce_call:
        the cross-entropy call (train_loss.h or, with spare classes, train_classes.h)."""
        dy, ready = self.dy, self.ready
        refused = f"{{\n      {refuse}\n    }}"
        doc = [
            "  // One optimizer step on one sample; returns the loss before the step. A step whose input,",
            "  // target, loss, gradient or any updated weight or optimizer state is not finite is refused:",
            "  // parameters and optimizer state untouched, NAN returned, refused_steps() counts it.",
        ]
        forward = f"    predict(input, {dy});"
        if self.same_input:
            doc.append("  // Right after predict() of the same input it reuses that forward pass.")
            forward = f"    if ({ready}[0] == 0 || !{self.same_input}) predict(input, {dy});"
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
                f"    if (!miniml::is_finite_f32(loss)) {refused}",
                f"    miniml::mse_grad_f32({dy}, target, kOutputSize, {dy});",
            ]
        else:
            sig, arg, check = "uint16_t label", "label", f"label >= {classes}"
            bound = "kOutputSize" if classes == "kOutputSize" else "active_classes()"
            head = [f"\n  // label: class index < {bound}; loss: torch.nn.functional.cross_entropy on the "
                    "logits."]
            step = [
                f"    const float loss = {ce_call};",
                f"    if (!miniml::is_finite_f32(loss)) {refused}",
            ]
        return [
            *head,
            *doc,
            f"  float learn(const float* input, {sig}) {{",
            "    if (!miniml::all_finite_f32(input, kInputSize)) {",
            f"      {ready}[0] = 0;",
            f"      {refuse}",
            "    }",
            forward,
            f"    return learn_after_predict({arg});",
            "  }",
            *after_doc,
            f"  float learn_after_predict({sig}) {{",
            f"    if ({ready}[0] == 0) return miniml::nan_f32();",
            f"    {ready}[0] = 0;",
            *([f"    const float* input = {self.input_copy};"] if self.input_copy else []),
            f"    if ({check}) {refused}",
            *step,
        ]
