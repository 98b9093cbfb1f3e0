"""fold_batchnorm: BatchNorm (inference) folded into the conv/linear that produces its input.

Rewrites: producer(x) -> batchnorm(scale, shift) into producer'(x) with W' = W * scale[out_channel] and
b' = b * scale + shift (float64 math, rounded once to float32), when the producer's output has no other
reader and no activation fused yet. Leaves alone: any other BatchNorm (after a pool, at the input...),
which stays a per-channel affine kernel. Why: one kernel and one buffer fewer, and no accuracy loss.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Placement
from ._rewrite import rename_tensor, sole_consumer

FOLDABLE = ("linear", "conv1d", "conv2d")


def fold_batchnorm_weights(weight, bias, scale, shift):
    """Pure math (cf. torch.nn.utils.fusion.fuse_conv_bn_weights): returns float32 (W', b')."""
    w = weight.astype(np.float64)
    shape = (-1,) + (1,) * (w.ndim - 1)
    w2 = w * scale.astype(np.float64).reshape(shape)
    b = np.zeros(w.shape[0]) if bias is None else bias.astype(np.float64)
    b2 = b * scale.astype(np.float64) + shift.astype(np.float64)
    return w2.astype(np.float32), b2.astype(np.float32)


def fold_batchnorm(g: Graph) -> Graph:
    for name in [n.name for n in g.iter_ops("batchnorm")]:
        bn = next(n for n in g.nodes if n.name == name)
        prod = g.producer(bn.inputs[0])
        if prod is None or prod.op not in FOLDABLE or prod.attrs.get("act") is not None:
            continue
        if sole_consumer(g, bn.inputs[0]) is not bn:
            continue
        weight = g.param(prod, "weight")
        if weight is None or weight.placement is not Placement.ROM:
            continue
        bias = g.param(prod, "bias")
        scale, shift = g.param(bn, "scale").data, g.param(bn, "shift").data
        if scale.shape[0] != weight.shape[0]:
            continue
        w2, b2 = fold_batchnorm_weights(
            weight.data, None if bias is None else bias.data, scale, shift
        )
        params = dict(g.params)
        params[weight.name] = weight.__class__(weight.name, w2)
        stem = weight.name[: -len("weight")] if weight.name.endswith("weight") else weight.name + "_"
        bname = bias.name if bias is not None else f"{stem}bias"
        while bias is None and bname in params:
            bname += "_"
        params[bname] = weight.__class__(bname, b2)
        new_prod = prod.with_(params={**prod.params, "bias": bname})
        nodes = tuple(new_prod if n is prod else n for n in g.nodes if n is not bn)
        # which module's BatchNorm a weight absorbed: learning references fold the same pair
        folded = {**g.meta.get("folded_batchnorm", {}),
                  weight.name: (bn.attrs.get("module", ""), bn.attrs.get("eps", 1e-5))}
        # the producer now writes the BatchNorm's output tensor (keeps graph outputs named)
        g = rename_tensor(g.with_(nodes=nodes, params=params,
                                  meta={**g.meta, "folded_batchnorm": folded}),
                          prod.outputs[0], bn.outputs[0])
    return g
