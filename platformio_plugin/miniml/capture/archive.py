"""Reads a torch.export.save archive (.pt2) as data: never unpickles, never evaluates a string.

torch.export.load unpickles in three places (the sample inputs, weights marked use_pickle,
custom and opaque object constants) and parses symbolic shape expressions with sympy.sympify
(eval). This loader reads the zip with the standard library, builds tensors from the raw little-
endian bytes, skips the sample inputs, checks the program JSON (aten ops only, fixed shapes, no
custom objects) and only then hands the JSON to torch's deserializer. Every malformed archive
ends in one MinimlError.
"""

from __future__ import annotations

import json
import math
import zipfile
from typing import Any, Dict, List, Tuple

from ..errors import MinimlError

RESAVE = "torch.export.save(torch.export.export(model.eval(), (x,)), 'model.pt2')"
_MAX_ENTRY_BYTES = 256 << 20  # far above any microcontroller model; stops zip bombs
_MAX_ELEMENTS = 1 << 26
_ALLOWED_TARGETS = ("torch.ops.aten.",)
_ALLOWED_EXACT = ("_operator.getitem",)


class ArchiveError(MinimlError):
    """A model file that is not a plain torch.export archive or needs code to load."""


def _fail(path: str, why: str) -> ArchiveError:
    return ArchiveError(f"cannot load {path!r}: {why}")


def _not_program(path: str, why: str) -> ArchiveError:
    return _fail(path, f"{why}; save the model with {RESAVE}")


