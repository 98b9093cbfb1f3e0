"""Static memory planner: every activation except the graph's input and output lives in one arena."""
from .planner import Buffer, MemoryPlan, plan_memory

__all__ = ["Buffer", "MemoryPlan", "plan_memory"]
