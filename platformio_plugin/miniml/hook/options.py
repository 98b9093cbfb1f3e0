"""The `custom_miniml_*` options of a platformio.ini env: parsed and validated without PlatformIO or
torch.

Every key of the public option set is in OPTIONS; an unknown `custom_miniml_*` key or a bad value
raises OptionError with one line that names the key and the valid values (did-you-mean for misspelt
keys).
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import os
import re
from typing import Dict, List, Mapping, Optional, Tuple

PREFIX = "custom_miniml_"

# key -> one-line description of the valid values (shown in errors and the README options table)
OPTIONS: Dict[str, str] = {
    "custom_miniml_model": "one or more .pt2 files, one per line, each `path` or `name = path`",
    "custom_miniml_quantize": "none, int8",
    "custom_miniml_calibration": "calibration inputs, a .npy or .pt file; needs quantize = int8",
    "custom_miniml_calibration_method": "minmax, percentile, mse (int8 activation ranges)",
    "custom_miniml_on_device_learning": "yes, no (also true/false, on/off, 1/0)",
    "custom_miniml_loss": "mse, cross_entropy (needs on_device_learning = yes)",
    "custom_miniml_learning_rate": "a number > 0 (needs on_device_learning = yes)",
    "custom_miniml_momentum": "a number >= 0, as torch.optim.SGD (needs on_device_learning = yes)",
    "custom_miniml_trainable": "k (the last k Linear layers) or parameter names, comma-separated, "
    "e.g. head,body.0.bias (needs on_device_learning = yes)",
    "custom_miniml_python": "a Python interpreter with torch (path or command name)",
    "custom_miniml_golden": "an integer >= 0: golden vectors embedded for on-target checks",
    "custom_miniml_plot": "yes, no: also draw the arena plan, RAM and MACs per layer next to the header "
    "(<name>.plan.png; needs matplotlib)",
}

QUANTIZE_VALUES = ("none", "int8")
LOSS_VALUES = ("mse", "cross_entropy")
CALIBRATION_METHODS = ("minmax", "percentile", "mse")
_TRUE = ("yes", "true", "on", "1")
_FALSE = ("no", "false", "off", "0")
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


class OptionError(ValueError):
    """A `custom_miniml_*` option is unknown or has a bad value; str() is the one line shown to the
    user."""


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str  # header `<name>.h` and C++ namespace `<name>`
    path: str  # absolute path of the .pt2 file


@dataclasses.dataclass(frozen=True)
class Options:
    models: Tuple[ModelSpec, ...]
    quantize: Optional[str] = None
    calibration: Optional[str] = None  # absolute path
    calibration_method: Optional[str] = None
    on_device_learning: bool = False
    loss: Optional[str] = None
    learning_rate: Optional[float] = None
    momentum: Optional[float] = None
    trainable: Optional[str] = None  # as the CLI's --trainable takes it
    python: Optional[str] = None  # as written; resolved by exporter.find_python
    golden: int = 0
    plot: bool = False

    def export_args(self) -> List[str]:
        """Flags for `python -m miniml export`, shared by every model of the env."""
        args: List[str] = []
        if self.quantize:
            args += ["--quantize", self.quantize]
        if self.calibration:
            args += ["--calibration", self.calibration]
        if self.calibration_method:
            args += ["--calibration-method", self.calibration_method]
        if self.on_device_learning:
            args.append("--on-device-learning")
            if self.loss:
                args += ["--loss", self.loss]
            if self.learning_rate is not None:
                args += ["--learning-rate", repr(self.learning_rate)]
            if self.momentum is not None:
                args += ["--momentum", repr(self.momentum)]
            if self.trainable:
                args += ["--trainable", self.trainable]
        if self.golden:
            args += ["--golden", str(self.golden)]
        if self.plot:
            args.append("--plot")
        return args


def _bad(key: str, value: str, why: str = "") -> OptionError:
    extra = f" ({why})" if why else ""
    return OptionError(f"{key} = {value!r} is not valid{extra}; valid: {OPTIONS[key]}")


def check_keys(keys: List[str]) -> None:
    """Refuse unknown custom_miniml_* keys, suggesting the closest known one."""
    for key in keys:
        if not key.startswith(PREFIX) or key in OPTIONS:
            continue
        close = difflib.get_close_matches(key, list(OPTIONS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        raise OptionError(
            f"unknown option {key}; {hint}valid options: {', '.join(sorted(OPTIONS))}"
        )


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
        if not path.endswith(".pt2"):
            raise OptionError(
                f"{key}: {path!r} is not a .pt2 file; "
                "save the model with torch.export.save(program, 'model.pt2')"
            )
        full = os.path.normpath(os.path.join(project_dir, os.path.expanduser(path)))
        if any(s.name == name for s in specs):
            raise OptionError(
                f"{key}: two models are named {name!r}; give one a name: `other = {path}`"
            )
        specs.append(ModelSpec(name=name, path=full))
    return tuple(specs)


def _bool(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _bad(key, value)


def _learning_number(key: str, text: str, odl: bool) -> Optional[float]:
    """A finite number for an on-device-learning option, or None when unset."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _bad(key, text) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad(key, text)
    if not odl:
        raise _bad(key, text, "set custom_miniml_on_device_learning = yes")
    return value


