"""The package's layers, read from the source with ast: capture -> ir <- passes / plan / emit; ops
use ir and the int8 scheme (quant); the stages (int8, train) use ops and passes, never the other way
round; nothing imports api but the package's own facade; no private name crosses a subpackage; the
planner is handed sizes, lifetimes and in-place pairs, not the op registry."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

PKG = Path(__file__).resolve().parents[3] / "platformio_plugin" / "miniml"


def _unit(module: str) -> str:
    """miniml.ops.linear -> "ops"; miniml.errors -> "errors"; miniml -> "miniml" (the facade)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "miniml"


def _module_name(path: Path) -> Tuple[str, bool]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts.pop()
    return ".".join(parts), is_pkg


def _is_submodule(name: str) -> bool:
    return (PKG / name).is_dir() or (PKG / f"{name}.py").is_file()


def _imports(path: Path) -> List[Tuple[str, Tuple[str, ...]]]:
    """(absolute module imported, names imported from it) for every import in the file, lazy ones
    included."""
    name, is_pkg = _module_name(path)
    package = name.split(".") if is_pkg else name.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, ()) for a in node.names if a.name.split(".")[0] == "miniml"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "miniml":  # from miniml import ops: the submodule; else the facade's names
                subs = [a.name for a in node.names if _is_submodule(a.name)]
                out += [(f"miniml.{s}", ()) for s in subs]
                rest = tuple(a.name for a in node.names if a.name not in subs)
                if rest:
                    out.append((mod, rest))
            elif mod.split(".")[0] == "miniml":
                out.append((mod, tuple(a.name for a in node.names)))
    return out


def _graph() -> Dict[str, List[Tuple[str, str, Tuple[str, ...]]]]:
    """unit -> [(importing file, imported module, names)] for imports that leave the unit."""
    edges: Dict[str, List[Tuple[str, str, Tuple[str, ...]]]] = {}
    for path in sorted(PKG.rglob("*.py")):
        src = _unit(_module_name(path)[0])
        for mod, names in _imports(path):
            if _unit(mod) != src:
                edges.setdefault(src, []).append((str(path.relative_to(PKG)), mod, names))
    return edges


EDGES = _graph()


def _deps(unit: str) -> Set[str]:
    return {_unit(mod) for _, mod, _ in EDGES.get(unit, ())}


def test_layers_units_exist():
    """The walk sees the package (a test that reads nothing asserts nothing)."""
    units = set(EDGES) | {d for u in EDGES for d in _deps(u)}
    assert {"ops", "ir", "passes", "plan", "emit", "capture", "quant", "int8", "train"} <= units
    assert "ir" in _deps("ops") and "ops" in _deps("emit")


def test_layers_no_cycle_between_subpackages():
    units = set(EDGES) | {d for u in EDGES for d in _deps(u)}
    state: Dict[str, int] = {}
    path: List[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        path.append(u)
        for d in sorted(_deps(u)):
            if state.get(d) == 1:
                cycle = path[path.index(d):] + [d]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if d not in state:
                visit(d)
        path.pop()
        state[u] = 2

    for u in sorted(units):
        if u not in state:
            visit(u)


def test_layers_nothing_imports_api():
    users = [
        f for u, es in EDGES.items() for f, mod, _ in es if _unit(mod) == "api" and u != "miniml"
    ]
    assert users == []


def test_layers_no_private_name_across_subpackages():
    bad = []
    for es in EDGES.values():
        for f, mod, names in es:
            private = [p for p in mod.split(".") if p.startswith("_")]
            private += [n for n in names if n.startswith("_")]
            if private:
                bad.append(f"{f}: from {mod} import {', '.join(names)}")
    assert bad == []


@pytest.mark.parametrize(
    "unit, allowed",
    [
        ("plan", {"ir", "errors"}),
        ("ir", {"errors"}),
        ("quant", {"errors"}),
        ("ops", {"ir", "quant", "errors", "literals"}),
        ("passes", {"ir", "ops", "quant", "errors", "channel_rows"}),  # channel_rows: a leaf
        ("emit", {"ir", "ops", "plan", "errors", "literals", "version"}),  # version.py: a leaf
    ],
)
def test_layers_allowed_dependencies(unit, allowed):
    """The lower layers import only what is below them (the planner: nothing from ops, quant or
    train; ops: the IR and the int8 scheme; no layer below the stages imports int8 or train)."""
    assert _deps(unit) <= allowed, sorted(_deps(unit) - allowed)


def test_layers_backward_lives_in_the_op_modules():
    """#10: an op's backward is declared by its op module (ops.BACKWARDS); the training stage only
    walks the graph and asks, so no backward kernel is named in train/ or split_training."""
    import re

    from miniml.ops import BACKWARDS

    assert {"linear", "conv1d", "conv2d", "activation", "max_pool2d", "add", "concat"} <= set(
        BACKWARDS)
    for op, rule in BACKWARDS.items():
        assert rule.emit.__module__.startswith("miniml.ops."), (op, rule.emit.__module__)
    stage = [*sorted((PKG / "train").glob("*.py")), PKG / "passes" / "split_training.py"]
    for path in stage:
        kernels = re.findall(r"miniml::\w*(?:backward|weight_grad|channel_sum)\w*", path.read_text())
        assert kernels == [], (path.name, kernels)
