"""The export options: one table (OPTIONS) from which every other view of them is generated.

- the Python API's validation: `check_options(dict)` (miniml.export(**options));
- the CLI's flags: `add_cli_flags(parser)`, `cli_options(args)` (`miniml export --quantize int8`);
- the build hook's `custom_miniml_*` keys: `hook_table()`, `parse_hook_values()` (stdlib only:
  this module imports nothing else, so the hook never pulls in torch or numpy);
- the README options table: `readme_rows()` (scripts/update_readme.py; test_readme.py).
test/python/test_options.py checks that each generated table equals this one.

Adding an option is one entry in OPTIONS, e.g.

    Option("optimizer", "choice", "sgd", "sgd, adam", "the on-device optimizer",
           choices=("sgd", "adam"), needs=("on_device_learning", True)),

`kind` ("choice", "bool", "number", "int", "path", "trainable", "text") says how a value is read
and checked; `low`/`high` bound numbers (`low_open`/`high_open`: strict); `needs` names the option
(and the value) without which setting this one is an error; `where` says which surfaces offer it
("api", "cli", "hook"). The stage that uses the option reads it from the options dict handed to it
(ExportContext.options); nothing else needs to change.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .errors import OptionError
from . import channel_rows

HOOK_PREFIX = "custom_miniml_"
EVERYWHERE: FrozenSet[str] = frozenset(("api", "cli", "hook"))
_TRUE = ("yes", "true", "on", "1")
_FALSE = ("no", "false", "off", "0")


@dataclass(frozen=True)
class Option:
    name: str  # API keyword; CLI --name-with-dashes; hook custom_miniml_<name>
    kind: str  # choice | bool | number | int | path | trainable | text | models
    default: Any  # the API's default (None: unset)
    valid: str  # the valid values, one line: errors, --help and the README table show it
    help: str
    choices: Tuple[str, ...] = ()  # kind "choice"; "none" stands for None
    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False  # low < value instead of low <= value
    high_open: bool = False
    needs: Optional[Tuple[str, Any]] = None  # (option, value) this one is only used with
    where: FrozenSet[str] = EVERYWHERE

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def hook_key(self) -> str:
        return HOOK_PREFIX + self.name


_ODL = ("on_device_learning", True)
_INT8 = ("quantize", "int8")
_ADAM = ("optimizer", "adam")

# fmt: off
OPTIONS: Tuple[Option, ...] = (
    Option("model", "models", None,
           "one or more .pt2 (PyTorch) or .skops (scikit-learn) files, one per line, each `path` or "
           "`name = path`",
           "the models to export", where=frozenset(("hook",))),
    Option("quantize", "choice", None, "none, int8", "int8: TFLite's integer scheme",
           choices=("none", "int8")),
    Option("calibration", "path", None, "calibration inputs, a .npy or .pt file",
           "representative inputs for the int8 activation ranges", needs=_INT8),
    Option("calibration_method", "choice", "minmax", "minmax, percentile, mse",
           "how int8 activation ranges are chosen", choices=("minmax", "percentile", "mse"),
           needs=_INT8),
    Option("on_device_learning", "bool", False, "yes, no (also true/false, on/off, 1/0)",
           "bake an SGD step on the last layers into the model (docs/learning.md)"),
    Option("loss", "choice", "mse", "mse, cross_entropy", "the on-device loss",
           choices=("mse", "cross_entropy"), needs=_ODL),
    # the device keeps the rate in a float: smallest normal float32 .. largest float32
    Option("learning_rate", "number", 0.01, "a number > 0 that a float32 holds (1.2e-38 to 3.4e38)",
           "the SGD learning rate", low=1.1754943508222875e-38, high=3.4028234663852886e38,
           needs=_ODL),
    Option("momentum", "number", 0.0, "a number in [0, 1), as torch.optim.SGD", "SGD momentum",
           low=0.0, high=1.0, high_open=True, needs=_ODL),
    Option("optimizer", "choice", "sgd", "sgd, adam",
           "the on-device optimizer: torch.optim.SGD or torch.optim.Adam (docs/learning.md)",
           choices=("sgd", "adam"), needs=_ODL),
    Option("weight_decay", "number", 0.0, "a number >= 0 that a float32 holds",
           "L2 weight decay of the optimizer, as torch.optim's weight_decay", low=0.0,
           high=3.4028234663852886e38, needs=_ODL),
    Option("beta1", "number", 0.9, "a number in [0, 1), torch.optim.Adam's betas[0]",
           "Adam's first-moment decay", low=0.0, high=1.0, high_open=True, needs=_ADAM),
    Option("beta2", "number", 0.999, "a number in [0, 1), torch.optim.Adam's betas[1]",
           "Adam's second-moment decay", low=0.0, high=1.0, high_open=True, needs=_ADAM),
    # eps > 0: with 0, a parameter whose gradient was always 0 would step by 0 / 0
    Option("eps", "number", 1e-8, "a number > 0 that a float32 holds (1.2e-38 to 3.4e38)",
           "Adam's eps", low=1.1754943508222875e-38, high=3.4028234663852886e38, needs=_ADAM),
    Option("spare_classes", "int", 0, "an integer 0..1024",
           "output rows reserved for classes the device adds with add_class() (docs/learning.md)",
           low=0, high=1024, needs=("loss", "cross_entropy")),
    Option("trainable", "trainable", None,
           "k (the last k Linear layers) or parameter/module names of any Conv1d/Conv2d/Linear, "
           "comma-separated, e.g. features.3.weight,features.3.bias,head; output channels of a "
           "weight as features.3.weight[0,5:8]",
           "what learns on the device (default: the final Linear)", needs=_ODL),
    Option("train_budget", "int", None,
           "bytes of training RAM, an integer >= 1 (instead of trainable)",
           "pick what learns (biases first, then the weights that contribute most) so that the "
           "training RAM fits", low=1, high=2**31 - 1, needs=_ODL),
    Option("train_sample", "path", None,
           "training inputs [N, ...] as a .npy file, or a .npz with x (and optionally y: targets "
           "or labels)",
           "the sample train_budget measures contributions on (default: the calibration data, "
           "else seeded random inputs)", needs=_ODL),
    Option("streaming", "bool", False, "yes, no (also true/false, on/off, 1/0)",
           "add Model::step() / reset_state(): one time step at a time (README: streaming)"),
    Option("optimize", "choice", "size", "size, speed",
           "size: the smallest kernels (default); speed: faster kernels that take more flash, "
           "e.g. the ATmega float multiply-accumulate (README: Options)",
           choices=("size", "speed")),
    Option("python", "text", None, "a Python interpreter with torch (path or command name)",
           "the interpreter that runs the exporter", where=frozenset(("hook",))),
    Option("golden", "int", 0, "an integer 0..1024: golden vectors embedded for on-target checks",
           "embed N seeded inputs and PyTorch's outputs for `pio test`", low=0, high=1024),
    Option("plot", "bool", False, "yes, no (also true/false, on/off, 1/0)",
           "also draw the arena plan, RAM and MACs per layer next to the header "
           "(<name>.plan.png; needs matplotlib)"),
    Option("seed", "int", 0, "an integer 0 .. 2**63 - 1", "seed of the golden inputs", low=0,
           high=2**63 - 1,
           where=frozenset(("api", "cli"))),
)
# fmt: on
BY_NAME: Dict[str, Option] = {o.name: o for o in OPTIONS}


def _surface(where: str) -> List[Option]:
    return [o for o in OPTIONS if where in o.where]


def _needs_text(opt: Option, surface: str) -> str:
    """What `opt` needs, as the surface spells options (hook: custom_miniml_x = v, cli: --x v)."""
    other, value = opt.needs  # type: ignore[misc]
    if surface == "hook":
        other = HOOK_PREFIX + other
        return f"set {other} = yes" if value is True else f"only used with {other} = {value}"
    if surface == "cli":
        flag = BY_NAME[other].flag
        return f"needs {flag}" if value is True else f"needs {flag} {value}"
    return f"set {other}=True" if value is True else f"only used with {other}={value!r}"


def _in_range(opt: Option, x: float) -> bool:
    if opt.low is not None and (x <= opt.low if opt.low_open else x < opt.low):
        return False
    if opt.high is not None and (x >= opt.high if opt.high_open else x > opt.high):
        return False
    return True


def convert(opt: Option, value: Any) -> Any:
    """The clean value of one option given as text (CLI, platformio.ini) or as a Python value (API);
    raises ValueError when it is not valid (the caller words the message)."""
    if value is None and opt.default is None:
        return None  # unset
    text = value.strip() if isinstance(value, str) else None
    if opt.kind == "choice":
        v = text.lower() if text is not None else value
        if v is None or v == "none" and "none" in opt.choices:
            return None
        if v not in opt.choices:
            raise ValueError
        return v
    if opt.kind == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError
    if opt.kind in ("number", "int"):
        if isinstance(value, bool):
            raise ValueError
        if text is not None:
            if opt.kind == "int" and not re.fullmatch(r"\d+", text):
                raise ValueError
            value = int(text) if opt.kind == "int" else float(text)
        if not isinstance(value, int if opt.kind == "int" else (int, float)):
            raise ValueError
        if not math.isfinite(value) or not _in_range(opt, value):
            raise ValueError
        return int(value) if opt.kind == "int" else float(value)
    if opt.kind == "trainable":
        if text is not None:
            parts = channel_rows.split_names(text)
            if len(parts) == 1 and parts[0].isdigit():
                value = int(parts[0])
            elif parts and all(channel_rows.is_name(p) for p in parts):
                return tuple(parts)
            else:
                raise ValueError
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError
            return value
        if isinstance(value, (list, tuple)) and value and all(isinstance(t, str) for t in value):
            return tuple(value)
        raise ValueError
    if opt.kind in ("path", "text", "models"):
        if text is not None and not text:
            return None
        return value  # the API also takes arrays and tensors as calibration data
    raise AssertionError(f"option {opt.name}: unknown kind {opt.kind!r}")


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _is_set(value: Any) -> bool:
    return value is not None and value is not False


def check_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The API's options: every API option with its default, given values checked and cleaned."""
    api = {o.name: o for o in _surface("api")}
    out = {name: opt.default for name, opt in api.items()}
    for key, value in options.items():
        if key not in api:
            raise OptionError(
                f"unknown export option {key!r}; {_did_you_mean(key, api)}"
                f"(options: {', '.join(sorted(api))})"
            )
        out[key] = api_value(key, options)
    for key in options:
        opt = api[key]
        if opt.needs and _is_set(out[key]) and out[opt.needs[0]] != opt.needs[1]:
            raise OptionError(f"{key}={options[key]!r} is not valid ({_needs_text(opt, 'api')})")
    return out