class _Zip:
    """The archive's entries under its single root folder ('<name>/...'), read with size limits."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except Exception as exc:  # BadZipFile, LargeZipFile, EOFError, ValueError, ...
            raise _not_program(
                path, f"not a torch.export archive (not a readable zip: {exc})"
            ) from None
        roots = {i.filename.split("/", 1)[0] for i in infos}
        if len(roots) != 1 or any("/" not in i.filename for i in infos):
            raise _not_program(
                path, "the zip has no single root folder, as torch.export.save writes"
            )
        self.root = roots.pop() + "/"
        self.infos = {i.filename[len(self.root) :]: i for i in infos}

    def names(self) -> List[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise _not_program(self.path, f"the archive has no {name!r}")
        if info.file_size > _MAX_ENTRY_BYTES:
            raise _fail(
                self.path, f"{name!r} claims {info.file_size} bytes (limit {_MAX_ENTRY_BYTES})"
            )
        try:
            with self.zf.open(info) as f:
                data = f.read(_MAX_ENTRY_BYTES + 1)
        except Exception as exc:  # zlib.error, BadZipFile (CRC), NotImplementedError (method), ...
            raise _fail(self.path, f"{name!r} is corrupted ({type(exc).__name__}: {exc})") from None
        if len(data) > _MAX_ENTRY_BYTES:
            raise _fail(self.path, f"{name!r} is larger than {_MAX_ENTRY_BYTES} bytes")
        return data

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _fail(self.path, f"{name!r} is not valid JSON ({str(exc)[:120]})") from None


def _open(path: str) -> _Zip:
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80":  # pickle protocol 2+: torch.save's legacy format
        raise _torch_save(path)
    z = _Zip(path)
    try:
        _check_format(z)
    except MinimlError:
        z.zf.close()
        raise
    return z


def _check_format(z: _Zip) -> None:
    path, names = z.path, z.names()
    if "data.pkl" in names and "archive_format" not in names:
        raise _torch_save(path)
    fmt = z.read("archive_format").decode("utf-8", "replace").strip()
    if fmt != "pt2":
        raise _not_program(path, f"archive_format is {fmt[:20]!r}, not 'pt2'")
    version = z.read("archive_version").decode("utf-8", "replace").strip()
    if version != "0":
        raise _not_program(path, f"archive_version {version[:20]!r} is not the supported '0'")
    if "byteorder" in names and z.read("byteorder").strip() != b"little":
        raise _not_program(
            path, "the tensors are stored big-endian; save on a little-endian machine"
        )


def _torch_save(path: str) -> ArchiveError:
    return _fail(
        path,
        "this is a torch.save file (pickled Python objects), not a torch.export archive; MiniML "
        "never unpickles model files (unpickling runs code). Save the model with " + RESAVE,
    )


def _model_name(z: _Zip) -> str:
    models = [
        n[len("models/") : -len(".json")]
        for n in z.names()
        if n.startswith("models/") and n.endswith(".json")
    ]
    if len(models) != 1:
        raise _not_program(
            z.path,
            f"the archive holds {len(models)} programs (models/*.json); "
            "MiniML loads archives with exactly one",
        )
    return models[0]


def _ints(path: str, what: str, items: Any) -> Tuple[int, ...]:
    out = []
    for it in items if isinstance(items, list) else [None]:
        v = it.get("as_int") if isinstance(it, dict) else None
        if type(v) is not int or v < 0:
            raise _fail(
                path, f"{what} is not a list of fixed non-negative integers ({str(items)[:80]})"
            )
        out.append(v)
    return tuple(out)


def _tensor_meta(
    path: str, fqn: str, meta: Any
) -> Tuple[int, Tuple[int, ...], Tuple[int, ...], int]:
    if not isinstance(meta, dict):
        raise _fail(path, f"tensor {fqn!r} has no tensor_meta")
    sizes = _ints(path, f"tensor {fqn!r} sizes", meta.get("sizes"))
    strides = _ints(path, f"tensor {fqn!r} strides", meta.get("strides"))
    offset = _ints(path, f"tensor {fqn!r} storage_offset", [meta.get("storage_offset")])[0]
    if len(sizes) != len(strides):
        raise _fail(path, f"tensor {fqn!r} has {len(sizes)} sizes but {len(strides)} strides")
    if math.prod(sizes) > _MAX_ELEMENTS:
        raise _fail(path, f"tensor {fqn!r} has {math.prod(sizes)} elements (limit {_MAX_ELEMENTS})")
    dtype = meta.get("dtype")
    if type(dtype) is not int:
        raise _fail(path, f"tensor {fqn!r} has dtype {dtype!r}")
    return dtype, sizes, strides, offset


def _torch_dtype(path: str, fqn: str, code: int) -> Any:
    from torch._export.serde.schema import ScalarType
    from torch._export.serde.serialize import _SERIALIZE_TO_TORCH_DTYPE

    try:
        return _SERIALIZE_TO_TORCH_DTYPE[ScalarType(code)]
    except (KeyError, ValueError):
        raise _fail(path, f"tensor {fqn!r} has an unknown dtype code {code}") from None


def _refuse_pickled(path: str, kind: str, fqn: str, entry: Dict[str, Any]) -> None:
    name = str(entry.get("path_name", ""))
    if name.startswith(("custom_obj_", "opaque_obj_")):
        raise _fail(
            path,
            f"constant {fqn!r} is a pickled Python object ({name}); MiniML loads tensors only and "
            "never unpickles model files. Remove the object from the model and save with " + RESAVE,
        )
    if entry.get("use_pickle") is True:
        raise _fail(
            path,
            f"{kind} {fqn!r} is stored pickled (a tensor subclass such as a quantized or wrapped "
            "tensor); MiniML never unpickles model files (unpickling runs code). Make it a plain "
            "tensor (e.g. nn.Parameter(t.detach().as_subclass(torch.Tensor).clone())) and save with "
            + RESAVE,
        )


def _payloads(z: _Zip, kind: str, config: str, folder: str) -> Dict[str, Any]:
    """fqn -> tensor for one payload config (weights or constants); storage shared by path_name."""
    import torch

    raw = z.json(config)
    entries = raw.get("config") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise _fail(z.path, f"{config!r} has no 'config' object")
    storages: Dict[str, Any] = {}
    out: Dict[str, Any] = {}
    for fqn, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path_name"), str):
            raise _fail(z.path, f"{kind} {fqn!r} in {config!r} has no path_name")
        _refuse_pickled(z.path, kind, fqn, entry)
        if not entry["path_name"].startswith(("weight_", "tensor_")):
            raise _fail(z.path, f"{kind} {fqn!r} has an unknown payload {entry['path_name']!r}")
        code, sizes, strides, offset = _tensor_meta(z.path, fqn, entry.get("tensor_meta"))
        dtype = _torch_dtype(z.path, fqn, code)
        key = entry["path_name"]
        if key not in storages:
            data = z.read(folder + key)
            item = torch.empty((), dtype=dtype).element_size()
            if len(data) % item:
                raise _fail(
                    z.path,
                    f"{folder + key!r} holds {len(data)} bytes, not a whole number "
                    f"of {dtype} elements",
                )
            storages[key] = (
                torch.frombuffer(bytearray(data), dtype=dtype)
                if data
                else torch.empty(0, dtype=dtype)
            )
        flat = storages[key]
        if flat.dtype != dtype:
            raise _fail(
                z.path, f"{kind} {fqn!r} reads {key!r} as {dtype}, another entry as {flat.dtype}"
            )
        last = offset + sum((s - 1) * st for s, st in zip(sizes, strides))
        if math.prod(sizes) and last >= flat.numel():
            raise _fail(
                z.path,
                f"{kind} {fqn!r} (sizes {list(sizes)}, strides {list(strides)}, "
                f"offset {offset}) reads past the {flat.numel()} elements of {key!r}",
            )
        t = (
            flat.as_strided(sizes, strides, offset)
            if math.prod(sizes)
            else torch.zeros(sizes, dtype=dtype)
        )
        meta = entry["tensor_meta"]
        if entry.get("is_param") is True:
            t = torch.nn.Parameter(
                t, requires_grad=bool(meta.get("requires_grad")) and t.is_floating_point()
            )
        out[fqn] = t
    return out


def _walk(obj: Any):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            yield o
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)


def _check_program(path: str, program: Any) -> None:
    """Refuses what the deserializer would evaluate: symbolic expressions (sympify runs eval),
    custom objects, and call targets outside aten (resolved by attribute lookup on torch)."""
    try:
        graph = program["graph_module"]["graph"]
        nodes = graph["nodes"]
    except (TypeError, KeyError):
        raise _not_program(path, "models/*.json is not a torch.export program") from None
    if not isinstance(nodes, list):
        raise _not_program(path, "the program's node list is malformed")
    for d in _walk(program):
        if "as_expr" in d:  # a union's JSON holds only the member that is set
            raise _fail(
                path,
                "the program has symbolic (dynamic) shapes; MiniML needs fixed shapes: "
                "export without dynamic_shapes= and save with " + RESAVE,
            )
        if "as_custom_obj" in d or "custom_obj" in d:
            raise _fail(
                path,
                "the program uses a custom (script/opaque) object; MiniML loads tensors "
                "only and never unpickles model files",
            )
    if graph.get("custom_obj_values"):
        raise _fail(path, "the program holds custom objects; MiniML loads tensors only")
    for n in nodes:
        target = n.get("target") if isinstance(n, dict) else None
        if not isinstance(target, str) or not (
            target.startswith(_ALLOWED_TARGETS) or target in _ALLOWED_EXACT
        ):
            raise _fail(
                path,
                f"the program calls {str(target)[:80]!r}; MiniML loads programs of aten "
                "ops only (torch.export.export produces them)",
            )


def load_archive(path: str) -> Any:
    """The ExportedProgram in `path`, built without unpickling; its example_inputs are None."""
    z = _open(path)
    try:
        name = _model_name(z)
        for legacy in (f"data/weights/{name}.pt", f"data/constants/{name}.pt"):
            if legacy in z.infos:
                raise _fail(
                    path,
                    f"{legacy!r} is a legacy pickled payload; MiniML never unpickles "
                    "model files. Save the model again with " + RESAVE,
                )
        program = z.json(f"models/{name}.json")
        _check_program(path, program)
        weights = _payloads(
            z, "weight", f"data/weights/{name}_weights_config.json", "data/weights/"
        )
        constants = _payloads(
            z, "constant", f"data/constants/{name}_constants_config.json", "data/constants/"
        )
    finally:
        z.zf.close()
    return _deserialize(path, program, weights, constants)


def _deserialize(
    path: str, program: Any, weights: Dict[str, Any], constants: Dict[str, Any]
) -> Any:
    from torch._export.serde import schema
    from torch._export.serde.serialize import ExportedProgramDeserializer, _dict_to_dataclass

    try:
        serialized = _dict_to_dataclass(schema.ExportedProgram, program)
        return ExportedProgramDeserializer(None).deserialize(serialized, weights, constants, None)
    except MinimlError:
        raise
    except Exception as exc:  # SerializeError, KeyError, TypeError, ...: the fix is the same
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise _not_program(
            path, f"the program does not deserialize ({type(exc).__name__}: {first})"
        ) from None


def load_program(path: Any) -> Any:
    """load_archive() of an existing file; anything else is one MinimlError."""
    import os

    if not isinstance(path, str) or not os.path.isfile(path):
        raise MinimlError(f"cannot load {path!r}: no such file (save one with {RESAVE})")
    try:
        return load_archive(path)
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror or exc})") from None
