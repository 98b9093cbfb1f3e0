"""Crafted .pt2 archives: each code path torch.export.load would run (three pickles and a sympify),
plus seeded mutations of a good archive. A payload, when run, creates the file `marker`.
"""

from __future__ import annotations

import builtins
import io
import json
import pickle
import random
import zipfile
from typing import Callable, Dict, List, Optional, Tuple

import torch

Edit = Callable[[Dict[str, bytes], str], None]  # (entries without the root folder, marker path)


class _Payload:
    """Unpickling it opens `marker` for writing (creating the file): code run by loading."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def _torch_saved(marker: str) -> bytes:
    buf = io.BytesIO()
    torch.save(_Payload(marker), buf)
    return buf.getvalue()


def read_entries(path: str) -> Tuple[str, Dict[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        root = names[0].split("/", 1)[0] + "/"
        return root, {n[len(root) :]: z.read(n) for n in names}


def write_entries(path: str, root: str, entries: Dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(root + name, data)
    return path


def _json_edit(entries: Dict[str, bytes], name: str, fn: Callable[[dict], None]) -> None:
    doc = json.loads(entries[name])
    fn(doc)
    entries[name] = json.dumps(doc).encode()


def _sample_inputs(entries: Dict[str, bytes], marker: str) -> None:
    entries["data/sample_inputs/model.pt"] = _torch_saved(marker)


def _pickled_weight(entries: Dict[str, bytes], marker: str) -> None:
    def edit(doc: dict) -> None:
        first = next(iter(doc["config"].values()))
        first["use_pickle"] = True
        entries["data/weights/" + first["path_name"]] = _torch_saved(marker)

    _json_edit(entries, "data/weights/model_weights_config.json", edit)


def _opaque_constant(entries: Dict[str, bytes], marker: str) -> None:
    def edit(doc: dict) -> None:
        doc["config"]["evil"] = {
            "path_name": "opaque_obj_0",
            "is_param": False,
            "use_pickle": True,
            "tensor_meta": None,
        }

    _json_edit(entries, "data/constants/model_constants_config.json", edit)
    entries["data/constants/opaque_obj_0"] = pickle.dumps(_Payload(marker))


def _sympy_shape(entries: Dict[str, bytes], marker: str) -> None:
    def edit(doc: dict) -> None:
        tensor = next(iter(doc["graph_module"]["graph"]["tensor_values"].values()))
        tensor["sizes"][0] = {
            "as_expr": {
                "expr_str": f"__import__('builtins').open({marker!r}, 'w')",
                "hint": {"as_int": 1},
            }
        }

    _json_edit(entries, "models/model.json", edit)


# name -> edit; the first three are the pickle paths of torch.export.load, the last its sympify
CRAFTED: Dict[str, Edit] = {
    "sample_inputs": _sample_inputs,
    "use_pickle_weight": _pickled_weight,
    "opaque_constant": _opaque_constant,
    "sympy_shape": _sympy_shape,
}


def crafted(good: str, kind: str, out: str, marker: str) -> str:
    root, entries = read_entries(good)
    CRAFTED[kind](entries, marker)
    return write_entries(out, root, entries)


def torch_save_file(path: str, model: torch.nn.Module) -> str:
    torch.save(model, path)
    return path


def _mutate_json(doc, rng: random.Random) -> None:
    """One random change deep inside a JSON document: a value replaced, a key dropped or a list
    entry removed."""
    node, parents = doc, []
    while isinstance(node, (dict, list)) and node and rng.random() < 0.85:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parents.append((node, key))
        node = node[key]
    if not parents:
        return
    container, key = parents[-1]
    choice = rng.randrange(4)
    if choice == 0 and isinstance(container, dict):
        del container[key]
    elif choice == 1 and isinstance(container, list):
        del container[key]
    else:
        container[key] = rng.choice(
            [
                None,
                -1,
                0,
                2**40,
                "x",
                1.5,
                [],
                {},
                True,
                "torch.ops.aten.x.y",
                {"as_int": -3},
                [{"as_int": 999999}],
            ]
        )


def mutate(good: str, out: str, seed: int) -> Tuple[str, str]:
    """A seeded mutation of `good`: bytes flipped, truncated, an entry dropped or its JSON edited.
    Returns (path, description)."""
    rng = random.Random(seed)
    kind = rng.choice(["flip", "truncate", "drop", "json", "json", "json", "payload"])
    data = open(good, "rb").read()
    if kind == "flip":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        open(out, "wb").write(bytes(buf))
        return out, kind
    if kind == "truncate":
        open(out, "wb").write(data[: rng.randrange(len(data))])
        return out, kind
    root, entries = read_entries(good)
    if kind == "drop":
        victim = rng.choice(sorted(entries))
        del entries[victim]
        return write_entries(out, root, entries), f"drop {victim}"
    if kind == "payload":
        victim = rng.choice(sorted(n for n in entries if n.startswith("data/weights/weight_")))
        entries[victim] = entries[victim][: rng.randrange(len(entries[victim]) + 1)]
        return write_entries(out, root, entries), f"payload {victim}"
    victim = rng.choice(sorted(n for n in entries if n.endswith(".json")))
    doc = json.loads(entries[victim])
    for _ in range(rng.randint(1, 3)):
        _mutate_json(doc, rng)
    entries[victim] = json.dumps(doc).encode()
    return write_entries(out, root, entries), f"json {victim}"


def outcomes(
    paths: List[str], load: Callable[[str], object], error: type
) -> Tuple[int, List[Tuple[str, Optional[str]]]]:
    """How many loads ended in `error`, and the others (path, exception type or None if loaded)."""
    ok, other = 0, []
    for p in paths:
        try:
            load(p)
            other.append((p, None))
        except error:
            ok += 1
        except Exception as exc:
            other.append((p, f"{type(exc).__name__}: {exc}"))
    return ok, other
