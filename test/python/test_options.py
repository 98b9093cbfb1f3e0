"""The export options have one source, miniml/options.py: the API's validation, the CLI's flags and
the hook's custom_miniml_* table are generated from it; here each is compared with the table."""

import argparse

import pytest
from miniml import OptionError, options
from miniml.cli import _parser
from miniml.hook import options as hook_options
from miniml.train.options import parse_train_options


def _export_parser() -> argparse.ArgumentParser:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["export"]


def test_cli_flags_equal_the_table():
    actions = {a.dest: a for a in _export_parser()._actions}
    cli = [o for o in options.OPTIONS if "cli" in o.where]
    for opt in cli:
        action = actions[opt.name]
        assert action.option_strings == [opt.flag]
        assert tuple(action.choices or ()) == opt.choices
        assert (action.nargs == 0) == (opt.kind == "bool")
    own = {"help", "debug", "model", "name", "out", "report_json"}
    assert set(actions) - own == {o.name for o in cli}


def test_api_options_equal_the_table():
    api = {o.name: o.default for o in options.OPTIONS if "api" in o.where}
    assert options.check_options({}) == api
    with pytest.raises(OptionError, match="did you mean 'quantize'"):
        options.check_options({"quantise": "int8"})


def test_hook_table_equals_the_table():
    hook = [o for o in options.OPTIONS if "hook" in o.where]
    assert list(hook_options.OPTIONS) == ["custom_miniml_" + o.name for o in hook]
    for opt in hook:
        assert hook_options.OPTIONS[opt.hook_key].startswith(opt.valid)


@pytest.mark.parametrize("opt", [o for o in options.OPTIONS if o.needs], ids=lambda o: o.name)
def test_needs_is_enforced_everywhere(opt, tmp_path):
    samples = {"number": "0.5", "trainable": "1", "path": "x.npy", "int": "2"}
    value = opt.choices[-1] if opt.kind == "choice" else samples[opt.kind]
    with pytest.raises(OptionError, match=f"{opt.name}="):
        options.check_options({opt.name: value})
    with pytest.raises(OptionError, match=f"custom_miniml_{opt.name} = "):
        hook_options.parse({opt.hook_key: value}, str(tmp_path))


def test_cli_and_hook_values_round_trip(tmp_path):
    """What the hook parses it passes on as CLI flags, which the CLI parses to the same values."""
    (tmp_path / "c.npy").write_bytes(b"")
    raw = {
        "custom_miniml_quantize": "INT8",
        "custom_miniml_calibration": "c.npy",
        "custom_miniml_calibration_method": "mse",
        "custom_miniml_golden": "3",
        "custom_miniml_on_device_learning": "on",
        "custom_miniml_loss": "cross_entropy",
        "custom_miniml_learning_rate": "0.05",
        "custom_miniml_momentum": "0.9",
        "custom_miniml_optimizer": "adam",
        "custom_miniml_weight_decay": "0.01",
        "custom_miniml_beta1": "0.8",
        "custom_miniml_beta2": "0.99",
        "custom_miniml_eps": "1e-6",
        "custom_miniml_spare_classes": "2",
        "custom_miniml_trainable": "head, 2.bias",
        "custom_miniml_train_budget": "4096",
        "custom_miniml_streaming": "yes",
        "custom_miniml_plot": "yes",
        "custom_miniml_optimize": "SPEED",
    }
    hook = hook_options.parse(raw, str(tmp_path))
    args = _export_parser().parse_args(["m.pt2", "--name", "m", "--out", "o", *hook.export_args()])
    api = options.check_options(options.cli_options(args))
    for key, value in hook.values.items():
        if key in api:
            assert api[key] == value, key


@pytest.mark.parametrize("names", ["2", "2.bias", "0,2.weight", "head,body.0.bias", "net.0"])
def test_every_trainable_name_the_exporter_takes_is_valid_everywhere(names, tmp_path):
    """The exporter names parameters as torch does (nn.Sequential: '2.bias'); the hook, the CLI and
    the API accept the same spelling (the hook refused '2.bias' before)."""
    raw = {"custom_miniml_on_device_learning": "yes", "custom_miniml_trainable": names}
    hook = hook_options.parse(raw, str(tmp_path)).values["trainable"]
    api = parse_train_options({"on_device_learning": True, "trainable": names}).trainable
    assert hook == api
