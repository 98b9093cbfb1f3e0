"""The build hook without PlatformIO: runpy on extra_script.py with a fake env and a fake exporter
(no torch).

Covers option errors (one line naming the key and the valid values), missing/corrupt model files,
stamps (unchanged -> no export; touched model or changed option -> export), the memory table and the
board- fit check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from hook_support import REPO, FakeEnv, run_hook, write_pt2


def _env(tmp_path, fake_python, extra=None, **kw) -> FakeEnv:
    write_pt2(str(tmp_path / "model" / "sensor.pt2"))
    options = {
        "custom_miniml_model": "model/sensor.pt2",
        "custom_miniml_python": fake_python.python,
    }
    options.update(extra or {})
    return FakeEnv(str(tmp_path), options, **kw)


def _fail(env, capsys) -> str:
    with pytest.raises(SystemExit):
        run_hook(env)
    assert env.exit_code == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1, err
    assert err[0].startswith("[miniml] error: ")
    return err[0]


def test_exports_into_build_dir_and_prepends_cpppath(tmp_path, fake_python, capsys):
    env = run_hook(_env(tmp_path, fake_python))
    out = os.path.join(env.vars["BUILD_DIR"], "miniml")
    assert env.vars["CPPPATH"] == [out]
    assert os.path.isfile(os.path.join(out, "sensor.h"))
    (call,) = fake_python.exports()
    assert call["model"] == str(tmp_path / "model" / "sensor.pt2")
    assert call["options"]["name"] == "sensor" and call["options"]["out"] == out
    # The exporter imports this repo's copy of the package first.
    assert call["pythonpath"].split(os.pathsep)[0] == os.path.join(REPO, "platformio_plugin")
    lines = capsys.readouterr().out.splitlines()
    assert all(ln.startswith("[miniml] ") for ln in lines)
    row = next(ln for ln in lines if ln.startswith("[miniml] sensor "))
    size = os.path.getsize(tmp_path / "model" / "sensor.pt2")
    assert row.split()[2:9] == [f"{10 * size:,}", f"{size:,}", f"{size // 2:,}/{size // 2:,}", "-",
                                "-", f"{size:,}", "exported"]


def test_stamp_skips_unchanged_and_reexports_on_change(tmp_path, fake_python, capsys):
    env = _env(tmp_path, fake_python)
    run_hook(env)
    run_hook(FakeEnv(str(tmp_path), env._options))
    assert len(fake_python.exports()) == 1
    assert "up to date" in capsys.readouterr().out
    model = str(tmp_path / "model" / "sensor.pt2")
    write_pt2(model, b"y" * 300)  # a retrained model
    run_hook(FakeEnv(str(tmp_path), env._options))
    assert len(fake_python.exports()) == 2
    stat = os.stat(model)
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # `touch`, same bytes
    run_hook(FakeEnv(str(tmp_path), env._options))
    assert len(fake_python.exports()) == 3
    opts = dict(env._options, custom_miniml_golden="3")  # changing an option
    run_hook(FakeEnv(str(tmp_path), opts))
    assert len(fake_python.exports()) == 4
    assert fake_python.exports()[-1]["options"]["golden"] == "3"
    header = os.path.join(env.vars["BUILD_DIR"], "miniml", "sensor.h")
    os.remove(header)  # a deleted header comes back from the project's shared exports
    run_hook(FakeEnv(str(tmp_path), opts))
    assert len(fake_python.exports()) == 4 and os.path.isfile(header)
    shutil.rmtree(tmp_path / ".pio" / "build" / "miniml-shared")
    os.remove(header)  # ... or is exported again
    run_hook(FakeEnv(str(tmp_path), opts))
    assert len(fake_python.exports()) == 5
    run_hook(FakeEnv(str(tmp_path), opts))  # and nothing changed since
    assert len(fake_python.exports()) == 5


def _env_named(project, options, name, **kw) -> FakeEnv:
    env = FakeEnv(str(project), options, **kw)
    env.vars["PIOENV"] = name
    env.vars["BUILD_DIR"] = os.path.join(str(project), ".pio", "build", name)
    return env


def test_identical_exports_are_shared_by_the_envs_of_a_project(tmp_path, fake_python, capsys):
    options = _env(tmp_path, fake_python)._options
    envs = [_env_named(tmp_path, options, n) for n in ("uno", "stm32", "esp32c3")]
    for env in envs:
        run_hook(env)
    assert len(fake_python.exports()) == 1  # was 3: one export per env
    headers = [open(os.path.join(e.vars["CPPPATH"][0], "sensor.h")).read() for e in envs]
    assert headers[0] == headers[1] == headers[2] and capsys.readouterr().out.count(" shared") == 2
    run_hook(_env_named(tmp_path, dict(options, custom_miniml_golden="2"), "golden"))
    assert len(fake_python.exports()) == 2  # other options: its own export
    shared = tmp_path / ".pio" / "build" / "miniml-shared"
    assert len(os.listdir(shared)) == 2
    run_hook(_env_named(tmp_path, dict(options, custom_miniml_golden="3"), "golden"))
    assert len(os.listdir(shared)) == 2  # the export no env uses any more is gone


def test_options_without_a_model_warn_by_name(tmp_path, fake_python, capsys):
    env = run_hook(FakeEnv(str(tmp_path), {"custom_miniml_quantize": "int8",
                                           "custom_miniml_golden": "4"}))
    assert env.vars["CPPPATH"] == [] and fake_python.exports() == []
    out = capsys.readouterr().out
    assert ("[miniml] warning: custom_miniml_golden, custom_miniml_quantize set but no "
            "custom_miniml_model: ignored") in out


def test_failed_export_removes_the_stale_header(tmp_path, fake_python, capsys):
    env = _env(tmp_path, fake_python)
    run_hook(env)
    header = os.path.join(env.vars["CPPPATH"][0], "sensor.h")
    assert os.path.isfile(header)
    write_pt2(str(tmp_path / "model" / "sensor.pt2"), b"FAIL unsupported op")  # a new, bad model
    with pytest.raises(SystemExit):
        run_hook(FakeEnv(str(tmp_path), env._options))
    assert not os.path.exists(header)  # was: the previous model's header, still compiled in
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("[miniml] error: sensor.pt2: export failed: unsupported op aten.fake")
    assert err[1:] == ["[miniml]   MiniML supports: linear, relu"]


def test_model_lines_names_and_stale_headers(tmp_path, fake_python):
    write_pt2(str(tmp_path / "a.pt2"))
    write_pt2(str(tmp_path / "m" / "b.pt2"))
    models = "\n  a.pt2\n  kws = m/b.pt2 ; the keyword spotter\n"
    env = run_hook(
        FakeEnv(
            str(tmp_path),
            {"custom_miniml_model": models, "custom_miniml_python": fake_python.python},
        )
    )
    out = env.vars["CPPPATH"][0]
    assert sorted(f for f in os.listdir(out) if f.endswith(".h")) == ["a.h", "kws.h"]
    run_hook(
        FakeEnv(
            str(tmp_path),
            {"custom_miniml_model": "a.pt2", "custom_miniml_python": fake_python.python},
        )
    )
    assert sorted(f for f in os.listdir(out) if f.endswith(".h")) == ["a.h"]
    assert len(fake_python.exports()) == 2


def test_options_reach_the_exporter(tmp_path, fake_python):
    (tmp_path / "calib.npy").write_bytes(b"\x93NUMPY")
    run_hook(
        _env(
            tmp_path,
            fake_python,
            {
                "custom_miniml_quantize": "INT8",
                "custom_miniml_calibration": "calib.npy",
                "custom_miniml_golden": "4",
            },
        )
    )
    run_hook(
        _env(
            tmp_path,
            fake_python,
            {
                "custom_miniml_on_device_learning": "yes",
                "custom_miniml_loss": "mse",
                "custom_miniml_learning_rate": "0.05",
                "custom_miniml_momentum": "0.9",
                "custom_miniml_trainable": "head, body.0.bias",
                "custom_miniml_streaming": "yes",
                "custom_miniml_optimize": "Speed",
            },
        )
    )
    first, second = (call["options"] for call in fake_python.exports())
    assert first["quantize"] == "int8" and first["calibration"] == str(tmp_path / "calib.npy")
    assert first["golden"] == "4"
    assert second["on_device_learning"] is True and second["streaming"] is True
    assert "streaming" not in first and "optimize" not in first  # unset: the exporter's default, size
    assert second["optimize"] == "speed"
    assert second["loss"] == "mse" and float(second["learning_rate"]) == 0.05
    assert float(second["momentum"]) == 0.9 and second["trainable"] == "head,body.0.bias"


def test_no_model_option_does_nothing(tmp_path, fake_python):
    env = run_hook(FakeEnv(str(tmp_path), {}))
    assert env.vars["CPPPATH"] == [] and fake_python.exports() == []
    assert not os.path.exists(env.vars["BUILD_DIR"])


BAD_OPTIONS = {
    "unknown_key": (
        {"custom_miniml_quantise": "int8"},
        "unknown option custom_miniml_quantise; did you mean custom_miniml_quantize?",
    ),
    "quantize": (
        {"custom_miniml_quantize": "int4"},
        "custom_miniml_quantize = 'int4' is not valid; valid: none, int8",
    ),
    "optimize": (
        {"custom_miniml_optimize": "fast"},
        "custom_miniml_optimize = 'fast' is not valid; valid: size, speed",
    ),
    "loss": (
        {"custom_miniml_on_device_learning": "yes", "custom_miniml_loss": "hinge"},
        "custom_miniml_loss = 'hinge' is not valid; valid: mse, cross_entropy",
    ),
    "loss_without_learning": (
        {"custom_miniml_loss": "mse"},
        "custom_miniml_loss = 'mse' is not valid (set custom_miniml_on_device_learning = yes)",
    ),
    "on_device_learning": (
        {"custom_miniml_on_device_learning": "maybe"},
        "custom_miniml_on_device_learning = 'maybe' is not valid; valid: yes, no",
    ),
    "streaming": (
        {"custom_miniml_streaming": "sometimes"},
        "custom_miniml_streaming = 'sometimes' is not valid; valid: yes, no",
    ),
    "learning_rate": (
        {"custom_miniml_on_device_learning": "on", "custom_miniml_learning_rate": "-0.1"},
        "custom_miniml_learning_rate = '-0.1' is not valid; valid: a number > 0",
    ),
    "learning_rate_text": (
        {"custom_miniml_on_device_learning": "1", "custom_miniml_learning_rate": "fast"},
        "custom_miniml_learning_rate = 'fast' is not valid; valid: a number > 0",
    ),
    "momentum": (
        {"custom_miniml_on_device_learning": "yes", "custom_miniml_momentum": "-0.5"},
        "custom_miniml_momentum = '-0.5' is not valid; valid: a number in [0, 1)",
    ),
    "momentum_without_learning": (
        {"custom_miniml_momentum": "0.9"},
        "custom_miniml_momentum = '0.9' is not valid (set custom_miniml_on_device_learning = yes)",
    ),
    "trainable": (
        {"custom_miniml_on_device_learning": "yes", "custom_miniml_trainable": "head; rm"},
        "custom_miniml_trainable = 'head; rm' is not valid; valid: k (the last k Linear layers)",
    ),
    "calibration_method": (
        {"custom_miniml_quantize": "int8", "custom_miniml_calibration_method": "kl"},
        "custom_miniml_calibration_method = 'kl' is not valid; valid: minmax, percentile, mse",
    ),
    "golden": (
        {"custom_miniml_golden": "two"},
        "custom_miniml_golden = 'two' is not valid; valid: an integer 0..1024",
    ),
    "golden_too_many": (
        {"custom_miniml_golden": "5000"},
        "custom_miniml_golden = '5000' is not valid; valid: an integer 0..1024",
    ),
    "momentum_one": (
        {"custom_miniml_on_device_learning": "yes", "custom_miniml_momentum": "1"},
        "custom_miniml_momentum = '1' is not valid; valid: a number in [0, 1)",
    ),
    "calibration_missing": (
        {"custom_miniml_quantize": "int8", "custom_miniml_calibration": "nope.npy"},
        "custom_miniml_calibration = 'nope.npy' is not valid (no file ",
    ),
    "calibration_without_int8": (
        {"custom_miniml_calibration": "x.npy"},
        "custom_miniml_calibration = 'x.npy' is not valid (only used with "
        "custom_miniml_quantize = int8)",
    ),
    "python_missing": (
        {"custom_miniml_python": "/nonexistent/python3"},
        "custom_miniml_python = '/nonexistent/python3' is not valid (no such interpreter)",
    ),
    "model_not_pt2": (
        {"custom_miniml_model": "model/sensor.onnx"},
        "custom_miniml_model: 'model/sensor.onnx' is not a .pt2 or .skops file",
    ),
    "model_pickle": (
        {"custom_miniml_model": "model/forest.joblib"},
        "custom_miniml_model: 'model/forest.joblib' is a pickle, which is never loaded",
    ),
    "model_name_not_identifier": (
        {"custom_miniml_model": "model/sensor-v2.pt2"},
        "custom_miniml_model: 'model/sensor-v2.pt2' gives the name 'sensor-v2', "
        "which is not a C++ identifier; write the line as `my_model = model/sensor-v2.pt2`",
    ),
    "model_name_keyword": (
        {"custom_miniml_model": "class = model/sensor.pt2"},
        "custom_miniml_model: the name 'class' is a reserved word in C++",
    ),
    "model_duplicate": (
        {"custom_miniml_model": "model/sensor.pt2\nsensor = other/sensor.pt2"},
        "custom_miniml_model: two models are named 'sensor'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_reject_option(case, tmp_path, fake_python, capsys):
    extra, message = BAD_OPTIONS[case]
    line = _fail(_env(tmp_path, fake_python, extra), capsys)
    assert line.startswith("[miniml] error: " + message), line
    assert fake_python.exports() == []


def test_reject_missing_model(tmp_path, fake_python, capsys):
    env = FakeEnv(
        str(tmp_path),
        {"custom_miniml_model": "gone.pt2", "custom_miniml_python": fake_python.python},
    )
    line = _fail(env, capsys)
    assert (
        line == f"[miniml] error: custom_miniml_model: {tmp_path / 'gone.pt2'} does not exist; "
        "run the script that saves it"
    )


def test_reject_corrupt_model(tmp_path, fake_python, capsys):
    (tmp_path / "bad.pt2").write_bytes(b"not a zip at all")
    env = FakeEnv(
        str(tmp_path),
        {"custom_miniml_model": "bad.pt2", "custom_miniml_python": fake_python.python},
    )
    line = _fail(env, capsys)
    assert line.startswith(
        f"[miniml] error: {tmp_path / 'bad.pt2'} is not a torch.export archive (not a zip file)"
    )


def test_model_too_big_for_the_uno(tmp_path, fake_python, capsys):
    # The fake report says RAM = file size; a stored zip of a 3000-byte payload is > 2048 B.
    write_pt2(str(tmp_path / "big.pt2"), b"z" * 3000)
    size = os.path.getsize(tmp_path / "big.pt2")
    env = FakeEnv(
        str(tmp_path),
        {"custom_miniml_model": "big.pt2", "custom_miniml_python": fake_python.python},
        board="uno",
        ram=2048,
        flash=32256 * 100,
    )
    line = _fail(env, capsys)
    assert line.startswith(f"[miniml] error: model needs {size} B RAM, board has 2048 B (uno): ")
    env = FakeEnv(
        str(tmp_path),
        {"custom_miniml_model": "big.pt2", "custom_miniml_python": fake_python.python},
        board="uno",
        ram=2048 * 100,
        flash=16384,
    )
    line = _fail(env, capsys)
    assert line.startswith(
        f"[miniml] error: model needs {10 * size} B flash, board has 16384 B (uno): "
    )


def test_training_ram_counts_for_the_fit(tmp_path, fake_python, capsys):
    size = os.path.getsize(write_pt2(str(tmp_path / "model" / "sensor.pt2")))
    opts = {"custom_miniml_on_device_learning": "yes"}
    env = _env(tmp_path, fake_python, opts, board="uno", ram=2 * size, flash=10**6)
    line = _fail(env, capsys)
    assert line.startswith(
        f"[miniml] error: model needs {3 * size} B RAM, board has {2 * size} B (uno)"
    )
    run_hook(_env(tmp_path, fake_python, opts, board="uno", ram=4 * size, flash=10**6))
    out = capsys.readouterr().out
    assert f"[miniml] board uno: models use {3 * size} of {4 * size} B RAM (75%)" in out


def _python_without_torch(tmp_path) -> str:
    for cand in ("/usr/bin/python3", shutil.which("python3")):
        if (
            cand
            and subprocess.run([cand, "-c", "import torch"], capture_output=True).returncode != 0
        ):
            return cand
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    return str(tmp_path / "venv" / "bin" / "python")


def test_no_torch_names_interpreter_and_install_command(tmp_path, capsys):
    python = _python_without_torch(tmp_path)
    write_pt2(str(tmp_path / "m.pt2"))
    env = FakeEnv(str(tmp_path), {"custom_miniml_model": "m.pt2", "custom_miniml_python": python})
    line = _fail(env, capsys)
    assert line == (
        f"[miniml] error: no Python with torch to export the model (tried: {python}); "
        f"install it with: {python} -m pip install torch numpy"
    )


def test_foreign_miniml_module_is_replaced(tmp_path, fake_python, monkeypatch):
    # PyPI has an unrelated `miniml`; the hook must use this repo's package even if that one was
    # imported.
    fake = tmp_path / "site" / "miniml"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('the wrong miniml')\n")
    for name in [n for n in sys.modules if n == "miniml" or n.startswith("miniml.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "miniml", type(sys)("miniml"))
    sys.modules["miniml"].__file__ = str(fake / "__init__.py")
    env = run_hook(_env(tmp_path, fake_python))
    assert sys.modules["miniml"].__file__.startswith(
        os.path.join(REPO, "platformio_plugin", "miniml")
    )
    assert env.vars["CPPPATH"]


def test_hook_imports_no_torch():
    code = (
        "import sys; sys.path.insert(0, %r); import miniml.hook; "
        "sys.exit(1 if 'torch' in sys.modules else 0)" % os.path.join(REPO, "platformio_plugin")
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_golden_vectors_count_in_the_flash_fit(tmp_path, fake_python, capsys):
    # The fake report: flash = 10 * file size, input [1, 4], output [1, 2]: 24 B per golden vector.
    size = os.path.getsize(write_pt2(str(tmp_path / "model" / "sensor.pt2")))
    board = dict(board="uno", ram=10**6, flash=10 * size + 24 * 10 + 5)
    run_hook(_env(tmp_path, fake_python, {"custom_miniml_golden": "10"}, **board))
    assert f"{10 * size + 240} of {10 * size + 245} B flash" in capsys.readouterr().out
    line = _fail(_env(tmp_path, fake_python, {"custom_miniml_golden": "11"}, **board), capsys)
    assert line == (  # was: no error, the link failed later
        f"[miniml] error: model needs {10 * size + 264} B flash with 11 golden vectors (264 B), "
        f"board has {10 * size + 245} B (uno): 10 golden vectors fit, "
        "set custom_miniml_golden = 10 or less"
    )


@pytest.mark.parametrize("memory", ["RAM", "flash"])
def test_does_not_fit_hint_never_suggests_int8_when_int8_is_on(memory, tmp_path, fake_python, capsys):
    size = os.path.getsize(write_pt2(str(tmp_path / "model" / "sensor.pt2")))
    board = dict(board="uno", ram=size - 1, flash=10**6) if memory == "RAM" else dict(
        board="uno", ram=10**6, flash=10 * size - 1)
    line = _fail(_env(tmp_path, fake_python, **board), capsys)
    assert "custom_miniml_quantize = int8" in line
    line = _fail(_env(tmp_path, fake_python, {"custom_miniml_quantize": "int8"}, **board), capsys)
    assert line.endswith(f"use a smaller model, or a board with more {memory}"), line
