"""Graph passes, one per file; PIPELINE is the order the exporter runs them (verify() after each)."""
from __future__ import annotations

from typing import Callable, List

from ..ir import Graph, verify
from .drop_unused_outputs import drop_unused_outputs
from .fold_batchnorm import fold_batchnorm
from .fuse_activation import fuse_activation
from .fuse_recurrent_cells import fuse_recurrent_cells
from .keep_last_step import keep_last_step
from .remove_aliases import remove_aliases

PIPELINE: List[Callable[[Graph], Graph]] = [
    # first: views/dropouts between a conv and its BatchNorm or activation would block both folds
    remove_aliases,
    # after remove_aliases (x[:, t] reaches the cell through views); before drop_unused_outputs
    fuse_recurrent_cells,
    # after the cell fusion, which may leave a step's sequence output unread
    drop_unused_outputs,
    # after drop_unused_outputs: a sequence read only at its last step keeps that step alone
    keep_last_step,
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


__all__ = ["PIPELINE", "drop_unused_outputs", "fold_batchnorm", "fuse_activation",
           "fuse_recurrent_cells", "keep_last_step", "remove_aliases", "run_pipeline"]