def api_value(name: str, options: Mapping[str, Any]) -> Any:
    """The clean value of one option from an API options dict (its default when absent)."""
    opt = BY_NAME[name]
    value = options.get(name, opt.default)
    try:
        return convert(opt, value)
    except ValueError:
        raise OptionError(f"{name}={value!r} is not valid; valid: {opt.valid}") from None


# --- the CLI ------------------------------------------------------------------------------------


def add_cli_flags(parser: Any, skip: Sequence[str] = ()) -> None:
    """One argparse flag per CLI option but those in `skip` (values are checked by check_options,
    as the API does)."""
    for opt in _surface("cli"):
        if opt.name in skip:
            continue
        needs = f" ({_needs_text(opt, 'cli')})" if opt.needs else ""
        if opt.kind == "bool":
            parser.add_argument(opt.flag, action="store_true", help=opt.help + needs)
        elif opt.kind == "choice":  # argparse shows the choices itself
            parser.add_argument(opt.flag, default=None, choices=opt.choices, help=opt.help + needs)
        else:
            parser.add_argument(opt.flag, default=None, help=f"{opt.help}: {opt.valid}{needs}")


def cli_options(args: Any, skip: Sequence[str] = ()) -> Dict[str, Any]:
    """The options the command line set (text values; check_options converts them); `skip` as
    add_cli_flags was given it."""
    out: Dict[str, Any] = {}
    for opt in _surface("cli"):
        if opt.name in skip:
            continue
        value = getattr(args, opt.name)
        if value not in (None, False):
            out[opt.name] = value
    return out


