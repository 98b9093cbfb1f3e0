"""Adds streaming to the header: the step graph's kernel calls as Model::step(), its states as Model
members (so sizeof(Model) counts them), reset_state(), kStepInputSize and kStepOutputSize."""
from __future__ import annotations

from typing import Any

from ..emit.header import EmitCtx, HeaderParts, Member
from ..ir import DType, Graph
from ..ops import KERNELS, inplace_pairs
from ..plan import plan_memory


def _arena(parts: HeaderParts, step_bytes: int) -> None:
    """predict() and step() never run at once: they share arena_, sized for the larger."""
    floats = (step_bytes + 3) // 4
    arena = next((m for m in parts.members if m.name == "arena_"), None)
    if arena is None and floats:
        parts.members.insert(0, Member("arena_", DType.F32, floats, "arena"))
    elif arena is not None:
        arena.count = max(arena.count, floats)


def extend_header(parts: HeaderParts, g: Graph, plan: Any, sg: Graph) -> None:
    step_plan = plan_memory(sg, inplace_pairs(sg))
    _arena(parts, step_plan.arena_bytes)
    e = EmitCtx(sg, step_plan, parts)
    body = ["  // x_t: kStepInputSize floats (one time step), y_t: kStepOutputSize floats; no alias.",
            "  // After reset_state() and x_0..x_t, y_t equals predict() on x_0..x_t.",
            "  void step(const float* x_t, float* y_t) {",
            "    const float* input = x_t;",
            "    float* output = y_t;"]
    for n in sg.nodes:
        spec = KERNELS[n.op]
        if f"miniml/{spec.header}" not in parts.includes:
            parts.includes.append(f"miniml/{spec.header}")
        body.append(f"    // {n.name}: {n.op}" + (f" <- {n.source}" if n.source else ""))
        body.append("    " + spec.emit(n, e))
    body.append("  }")
    reset = ["  // Forgets the stream: recurrent states to their initial value, Conv1d histories to zeros.",
             "  void reset_state() {"]
    for s in sg.meta["states"]:
        parts.members.append(Member(s.member, s.dtype, s.floats, "stream state"))
        if s.init_param:
            src = f"Weights::{parts.param_names[s.init_param]}"
            reset.append(f"    miniml::rom_copy({s.member}, {src}, sizeof({s.member}));")
        else:
            reset.append(f"    memset({s.member}, 0, sizeof({s.member}));")
        if s.ints:
            parts.members.append(Member(f"{s.member}pos_", DType.S32, s.ints, "ring position, count"))
            reset.append(f"    memset({s.member}pos_, 0, sizeof({s.member}pos_));")
    reset.append("  }")
    parts.methods += body + reset
    parts.constructor.append("reset_state();")
    parts.constants.append(
        f"constexpr miniml::index_t kStepInputSize = {e.i(sg.meta['step_input'])};  // one time step")
    parts.constants.append(
        f"constexpr miniml::index_t kStepOutputSize = {e.i(sg.meta['step_output'])};")
