"""The MiniML graph IR: plain frozen dataclasses, no torch. See graph.py for the invariants."""
from .graph import DType, Graph, Node, Param, Placement, TensorSpec
from .verify import verify

__all__ = ["DType", "Graph", "Node", "Param", "Placement", "TensorSpec", "verify"]