def cli_args(values: Mapping[str, Any]) -> List[str]:
    """The inverse of cli_options: clean values -> `miniml export` flags (the hook's command)."""
    args: List[str] = []
    for opt in _surface("cli"):
        value = values.get(opt.name)
        if value is None or value is False:
            continue
        if opt.kind == "bool":
            args.append(opt.flag)
        elif isinstance(value, tuple):
            args += [opt.flag, ",".join(value)]
        else:
            args += [opt.flag, repr(value) if isinstance(value, float) else str(value)]
    return args


# --- the build hook -----------------------------------------------------------------------------


def hook_table() -> Dict[str, str]:
    """custom_miniml_<name> -> its valid values (with what it needs), the README options table."""
    table = {}
    for opt in _surface("hook"):
        extra = ""
        if opt.needs:
            other, value = opt.needs
            extra = f" (needs {other} = {'yes' if value is True else value})"
        table[opt.hook_key] = opt.valid + extra
    return table


def readme_rows() -> List[str]:
    return ["| option | valid values |", "|---|---|"] + [
        f"| `{key}` | {text} |" for key, text in hook_table().items()
    ]


def check_hook_keys(keys: Iterable[str]) -> None:
    """Refuse unknown custom_miniml_* keys, suggesting the closest known one."""
    table = hook_table()
    for key in keys:
        if key.startswith(HOOK_PREFIX) and key not in table:
            close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            raise OptionError(
                f"unknown option {key}; {hint}valid options: {', '.join(sorted(table))}"
            )


def hook_error(opt: Option, text: str, why: str = "") -> OptionError:
    extra = f" ({why})" if why else ""
    return OptionError(f"{opt.hook_key} = {text!r} is not valid{extra}; valid: {opt.valid}")


def parse_hook_values(raw: Mapping[str, str]) -> Dict[str, Any]:
    """The hook options of an env (custom_miniml_<name> -> text) as clean values by name; options
    left out or empty are None. Dependencies (`needs`) are checked here; files are the caller's."""
    check_hook_keys(raw)
    out: Dict[str, Any] = {}
    for opt in _surface("hook"):
        text = (raw.get(opt.hook_key) or "").strip()
        if not text:
            out[opt.name] = None
            continue
        try:
            out[opt.name] = convert(opt, text)
        except ValueError:
            raise hook_error(opt, text) from None
    for opt in _surface("hook"):
        if opt.needs and _is_set(out[opt.name]):
            other, value = opt.needs
            if out[other] != value:
                text = (raw.get(opt.hook_key) or "").strip()
                raise hook_error(opt, text, _needs_text(opt, "hook"))
    return out
