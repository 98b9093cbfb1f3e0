"""Writes <name>.h from a planned graph: data, kernel calls and static_asserts, nothing op-specific.

Layout of the header (docs/design.md): namespace <name>; kInputSize/kOutputSize/kArenaBytes; constants as
MINIML_ROM static members of class templates (ODR-safe from several .cpp, one copy in flash); class Model
whose data members are all the RAM the model needs (arena + RAM params), asserted equal to the report.

Extension points: HeaderParts collects includes, ROM arrays, Model members, extra public methods and
extra namespace-scope code; emit_header(..., extend=fn) lets a later stage (int8, training) add to it.
"""
from __future__ import annotations

import zlib

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ..errors import ModelTooLargeError
from ..ir import DType, Graph, Node, Placement
from ..ops import ACTIVATIONS, KERNELS
from ..plan import MemoryPlan
from ..literals import float_array_body, float_literal, int_array_body
from ..version import VERSION
from .names import sanitize



@dataclass
class Member:
    """A data member of Model: `dtype name[count]` (count padded so the byte size is a multiple of 4,
    which makes sizeof(Model) the same on AVR, ARM, RISC-V, Xtensa and the host)."""

    name: str
    dtype: DType
    count: int
    comment: str = ""

    @property
    def padded_count(self) -> int:
        unit = max(1, 4 // self.dtype.size)
        return (self.count + unit - 1) // unit * unit

    @property
    def nbytes(self) -> int:
        return self.padded_count * self.dtype.size


@dataclass
class RomArray:
    name: str
    dtype: DType
    data: np.ndarray
    what: str
    struct: str = "WeightsData"

    @property
    def nbytes(self) -> int:
        return int(self.data.size) * self.dtype.size


@dataclass
class HeaderParts:
    name: str
    prelude: List[str] = field(default_factory=list)  # preprocessor lines before the includes
    includes: List[str] = field(default_factory=list)
    rom: List[RomArray] = field(default_factory=list)
    members: List[Member] = field(default_factory=list)
    predict: List[str] = field(default_factory=list)
    constructor: List[str] = field(default_factory=list)
    methods: List[str] = field(default_factory=list)
    constants: List[str] = field(default_factory=list)
    tail: List[str] = field(default_factory=list)
    max_count: int = 1
    param_names: Dict[str, str] = field(default_factory=dict)

    @property
    def ram_bytes(self) -> int:
        """sizeof(Model): members are 4-byte multiples; an empty class still has size 1."""
        total = sum(m.nbytes for m in self.members)
        return total if total else 1

    @property
    def flash_bytes(self) -> int:
        return sum(r.nbytes for r in self.rom if r.struct == "WeightsData")


class EmitCtx:
    """What a kernel's emit() may ask for: C++ expressions of tensors, params, sizes, activations."""

    def __init__(self, g: Graph, plan: MemoryPlan, parts: HeaderParts) -> None:
        self.g = g
        self.plan = plan
        self.parts = parts

    def t(self, tensor: str) -> str:
        if tensor in self.g.inputs:
            return io_name("input", self.g.inputs, tensor)
        if tensor in self.g.outputs:
            return io_name("output", self.g.outputs, tensor)
        off = self.plan.offsets[tensor]
        dt = self.g.tensor(tensor).dtype
        if dt is arena_dtype(self.g, self.plan):
            return f"arena_ + {off // dt.size}" if off else "arena_"
        base = f"reinterpret_cast<{dt.ctype}*>(arena_)"
        return f"({base} + {off // dt.size})" if off else base

    def p(self, node: Node, role: str) -> str:
        pname = node.params.get(role)
        if pname is None:
            return "nullptr"
        param = self.g.params[pname]
        cname = self.parts.param_names[pname]
        if param.placement is Placement.RAM:
            return f"{cname}_"
        return f"Weights::{cname}"

    def mem(self, node: Node, role: str = "weight") -> str:
        pname = node.params.get(role)
        if pname is not None and self.g.params[pname].placement is Placement.RAM:
            return "miniml::Ram"
        return "miniml::Rom"

    def act(self, node: Node) -> str:
        act = node.attrs.get("act")
        if act is None:
            return "miniml::ActNone()"
        return ACTIVATIONS[act[0]].functor(*act[1:])

    def i(self, v: int) -> str:
        v = int(v)
        self.parts.max_count = max(self.parts.max_count, v)
        return str(v)

    def f(self, v: float) -> str:
        return float_literal(v, "an op attribute")


def io_name(kind: str, names: Tuple[str, ...], tensor: str) -> str:
    """predict()'s parameter for a graph input/output: `input`/`output`, or `input0`, `input1`..."""
    return kind if len(names) == 1 else f"{kind}{names.index(tensor)}"


def _io_constants(kind: str, g: Graph, names: Tuple[str, ...]) -> List[str]:
    out = []
    for i, t in enumerate(names):
        spec = g.tensor(t)
        suffix = "" if len(names) == 1 else str(i)
        dtype = "" if spec.dtype is DType.F32 else f" {spec.dtype.ctype}"
        out.append(f"constexpr miniml::index_t k{kind}Size{suffix} = {spec.numel};  // "
                   f"{kind.lower()}{suffix}{dtype} shape {list(spec.shape)}")
    return out


def predict_signature(g: Graph) -> str:
    """`void predict(const float* input, float* output)`, one parameter per graph input and output
    (integer index inputs as const int32_t*)."""
    params = [f"const {g.tensor(t).dtype.ctype}* {io_name('input', g.inputs, t)}" for t in g.inputs]
    params += [f"float* {io_name('output', g.outputs, t)}" for t in g.outputs]
    return f"void predict({', '.join(params)})"


def arena_dtype(g: Graph, plan: MemoryPlan) -> DType:
    """The arena's element type: bytes when it holds only int8 tensors (an int8 model: no alignment
    needed), else float (4-byte aligned for the float tensors; int8 ones are cast)."""
    if all(g.tensor(t).dtype is DType.S8 for t in plan.offsets):
        return DType.S8
    return DType.F32


def _rom_definition(r: RomArray) -> str:
    body = (
        float_array_body(r.data, r.what)
        if r.dtype is DType.F32
        else int_array_body(r.data.astype(np.int64))
    )
    n = int(r.data.size)
    return (
        f"template <typename Unused>\nconst {r.dtype.ctype} {r.struct}<Unused>::{r.name}[{n}] "
        f"MINIML_ROM = {{\n{body}}};"
    )


def build_parts(g: Graph, plan: MemoryPlan, name: str) -> HeaderParts:
    parts = HeaderParts(name=name)
    taken: set = set()
    for p in g.params.values():
        parts.param_names[p.name] = sanitize(p.name, taken)
    headers = ["core_types.h", "core_rom.h"]
    e = EmitCtx(g, plan, parts)
    for n in g.nodes:
        spec = KERNELS[n.op]
        if spec.header not in headers:
            headers.append(spec.header)
        act = n.attrs.get("act")
        if act is not None and ACTIVATIONS[act[0]].header not in headers:
            headers.append(ACTIVATIONS[act[0]].header)
        comment = f"    // {n.name}: {n.op}" + (f" <- {n.source}" if n.source else "")
        parts.predict.append(comment)
        parts.predict.append("    " + spec.emit(n, e))
    parts.includes = [f"miniml/{h}" for h in headers]
    for p in g.params.values():
        cname = parts.param_names[p.name]
        parts.max_count = max(parts.max_count, p.numel)
        if p.placement is Placement.ROM:
            parts.rom.append(RomArray(cname, p.dtype, p.data, f"parameter {p.name!r}"))
        else:
            parts.rom.append(RomArray(f"{cname}_init", p.dtype, p.data, f"parameter {p.name!r}"))
            parts.members.append(Member(f"{cname}_", p.dtype, p.numel, f"{p.name} (RAM)"))
            parts.constructor.append(
                f"miniml::rom_copy({cname}_, Weights::{cname}_init, sizeof({cname}_));"
            )
    for t in g.tensors.values():
        parts.max_count = max(parts.max_count, t.numel)
    if plan.arena_bytes:
        dt = arena_dtype(g, plan)
        count = (plan.arena_bytes + dt.size - 1) // dt.size
        parts.members.insert(0, Member("arena_", dt, count, "arena"))
        parts.max_count = max(parts.max_count, count)
    return parts


def optimize_speed(parts: HeaderParts, g: Graph, plan: MemoryPlan) -> None:
    """optimize="speed": the header turns on MINIML_OPTIMIZE_SPEED (faster, bigger kernels) for the
    file that includes it; a kernel header included before without it has its size kernels (#error)."""
    parts.prelude.append(
        "// optimize=\"speed\": faster kernels that take more flash (README: Options).\n"
        "#if !defined(MINIML_OPTIMIZE_SPEED) && defined(MINIML_SIZE_KERNELS_INCLUDED)\n"
        f"#error \"miniml: {parts.name}.h was exported with optimize=speed: include it before "
        "other model headers and miniml/ kernel headers, or build with -DMINIML_OPTIMIZE_SPEED\"\n"
        "#endif\n"
        "#ifndef MINIML_OPTIMIZE_SPEED\n#define MINIML_OPTIMIZE_SPEED 1\n#endif\n"
    )


_HASH = "@MINIML_HASH@"


def render(parts: HeaderParts, g: Graph, plan: MemoryPlan, provenance: str) -> str:
    """The header; its content hash names the include guard and an inline namespace, so two different
    models of one name are a compile error in one file (#error) and two unrelated models in two
    files (each links its own weights, never the other's)."""
    text = _render(parts, g, plan, provenance)
    return text.replace(_HASH, f"{zlib.crc32(text.encode()) & 0xFFFFFFFF:08X}")


def _render(parts: HeaderParts, g: Graph, plan: MemoryPlan, provenance: str) -> str:
    name = parts.name
    once = f"MINIML_MODEL_{name.upper()}_H_"
    guard = f"{once}{_HASH}"
    o: List[str] = []
    o.append(f"// {name}.h: generated by miniml {VERSION} ({provenance}). Do not edit: re-export.")
    o.append(
        f"// RAM: sizeof({name}::Model) = {parts.ram_bytes} B (arena {plan.arena_bytes} B, lower "
        f"bound {plan.lower_bound} B); flash: {parts.flash_bytes} B of constants."
    )
    o.append(f"#ifndef {guard}\n#define {guard}")
    o.append(
        f"#ifdef {once}\n#error \"miniml: two different models named '{name}' in one program: "
        f'export one under another name\"\n#endif\n#define {once}\n'
    )
    o += parts.prelude
    o.append("#include <stdint.h>\n")
    o += [f'#include "{h}"' for h in parts.includes]
    o.append(f"\nnamespace {name} {{\ninline namespace v{_HASH} {{  // this export's content hash\n")
    mc = parts.max_count
    o.append(
        f"static_assert(static_cast<uint32_t>(static_cast<miniml::index_t>(-1)) >= {mc}UL,\n"
        f'              "{name}: a buffer of {mc} elements does not fit miniml::index_t on this '
        f'target (16-bit on AVR): use a smaller model");'
    )
    o += _io_constants("Input", g, g.inputs)
    o += _io_constants("Output", g, g.outputs)
    o.append(f"constexpr uint32_t kArenaBytes = {plan.arena_bytes};")
    o += parts.constants
    structs: Dict[str, List[RomArray]] = {}
    for r in parts.rom:
        structs.setdefault(r.struct, []).append(r)
    weights = structs.pop("WeightsData", [])
    o.append(
        "\n// Constants in flash: static members of a class template, so including this header from"
        "\n// several .cpp files links and keeps one copy."
    )
    o.append("template <typename Unused = void>\nstruct WeightsData {")
    for r in weights:
        o.append(f"  static const {r.dtype.ctype} {r.name}[{int(r.data.size)}];")
    o.append("};")
    for r in weights:
        o.append(_rom_definition(r))
    o.append("typedef WeightsData<> Weights;\n")
    o.append("class Model {\n public:")
    if parts.constructor:
        o.append("  Model() { reset(); }")
        o.append("  // Restores every RAM parameter to its exported value.")
        o.append("  void reset() {")
        o += [f"    {ln}" for ln in parts.constructor]
        o.append("  }")
    if len(g.inputs) == 1 and len(g.outputs) == 1:
        o.append("  // input: kInputSize values, output: kOutputSize floats, PyTorch order, batch 1; "
                 "no alias.")
    else:
        o.append("  // inputN: kInputSizeN values, outputN: kOutputSizeN floats, in the model's order "
                 "(PyTorch layout, batch 1); no buffer aliases another.")
    o.append(f"  {predict_signature(g)} {{")
    o += parts.predict
    o.append("  }")
    o += parts.methods
    if parts.members:
        o.append("\n private:")
        for m in parts.members:
            o.append(f"  {m.dtype.ctype} {m.name}[{m.padded_count}];  // {m.comment}")
    o.append("};")
    o.append(
        f"static_assert(sizeof(Model) == {parts.ram_bytes}, "
        f'"{name}: sizeof(Model) differs from the exporter\'s report");'
    )
    for struct, arrays in structs.items():
        o.append(f"\ntemplate <typename Unused = void>\nstruct {struct} {{")
        for r in arrays:
            o.append(f"  static const {r.dtype.ctype} {r.name}[{int(r.data.size)}];")
        o.append("};")
        for r in arrays:
            o.append(_rom_definition(r))
    o += parts.tail
    o.append(f"\n}}  // inline namespace v{_HASH}\n}}  // namespace {name}\n\n#endif  // {guard}\n")
    return "\n".join(o)


def _golden_run(g: Optional[Graph]) -> List[str]:
    """GoldenData::run(): predict() on one packed golden vector (all inputs back to back, as floats;
    all outputs back to back), so testing.h checks every input/output layout the same way. Without
    a graph (scikit-learn models) predict takes one float input and one float output."""
    lines = ["  // Runs model.predict on packed vectors: inputs (integer indices stored as exact floats)",
             "  // and outputs back to back, in the model's order.",
             "  static void run(Model& model, const float* packed_in, float* packed_out) {"]
    if g is None:
        return lines + ["    model.predict(packed_in, packed_out);", "  }"]
    args, pos = [], "0"
    for i, t in enumerate(g.inputs):
        spec, name = g.tensor(t), io_name("input", g.inputs, t)
        if spec.dtype is DType.F32:
            args.append(f"packed_in + {pos}")
        else:
            lines += [f"    static {spec.dtype.ctype} {name}[{spec.numel}];",
                      f"    for (miniml::index_t i = 0; i < {spec.numel}; ++i) "
                      f"{name}[i] = static_cast<{spec.dtype.ctype}>(packed_in[{pos} + i]);"]
            args.append(name)
        pos = f"{pos} + {spec.numel}" if pos != "0" else str(spec.numel)
    pos = "0"
    for t in g.outputs:
        args.append(f"packed_out + {pos}")
        pos = f"{pos} + {g.tensor(t).numel}" if pos != "0" else str(g.tensor(t).numel)
    lines += [f"    model.predict({', '.join(args)});", "  }"]
    return lines


def golden_parts(
    parts: HeaderParts, g: Optional[Graph], inputs: np.ndarray, outputs: np.ndarray, tolerance: float,
    provenance: str,
) -> None:
    """Adds kGoldenCount and Golden = GoldenData<> (kInputs, kOutputs in flash, kTolerance, the packed
    sizes kInputFloats/kOutputFloats and run())."""
    n = int(inputs.shape[0])
    n_in, n_out = int(inputs.shape[1]), int(outputs.shape[1])
    tol = float_literal(tolerance, "the golden tolerance")
    parts.tail.append(f"\n// Golden vectors: {provenance}")
    parts.tail.append(f"constexpr miniml::index_t kGoldenCount = {n};")
    parts.tail.append("template <typename Unused = void>\nstruct GoldenData {")
    parts.tail.append(f"  static constexpr miniml::index_t kInputFloats = {n_in};")
    parts.tail.append(f"  static constexpr miniml::index_t kOutputFloats = {n_out};")
    parts.tail.append(f"  static const float kInputs[{n} * {n_in}];")
    parts.tail.append(f"  static const float kOutputs[{n} * {n_out}];")
    parts.tail.append("  // relative to max(|expected|, 1)")
    parts.tail.append(f"  static constexpr float kTolerance = {tol};")
    parts.tail += _golden_run(g)
    parts.tail.append("};")
    for arr, nm, size in ((inputs, "kInputs", n_in), (outputs, "kOutputs", n_out)):
        body = float_array_body(arr.astype(np.float32), f"golden {nm}")
        parts.tail.append(
            f"template <typename Unused>\nconst float GoldenData<Unused>::{nm}[{n} * {size}] "
            f"MINIML_ROM = {{\n{body}}};"
        )
    parts.tail.append("template <typename Unused>\nconstexpr float GoldenData<Unused>::kTolerance;")
    for nm in ("kInputFloats", "kOutputFloats"):
        parts.tail.append(
            f"template <typename Unused>\nconstexpr miniml::index_t GoldenData<Unused>::{nm};")
    parts.tail.append("typedef GoldenData<> Golden;")


def emit_header(
    g: Graph,
    plan: MemoryPlan,
    name: str,
    provenance: str,
    golden: Optional[Tuple[np.ndarray, np.ndarray, float, str]] = None,
    extend: Optional[Callable[[HeaderParts, Graph, MemoryPlan], None]] = None,
) -> Tuple[str, HeaderParts]:
    parts = build_parts(g, plan, name)
    if extend is not None:
        extend(parts, g, plan)
    if golden is not None:
        golden_parts(parts, g, *golden)
    if parts.max_count > 0xFFFFFFFF:
        raise ModelTooLargeError(f"{name}: a buffer of {parts.max_count} elements is too large")
    return render(parts, g, plan, provenance), parts


