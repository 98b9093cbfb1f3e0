"""Graph passes, one per file; PIPELINE is the order the exporter runs them (verify() after each)."""
from __future__ import annotations

from typing import Callable, List

from ..ir import Graph, verify
from .fold_batchnorm import fold_batchnorm
from .fuse_activation import fuse_activation
from .remove_aliases import remove_aliases

PIPELINE: List[Callable[[Graph], Graph]] = [
    # first: views/dropouts between a conv and its BatchNorm or activation would block both folds
    remove_aliases,
    # before fuse_activation: conv -> bn -> relu must become conv(+bn) -> relu before relu can fuse
    fold_batchnorm,
    # last of the float passes: needs aliases gone and BatchNorm folded (see above)
    fuse_activation,
]


def run_pipeline(g: Graph, pipeline: List[Callable[[Graph], Graph]] = PIPELINE) -> Graph:
    verify(g)
    for p in pipeline:
        g = verify(p(g))
    return g


__all__ = ["PIPELINE", "fold_batchnorm", "fuse_activation", "remove_aliases", "run_pipeline"]
