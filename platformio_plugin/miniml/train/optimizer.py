"""The optimizer part of learn(): its RAM state, the lines that clear it, and the rule each trained
parameter steps with (train_sgd.h Sgd / SgdMomentum, train_adam.h Adam; train_step.h applies them).

State lives in Model members, so sizeof(Model), the report's training RAM and the AVR fit check count
it: SGD with momentum one float per trained parameter, Adam two (m, v) plus the step's two bias
corrections. It is not saved: save() stores parameters, and load() clears the state as reset() does.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from ..literals import float_literal
from .options import TrainOptions

# member(base name, count, comment, dtype) -> the member's C++ name (train/emit.py's allocator)
MemberFn = Callable[..., str]


class OptimizerEmit:
    """What the emitter asks of the optimizer. params: trained parameter (torch name) -> its C++
    member base name, in save order; sizes: its element count; lr: the learning-rate member."""

    def __init__(self, opts: TrainOptions, lr: str, params: Dict[str, str], sizes: Dict[str, int],
                 member: MemberFn) -> None:
        self.opts = opts
        self._lr = lr
        self._rules: Dict[str, str] = {}
        self.state: List[str] = []  # members that reset() and a successful load() zero
        self._prologue: List[str] = []
        self._epilogue: List[str] = []
        wd = float_literal(opts.weight_decay, "weight_decay")
        if opts.optimizer == "adam":
            self._adam(params, sizes, member, wd)
        elif opts.momentum:
            mom = float_literal(opts.momentum, "momentum")
            for pname, cname in params.items():
                buf = member(f"{cname}_v_", sizes[pname], f"momentum of {pname}")
                self.state.append(buf)
                rule = f"sgd_{cname}"
                self._prologue.append(
                    f"    const miniml::SgdMomentum {rule} = {{{lr}[0], {mom}, {wd}, {buf}}};")
                self._rules[pname] = rule
        else:
            self._prologue.append(f"    const miniml::Sgd sgd = {{{lr}[0], {wd}}};")
            self._rules = {p: "sgd" for p in params}

    def _adam(self, params: Dict[str, str], sizes: Dict[str, int], member: MemberFn,
              wd: str) -> None:
        o = self.opts
        bc = member("train_adam_bc_", 2, "Adam: bias corrections 1 - beta1^t, 1 - beta2^t")
        self.state.append(bc)
        # 1 - beta in double, as torch computes it, then rounded once (see train_adam.h)
        args = ", ".join(float_literal(v, what) for v, what in (
            (1.0 - o.beta1, "1 - beta1"), (o.beta2, "beta2"), (1.0 - o.beta2, "1 - beta2"),
            (o.eps, "eps")))
        self._prologue.append(
            f"    const miniml::AdamStep adam = miniml::adam_step({bc}, {self._lr}[0], {args}, {wd});")
        for pname, cname in params.items():
            m = member(f"{cname}_m_", sizes[pname], f"Adam first moment of {pname}")
            v = member(f"{cname}_v_", sizes[pname], f"Adam second moment of {pname}")
            self.state += [m, v]
            rule = f"adam_{cname}"
            self._prologue.append(f"    const miniml::Adam {rule} = {{&adam, {m}, {v}}};")
            self._rules[pname] = rule
        self._epilogue.append(f"    miniml::adam_commit({bc}, adam);")

    @property
    def linear_weight_prelude(self) -> List[str]:
        """Preprocessor lines before the includes of a header whose learn() steps a whole Linear weight:
        with plain SGD without weight decay, the ATmega's float dot steps its rows (core_float_avr.h
        MINIML_LEARN_SGD: about 55 cycles a weight, and the dot's own add for the common sum, about 50 a
        sum; 218 bytes in all)."""
        o = self.opts
        if o.optimizer == "adam" or o.momentum or o.weight_decay:
            return []
        return ["#ifndef MINIML_LEARN_SGD\n#define MINIML_LEARN_SGD 1\n#endif\n"]

    @property
    def headers(self) -> Sequence[str]:
        return ("train_step.h", "train_adam.h" if self.opts.optimizer == "adam" else "train_sgd.h")

    def rule(self, pname: str) -> str:
        """The C++ rule object the step of parameter `pname` uses (declared by prologue())."""
        return self._rules[pname]

    def prologue(self) -> List[str]:
        """learn()'s lines before the finite checks: this step's rules."""
        return list(self._prologue)

    def epilogue(self) -> List[str]:
        """learn()'s lines after the last update (a step that was taken)."""
        return list(self._epilogue)

    def clear(self) -> List[str]:
        """Statements that zero the state (reset(), and load() after a successful load)."""
        return [f"memset({s}, 0, sizeof({s}));" for s in self.state]


def describe(opts: TrainOptions) -> str:
    """The optimizer in words, for header comments."""
    wd = f", weight_decay {opts.weight_decay:g}" if opts.weight_decay else ""
    if opts.optimizer == "adam":
        return (f"Adam lr {opts.learning_rate:g}, betas ({opts.beta1:g}, {opts.beta2:g}), "
                f"eps {opts.eps:g}{wd}")
    return f"SGD lr {opts.learning_rate:g}, momentum {opts.momentum:g}{wd}"


def layout_key(opts: TrainOptions) -> str:
    """The optimizer's part of the layout id: SGD without weight decay keeps the ids of the exports
    before Adam existed (loss and momentum only)."""
    key = f"{opts.loss};{opts.momentum!r};"
    if opts.optimizer != "sgd" or opts.weight_decay:
        key += (f"{opts.optimizer};{opts.weight_decay!r};{opts.beta1!r};{opts.beta2!r};"
                f"{opts.eps!r};")
    return key