def parse(raw: Mapping[str, str], project_dir: str) -> Options:
    """raw: every custom_miniml_* option of the env (other keys are ignored). Paths are relative to
    project_dir."""
    check_keys(list(raw))
    get = lambda k: (raw.get(k) or "").strip()  # noqa: E731
    models = parse_models(get("custom_miniml_model"), project_dir)

    quantize = get("custom_miniml_quantize").lower() or "none"
    if quantize not in QUANTIZE_VALUES:
        raise _bad("custom_miniml_quantize", get("custom_miniml_quantize"))

    calibration = get("custom_miniml_calibration")
    if calibration:
        if quantize != "int8":
            raise _bad(
                "custom_miniml_calibration",
                calibration,
                "only used with custom_miniml_quantize = int8",
            )
        calibration = os.path.normpath(os.path.join(project_dir, os.path.expanduser(calibration)))
        if not os.path.isfile(calibration):
            raise _bad(
                "custom_miniml_calibration",
                get("custom_miniml_calibration"),
                f"no file {calibration}",
            )

    method = get("custom_miniml_calibration_method").lower() or None
    if method is not None:
        if method not in CALIBRATION_METHODS:
            raise _bad("custom_miniml_calibration_method", get("custom_miniml_calibration_method"))
        if quantize != "int8":
            raise _bad(
                "custom_miniml_calibration_method",
                method,
                "only used with custom_miniml_quantize = int8",
            )

    odl = _bool("custom_miniml_on_device_learning", get("custom_miniml_on_device_learning") or "no")

    loss = get("custom_miniml_loss").lower() or None
    if loss is not None:
        if loss not in LOSS_VALUES:
            raise _bad("custom_miniml_loss", get("custom_miniml_loss"))
        if not odl:
            raise _bad("custom_miniml_loss", loss, "set custom_miniml_on_device_learning = yes")

    lr_text = get("custom_miniml_learning_rate")
    learning_rate: Optional[float] = None
    if lr_text:
        try:
            learning_rate = float(lr_text)
        except ValueError:
            raise _bad("custom_miniml_learning_rate", lr_text) from None
        if not (learning_rate > 0.0 and learning_rate < float("inf")):
            raise _bad("custom_miniml_learning_rate", lr_text)
        if not odl:
            raise _bad(
                "custom_miniml_learning_rate", lr_text, "set custom_miniml_on_device_learning = yes"
            )

    momentum = _learning_number("custom_miniml_momentum", get("custom_miniml_momentum"), odl)
    if momentum is not None and momentum < 0.0:
        raise _bad("custom_miniml_momentum", get("custom_miniml_momentum"))

    trainable = get("custom_miniml_trainable") or None
    if trainable is not None:
        parts = [p.strip() for p in trainable.split(",")]
        if not all(re.fullmatch(r"\d+|[A-Za-z_][A-Za-z0-9_.]*", p) for p in parts):
            raise _bad("custom_miniml_trainable", trainable)
        if not odl:
            raise _bad("custom_miniml_trainable", trainable, "set custom_miniml_on_device_learning = yes")
        trainable = ",".join(parts)

    golden_text = get("custom_miniml_golden") or "0"
    if not re.fullmatch(r"\d+", golden_text):
        raise _bad("custom_miniml_golden", golden_text)
    golden = int(golden_text)

    return Options(
        models=models,
        quantize=None if quantize == "none" else quantize,
        calibration=calibration or None,
        calibration_method=method,
        on_device_learning=odl,
        loss=loss,
        learning_rate=learning_rate,
        momentum=momentum,
        trainable=trainable,
        python=get("custom_miniml_python") or None,
        golden=golden,
        plot=_bool("custom_miniml_plot", get("custom_miniml_plot")) if get("custom_miniml_plot") else False,
    )
