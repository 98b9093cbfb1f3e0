"""scikit-learn models from files: .skops through skops' trusted-types check (CLI and build hook),
pickles refused with the command that converts them, untrusted types refused by name, estimators outside
the supported set refused by name."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import miniml
import numpy as np
import pytest
import skops.io as sio
from datasets import CASES, data
from miniml.classic.skops_io import load_skops
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

HOOK_DIR = os.path.join(os.path.dirname(__file__), "..", "hook")
sys.path.insert(0, HOOK_DIR)


def _cli(*args: str, cwd: str):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "miniml", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


@pytest.mark.parametrize("case", sorted(CASES))
def test_skops_round_trip(tmp_path, case):
    """Every model the parity tests export loads back through the trusted-types check."""
    est, x = CASES[case]()
    sio.dump(est, str(tmp_path / "m.skops"))
    back = load_skops(str(tmp_path / "m.skops"))
    np.testing.assert_array_equal(back.predict(x[:5]), est.predict(x[:5]))


def test_cli_export_skops(tmp_path):
    est, _ = CASES["forest_pure_wine"]()
    sio.dump(est, str(tmp_path / "forest.skops"))
    res = _cli("export", "forest.skops", "--name", "forest", "--out", "include", "--golden", "3",
               "--report-json", "r.json", cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    header = open(tmp_path / "include" / "forest.h").read()
    assert "namespace forest {" in header and "int predict_class(" in header
    assert "kClassLabels[3]" in header and "kGoldenCount = 3" in header
    report = json.load(open(tmp_path / "r.json"))
    assert report["work_unit"] == "operations" and report["flash_bytes"] > 0


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_reject_pickle(tmp_path, suffix):
    (tmp_path / f"forest{suffix}").write_bytes(b"not loaded")
    res = _cli("export", f"forest{suffix}", "--name", "forest", "--out", "include", cwd=str(tmp_path))
    assert res.returncode == 1
    msg = res.stderr.strip().splitlines()[-1]
    assert "pickle files are not loaded" in msg and "skops.io.dump(joblib.load('forest" in msg, msg


def double(x):
    return 2 * x


def test_reject_untrusted_type(tmp_path):
    x, y = data("iris")
    est = make_pipeline(FunctionTransformer(double), CASES["tree_iris"]()[0]).fit(x, y)
    sio.dump(est, str(tmp_path / "f.skops"))
    with pytest.raises(miniml.MinimlError, match="refusing types .*test_skops.double"):
        load_skops(str(tmp_path / "f.skops"))


def test_reject_unsupported_estimator():
    from sklearn.ensemble import AdaBoostClassifier

    x, y = data("iris")
    with pytest.raises(miniml.UnsupportedOpError, match="scikit-learn AdaBoostClassifier is not supported"):
        miniml.export(AdaBoostClassifier(n_estimators=3).fit(x, y), x[:1], "ada", "/tmp")


def test_reject_unsupported_pipeline_step():
    x, y = data("iris")
    est = make_pipeline(FunctionTransformer(np.log1p), CASES["tree_iris"]()[0]).fit(x, y)
    with pytest.raises(miniml.UnsupportedOpError, match="FunctionTransformer is not supported"):
        miniml.export(est, x[:1], "m", "/tmp")


def test_optimize_is_the_builds_knob(tmp_path):
    """optimize="speed" is accepted (a project builds all its models one way); trees have no speed kernels."""
    est, x = CASES["tree_iris"]()
    speed = miniml.export(est, x[:1], "m", str(tmp_path), optimize="speed")
    assert speed.optimize == "speed"
    size = miniml.export(est, x[:1], "n", str(tmp_path))
    assert size.optimize == "size"
    assert (tmp_path / "m.h").read_text().count("MINIML_OPTIMIZE_SPEED") == 0


def test_reject_torch_options_and_bad_rows():
    est, x = CASES["tree_iris"]()
    with pytest.raises(miniml.OptionError, match="quantize='int8' applies to PyTorch models only"):
        miniml.export(est, x[:1], "m", "/tmp", quantize="int8")
    with pytest.raises(miniml.MinimlError, match="example_input has 3 features; DecisionTreeClassifier"):
        miniml.export(est, x[:1, :3], "m", "/tmp")


def test_reject_unfitted():
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(miniml.MinimlError, match="not fitted"):
        miniml.export(DecisionTreeClassifier(), np.zeros((1, 4)), "m", "/tmp")


def test_hook_exports_skops(tmp_path, capsys):
    from hook_support import FakeEnv, run_hook

    est, _ = CASES["gboost_iris"]()
    os.makedirs(tmp_path / "model")
    sio.dump(est, str(tmp_path / "model" / "forest.skops"))
    env = run_hook(FakeEnv(str(tmp_path), {"custom_miniml_model": "model/forest.skops",
                                           "custom_miniml_golden": "2",
                                           "custom_miniml_python": sys.executable},
                           board="uno", ram=2048, flash=32256))
    out_dir = env.vars["CPPPATH"][0]
    report = json.load(open(os.path.join(out_dir, "forest.report.json")))
    assert "namespace forest {" in open(os.path.join(out_dir, "forest.h")).read()
    out = capsys.readouterr().out
    assert f"[miniml] board uno: models use {report['ram_bytes']} of 2048 B RAM" in out


def test_hook_rejects_pickle(tmp_path, capsys):
    from hook_support import FakeEnv, run_hook

    (tmp_path / "forest.pkl").write_bytes(b"x")
    with pytest.raises(SystemExit):
        run_hook(FakeEnv(str(tmp_path), {"custom_miniml_model": "forest.pkl"}))
    err = capsys.readouterr().err
    assert "is a pickle, which is never loaded" in err and "skops.io.dump(joblib.load('forest.pkl')" in err
