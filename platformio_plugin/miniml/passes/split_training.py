"""split_training: marks the parameters that learn on the device and what the backward step reads.

Rewrites: the trainable weights/biases (default: the final Linear; or the last k Linears; or named
parameters, e.g. bias only for an earlier layer) get Placement.RAM (a Model member initialised from
a
flash copy); g.meta["training"] gets a TrainPlan (the Linear chain from the deepest trained layer to
the
output, with loss and SGD settings) and g.meta["keep_alive"] the arena tensors backward reads after
the
forward pass (layer inputs), which the planner keeps alive to the end so nothing overwrites them.
Leaves alone: every other node and parameter (frozen, in flash), and the graph when learning is off.
Why a pass: the planner and the emitter must agree on one decision; it needs fused activations
(fuse_activation) so a Linear's ReLU is part of the node whose output backward masks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Set, Tuple

from ..errors import OptionError
from ..ir import Graph, Node, Placement
from ..ops import ACTIVATIONS

# Activations whose derivative the backward step knows (from the output): ActivationSpec.backward.
BACKWARD_ACTS = tuple(sorted(k for k, s in ACTIVATIONS.items() if s.backward))


@dataclass(frozen=True)
class TrainLayer:
    """One Linear in the backward range: weight/bias are param names that train (or None)."""

    node: str
    module: str
    input: str
    output: str
    in_features: int
    out_features: int
    act: Optional[str]
    weight_param: str
    bias_param: Optional[str]
    train_weight: bool
    train_bias: bool


@dataclass(frozen=True)
class TrainPlan:
    options: Any  # miniml.train.options.TrainOptions
    layers: Tuple[TrainLayer, ...]  # deepest first, the final Linear last

    @property
    def trained_params(self) -> Tuple[str, ...]:
        """Save/load order: layer by layer, weight before bias."""
        out: List[str] = []
        for layer in self.layers:
            if layer.train_weight:
                out.append(layer.weight_param)
            if layer.train_bias and layer.bias_param is not None:
                out.append(layer.bias_param)
        return tuple(out)


def _module(g: Graph, node: Node) -> str:
    w = node.params["weight"]
    if w.endswith(".weight"):
        return w[: -len(".weight")]
    return node.source.split(" (")[0] if node.source else node.name


def linear_chain(g: Graph) -> Tuple[List[Node], str]:
    """The Linear nodes that end the graph, in order, and what stops the chain below them."""
    chain: List[Node] = []
    node = g.producer(g.outputs[0])
    while node is not None and node.op == "linear":
        chain.insert(0, node)
        below = g.producer(node.inputs[0])
        if below is None:
            return chain, "the model input"
        if len(g.consumers(node.inputs[0])) != 1:
            return chain, f"{below.name} ({below.op}, read by several layers)"
        node = below
    if not chain:
        last = g.producer(g.outputs[0])
        if last is not None and last.op in ("softmax", "log_softmax"):
            raise OptionError(
                f"on_device_learning: the model ends with {last.op} ({last.source or last.name}); "
                "loss='cross_entropy' applies log-softmax itself: export the model without the "
                "final "
                f"{last.op} so it ends with the Linear that learns"
            )
        raise OptionError(
            "on_device_learning trains Linear layers at the end of the model, but its last layer "
            "is "
            f"{last.name if last else '?'} ({last.op if last else 'input'}"
            f"{', ' + last.source if last and last.source else ''}): end the model with nn.Linear"
        )
    return chain, f"{node.name} ({node.op}{', ' + node.source if node.source else ''})"


def choose_trainable(
    g: Graph, chain: List[Node], stop: str, opts: Any
) -> Dict[str, Tuple[bool, bool]]:
    """node name -> (train weight, train bias)."""
    spec = opts.trainable
    if spec is None:
        spec = 1
    if isinstance(spec, int):
        if spec > len(chain):
            raise OptionError(
                f"trainable={spec}: only the last {len(chain)} layer(s) form a chain of Linear "
                "layers "
                f"(below them is {stop}); use trainable <= {len(chain)}"
            )
        return {n.name: (True, True) for n in chain[len(chain) - spec :]}
    names: Dict[str, Tuple[str, bool, bool]] = {}
    for n in chain:
        mod = _module(g, n)
        names[mod] = (n.name, True, True)
        names[n.params["weight"]] = (n.name, True, False)
        if "bias" in n.params:
            names[n.params["bias"]] = (n.name, False, True)
    chosen: Dict[str, Tuple[bool, bool]] = {}
    for name in spec:
        if name not in names:
            raise OptionError(
                f"trainable: {name!r} is not a parameter or module of the Linear layers that end "
                "the "
                f"model; choose from {sorted(names)}"
            )
        node, w, b = names[name]
        old = chosen.get(node, (False, False))
        chosen[node] = (old[0] or w, old[1] or b)
    return chosen


def learning_layers(g: Graph, opts: Any) -> Tuple[str, ...]:
    """Names of the Linear nodes from the deepest one that learns to the output (the same choice
    split_training makes): the float head of an int8 model that learns."""
    chain, stop = linear_chain(g)
    chosen = choose_trainable(g, chain, stop, opts)
    first = min(i for i, n in enumerate(chain) if n.name in chosen)
    return tuple(n.name for n in chain[first:])


def split_training(g: Graph) -> Graph:
    opts = g.meta.get("train_options")
    if opts is None:
        return g
    chain, stop = linear_chain(g)
    chosen = choose_trainable(g, chain, stop, opts)
    first = min(i for i, n in enumerate(chain) if n.name in chosen)
    final = chain[-1]
    if final.attrs.get("act") is not None:
        raise OptionError(
            f"on_device_learning: the final Linear {_module(g, final)!r} is followed by "
            f"{final.attrs['act'][0]}; the loss is taken on the Linear's output (cross_entropy "
            "applies "
            "softmax itself): remove the final activation from the exported model"
        )
    layers: List[TrainLayer] = []
    params = dict(g.params)
    keep: Set[str] = set()
    for i, n in enumerate(chain[first:], start=first):
        tw, tb = chosen.get(n.name, (False, False))
        act = n.attrs.get("act")
        act_name = act[0] if act is not None else None
        if i < len(chain) - 1 and act_name is not None and act_name not in BACKWARD_ACTS:
            raise OptionError(
                f"on_device_learning: the gradient must pass back through {act_name} after "
                f"{_module(g, n)!r}, which is not supported (supported: "
                f"{', '.join(BACKWARD_ACTS)}); "
                "train fewer layers"
            )
        if "bias" not in n.params:  # nn.Linear(bias=False): only its weight can train
            tb = False
        for role, on in (("weight", tw), ("bias", tb)):
            if on:
                p = params[n.params[role]]
                params[p.name] = replace(p, placement=Placement.RAM)
        if (tw or i > first) and n.inputs[0] not in g.inputs:
            keep.add(n.inputs[0])
        layers.append(
            TrainLayer(
                node=n.name,
                module=_module(g, n),
                input=n.inputs[0],
                output=n.outputs[0],
                in_features=int(n.attrs["in_features"]),
                out_features=int(n.attrs["out_features"]),
                act=act_name,
                weight_param=n.params["weight"],
                bias_param=n.params.get("bias"),
                train_weight=tw,
                train_bias=tb,
            )
        )
    meta = dict(g.meta)
    meta["training"] = TrainPlan(opts, tuple(layers))
    meta["keep_alive"] = tuple(sorted(keep))
    return g.with_(params=params, meta=meta)
