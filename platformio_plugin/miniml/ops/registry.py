"""The op registry: everything MiniML knows about an op, declared by the op's own module.

- LOWERINGS: aten target -> lowering. Lowerings take an AtenCall (torch-free view of one torch.fx
  node) and a LowerCtx, append IR nodes and return them, or return None to decline (the exporter
  then raises UnsupportedOpError naming the node).
- KERNELS: IR op (float or int8) -> KernelSpec: its C++ emitter and its numpy meaning (`run`: the
  float semantics calibration observes, or the integer reference the C++ int8 kernel must equal).
- INT8_RULES: float IR op -> Int8Rule: which int8 IR nodes it becomes (its quantisation parameters
  derived from the calibrated ranges) and which of its configurations int8 refuses.
- ACTIVATIONS: activation name -> ActivationSpec, the one table of activations.
- BACKWARDS: float IR op -> BackwardRule: how on-device learning passes a gradient back through it
  (and, for layers with weights, how it forms their gradients); miniml.train walks the graph and asks.
Every table refuses duplicate keys so two op files can never silently fight over a name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..errors import GraphError

LOWERINGS: Dict[str, Callable[..., Any]] = {}
KERNELS: Dict[str, "KernelSpec"] = {}
INT8_RULES: Dict[str, "Int8Rule"] = {}
ACTIVATIONS: Dict[str, "ActivationSpec"] = {}
BACKWARDS: Dict[str, "BackwardRule"] = {}


@dataclass(frozen=True)
class TensorArg:
    """An activation argument of an aten call (by IR tensor name)."""

    name: str


@dataclass(frozen=True)
class ConstArg:
    """A constant tensor argument (parameter, buffer or lifted constant), by its key in LowerCtx.consts."""

    name: str


@dataclass(frozen=True)
class AtenCall:
    """One torch.fx call_function node with torch stripped out: tensors became TensorArg/ConstArg,
    everything else stays a plain Python value."""

    target: str
    args: Tuple[Any, ...]
    kwargs: Mapping[str, Any]
    outputs: Tuple[str, ...]
    out_shapes: Tuple[Tuple[int, ...], ...]
    node_name: str
    source: str = ""
    module_type: str = ""

    def arg(self, index: int, name: str, default: Any = None) -> Any:
        if index < len(self.args):
            return self.args[index]
        return self.kwargs.get(name, default)

    @property
    def out(self) -> str:
        return self.outputs[0]

    @property
    def out_shape(self) -> Tuple[int, ...]:
        return self.out_shapes[0]


@dataclass(frozen=True)
class KernelSpec:
    """How one IR op becomes C++ (the header it needs, the call it emits, its MAC count) and what it
    computes in numpy (run(node, ins, params) -> output; ins are [N, ...] batches of the input
    tensors, params maps role -> array; a kernel that fuses an activation returns the value before
    it).

    inplace: the output may share input 0's buffer (elementwise kernels that read x[i] before writing
    out[i]). fuses_activation: the kernel takes an activation functor as its last argument.
    """

    op: str
    header: str
    emit: Callable[..., str]
    macs: Callable[..., int]
    inplace: bool = False
    inplace_inputs: Tuple[int, ...] = (0,)
    fuses_activation: bool = False
    run: Optional[Callable[..., Any]] = None


@dataclass(frozen=True)
class Int8Rule:
    """How a float IR op becomes int8 IR: lower(node, inputs, output, q) -> nodes, where q is the
    int8 graph under construction (passes/quantize_int8.py: qparams, s8, param); refuse(node) ->
    None, or the configuration int8 does not cover (check_int8_support names it at export)."""

    op: str
    lower: Callable[..., Any]
    refuse: Callable[..., Optional[str]]


@dataclass(frozen=True)
class ActivationSpec:
    """A pointwise activation, the one place it is described: `functor(*args)` is the C++ expression
    of its miniml::Act* functor (op_activation.h), `numpy(x, *args)` its float meaning
    (calibration and int8 lookup tables), `clamp(*args)` its (lo, hi) float bounds when it is an
    exact clamp (int8 then clamps at the input's scale; None = open bound), backward: what its
    derivative is computed from in on-device learning, "output" (y, as torch does for ReLU, Sigmoid,
    Tanh) or "input" (x: the activation cannot stay fused into the layer below), "" if it has none;
    the derivative's C++ functor is `miniml::ActGrad<Name>` (train_backward.h), taking the same
    arguments as the forward functor. table_s8(input qparams, calibrated output qparams, *args)
    -> (256 int8 codes, output qparams): the int8 table where TFLM has the op and computes it in its
    own way (its integer arithmetic, or fixed output parameters); without it the table is the float
    function quantised at the calibrated output parameters."""

    name: str
    functor: Callable[..., str]
    numpy: Optional[Callable[..., Any]] = None
    clamp: Optional[Callable[..., Tuple[Optional[float], Optional[float]]]] = None
    backward: str = ""
    header: str = "op_activation.h"
    table_s8: Optional[Callable[..., Any]] = None


def lowering(*targets: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers a lowering for the given aten targets, e.g. @lowering("aten.relu.default")."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        for t in targets:
            if t in LOWERINGS:
                raise GraphError(f"two lowerings registered for {t!r}")
            LOWERINGS[t] = fn
        return fn

    return deco


def _no_macs(node: Any, g: Any) -> int:
    return 0


def kernel(
    op: str,
    header: str,
    inplace: bool = False,
    inplace_inputs: Tuple[int, ...] = (0,),
    fuses_activation: bool = False,
) -> Callable[[type], type]:
    """Registers a class with static methods emit(node, e) -> str, run(node, ins, params) -> array
    (its numpy meaning; see KernelSpec) and, for ops that multiply, macs(node, g) -> int (without
    it the op counts 0 MACs)."""

    def deco(cls: type) -> type:
        if op in KERNELS:
            raise GraphError(f"two kernels registered for IR op {op!r}")
        macs = getattr(cls, "macs", _no_macs)
        KERNELS[op] = KernelSpec(op, header, cls.emit, macs, inplace, inplace_inputs,
                                 fuses_activation, getattr(cls, "run", None))
        return cls

    return deco


def _no_refusal(node: Any) -> Optional[str]:
    return None


def int8_rule(*ops: str) -> Callable[[type], type]:
    """Registers a class with static methods lower(node, ins, y, q) -> [Node] and, if some
    configurations have no int8 kernel, refuse(node) -> reason or None."""

    def deco(cls: type) -> type:
        for op in ops:
            if op in INT8_RULES:
                raise GraphError(f"two int8 rules registered for IR op {op!r}")
            INT8_RULES[op] = Int8Rule(op, cls.lower, getattr(cls, "refuse", _no_refusal))
        return cls

    return deco


def activation(
    name: str,
    numpy: Optional[Callable[..., Any]] = None,
    clamp: Optional[Callable[..., Tuple[Optional[float], Optional[float]]]] = None,
    backward: str = "",
    table_s8: Optional[Callable[..., Any]] = None,
) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Registers an activation: the decorated function gives its C++ functor expression (args are
    the IR `act` tuple's tail); numpy, clamp, backward and table_s8 as in ActivationSpec."""

    def deco(fn: Callable[..., str]) -> Callable[..., str]:
        if name in ACTIVATIONS:
            raise GraphError(f"two activations registered as {name!r}")
        if backward not in ("", "output", "input"):
            raise GraphError(f"activation {name!r}: backward must be '', 'output' or 'input'")
        ACTIVATIONS[name] = ActivationSpec(name, fn, numpy, clamp, backward, table_s8=table_s8)
        return fn

    return deco


@dataclass(frozen=True)
class BackwardRule:
    """How learn() passes the gradient back through one float IR op (see backward_rule)."""

    op: str
    header: str
    saves: Callable[..., Tuple[str, ...]]
    emit: Callable[..., List[str]]
    params: Tuple[str, ...]
    refuse: Callable[..., Optional[str]]


def _saves_nothing(node: Any, b: Any) -> Tuple[str, ...]:
    return ()


def backward_rule(*ops: str, header: str, params: Tuple[str, ...] = ()) -> Callable[[type], type]:
    """Registers a class with static methods emit(node, b) -> C++ lines (b: miniml.train's
    BackwardCtx: b.gy the output's gradient, b.gx(i) input i's gradient buffer or None when no
    gradient is needed there, b.trains(role), b.param_grad(role, count) a RAM buffer for a dense
    parameter gradient, b.e the EmitCtx), saves(node, b) -> the tensors emit reads after the
    forward pass (the planner keeps them alive), and refuse(node) -> why this configuration has no
    backward, or None. `header`: the train_*.h its kernels are in; `params`: the roles that can
    learn (weight, bias)."""

    def deco(cls: type) -> type:
        for op in ops:
            if op in BACKWARDS:
                raise GraphError(f"two backward rules registered for IR op {op!r}")
            BACKWARDS[op] = BackwardRule(op, header, getattr(cls, "saves", _saves_nothing), cls.emit,
                                         tuple(params), getattr(cls, "refuse", _no_refusal))
        return cls

    return deco


def supported_targets() -> List[str]:
    return sorted(LOWERINGS)


@dataclass
class LowerCtx:
    """What a lowering may touch: shapes, constants, and the graph being built."""

    tensors: Dict[str, Any] = field(default_factory=dict)
    params: Dict[str, Any] = field(default_factory=dict)
    consts: Dict[str, Any] = field(default_factory=dict)
    nodes: List[Any] = field(default_factory=list)
    call: Optional[AtenCall] = None

    def shape(self, arg: Any) -> Tuple[int, ...]:
        if isinstance(arg, TensorArg):
            return self.tensors[arg.name].shape
        if isinstance(arg, ConstArg):
            return tuple(self.consts[arg.name].shape)
        raise GraphError(f"not a tensor: {arg!r}")

    def const(self, arg: Any) -> Any:
        """The numpy array of a constant argument, or None if arg is None."""
        if arg is None:
            return None
        if not isinstance(arg, ConstArg):
            from ..errors import UnsupportedOpError

            raise UnsupportedOpError(
                f"{self.where()}: expected a constant (weight) here, got a computed tensor; "
                "weights computed at run time are not supported"
            )
        return self.consts[arg.name]

    def add_param(self, hint: str, data: Any, **kw: Any) -> str:
        """Adds a Param named after `hint` (made unique) and returns its name."""
        from ..ir import Param

        base = hint
        name, i = base, 1
        while name in self.params:
            i += 1
            name = f"{base}_{i}"
        self.params[name] = Param(name=name, data=data, **kw)
        return name

    def add_temp(self, hint: str, shape: Tuple[int, ...]) -> str:
        """A new float32 intermediate tensor (for lowerings that emit several nodes); its name."""
        from ..ir import TensorSpec

        base = f"{self.call.node_name if self.call else 't'}_{hint}"
        name, i = base, 1
        while name in self.tensors:
            i += 1
            name = f"{base}_{i}"
        self.tensors[name] = TensorSpec(name, tuple(int(d) for d in shape))
        return name

    def add_node(
        self,
        op: str,
        inputs: Tuple[str, ...],
        outputs: Optional[Tuple[str, ...]] = None,
        params: Optional[Mapping[str, str]] = None,
        attrs: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        from ..ir import Node

        assert self.call is not None
        name, taken = self.call.node_name, {n.name for n in self.nodes}
        i = 1
        while name in taken:  # a lowering that emits several nodes: name_2, name_3...
            i += 1
            name = f"{self.call.node_name}_{i}"
        node = Node(
            name=name,
            op=op,
            inputs=tuple(inputs),
            outputs=tuple(outputs if outputs is not None else self.call.outputs[:1]),
            params=dict(params or {}),
            attrs=dict(attrs or {}),
            source=self.call.source,
        )
        self.nodes.append(node)
        return node

    def where(self) -> str:
        c = self.call
        if c is None:
            return "?"
        src = f" from {c.source}" if c.source else ""
        return f"node {c.node_name!r} ({c.target}){src}"
