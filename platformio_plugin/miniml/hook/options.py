"""The `custom_miniml_*` options of a platformio.ini env: parsed and validated without PlatformIO or
torch, by the option table of miniml/options.py (stdlib only).

An unknown `custom_miniml_*` key or a bad value raises OptionError with one line that names the key
and the valid values (did-you-mean for misspelt keys).
"""

from __future__ import annotations

import dataclasses
import keyword
import os
import re
from typing import Any, Dict, List, Mapping, Tuple

from .. import options as schema
from ..errors import OptionError

PREFIX = schema.HOOK_PREFIX
OPTIONS: Dict[str, str] = schema.hook_table()  # key -> valid values (errors, README)
MODEL_SUFFIXES = (".pt2", ".skops")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# C++11 keywords and alternative tokens that Python's keyword list lacks; a namespace may not be
# one.
_CPP_KEYWORDS = frozenset(
    (
        "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t "
        "char32_t class compl const constexpr const_cast continue decltype default delete do "
        "double dynamic_cast else enum explicit export extern false float for friend goto if "
        "inline int long mutable namespace new noexcept not not_eq nullptr operator or or_eq "
        "private protected public register reinterpret_cast return short signed sizeof static "
        "static_assert static_cast struct switch template this thread_local throw true try "
        "typedef typeid typename union unsigned using virtual void volatile wchar_t while xor "
        "xor_eq miniml std main "
    ).split()
)


DATA_FILES = ("calibration", "train_sample")  # options naming a data file (project-relative)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str  # header `<name>.h` and C++ namespace `<name>`
    path: str  # absolute path of the .pt2 file


@dataclasses.dataclass(frozen=True)
class Options:
    models: Tuple[ModelSpec, ...]
    values: Dict[str, Any] = dataclasses.field(default_factory=dict)  # option name -> clean value

    def __getattr__(self, name: str) -> Any:  # opts.quantize, opts.golden, ...
        if name in schema.BY_NAME:
            return self.values.get(name)
        raise AttributeError(name)

    def export_args(self) -> List[str]:
        """Flags for `python -m miniml export`, shared by every model of the env."""
        return schema.cli_args(self.values)


def _check_name(name: str, line: str) -> str:
    key = "custom_miniml_model"
    if not _IDENT.match(name):
        raise OptionError(
            f"{key}: {line!r} gives the name {name!r}, which is not a C++ identifier; "
            f"write the line as `my_model = {line.split('=')[-1].strip()}`"
        )
    if keyword.iskeyword(name) or name in _CPP_KEYWORDS:
        raise OptionError(
            f"{key}: the name {name!r} is a reserved word in C++; "
            "write the line as `other_name = path`"
        )
    return name


def parse_models(value: str, project_dir: str) -> Tuple[ModelSpec, ...]:
    key = "custom_miniml_model"
    specs: List[ModelSpec] = []
    for raw in value.splitlines():
        line = re.split(r"(?:^|\s)[#;]", raw, maxsplit=1)[0].strip()  # drop ini comments
        if not line:
            continue
        if "=" in line:
            name, path = (part.strip() for part in line.split("=", 1))
            if not name or not path:
                raise OptionError(f"{key}: {line!r} must be `path` or `name = path`")
        else:
            path = line
            name = os.path.splitext(os.path.basename(path))[0]
        _check_name(name, line)
        if path.lower().endswith(PICKLE_SUFFIXES):
            raise OptionError(
                f"{key}: {path!r} is a pickle, which is never loaded (it can run any code); save the "
                "model with skops.io.dump(model, 'model.skops'), or convert a file you trust: python -c "
                f"\"import joblib, skops.io; skops.io.dump(joblib.load('{path}'), "
                f"'{os.path.splitext(path)[0]}.skops')\""
            )
        if not path.endswith(MODEL_SUFFIXES):
            raise OptionError(
                f"{key}: {path!r} is not a .pt2 or .skops file; save a PyTorch model with "
                "torch.export.save(program, 'model.pt2'), a scikit-learn one with "
                "skops.io.dump(model, 'model.skops')"
            )
        full = os.path.normpath(os.path.join(project_dir, os.path.expanduser(path)))
        if any(s.name.lower() == name.lower() for s in specs):  # one file on Windows/macOS
            raise OptionError(
                f"{key}: two models are named {name!r}; give one a name: `other = {path}`"
            )
        specs.append(ModelSpec(name=name, path=full))
    return tuple(specs)


def parse(raw: Mapping[str, str], project_dir: str) -> Options:
    """raw: every custom_miniml_* option of the env (other keys are ignored). Paths are relative to
    project_dir."""
    values = schema.parse_hook_values(raw)
    models = parse_models(values.pop("model") or "", project_dir)
    for name in DATA_FILES:
        given = values.get(name)
        if given:
            path = os.path.normpath(os.path.join(project_dir, os.path.expanduser(given)))
            if not os.path.isfile(path):
                raise schema.hook_error(schema.BY_NAME[name], given, f"no file {path}")
            values[name] = path
    return Options(models=models, values=values)
