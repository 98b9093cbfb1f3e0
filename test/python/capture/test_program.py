"""ExportedProgram and .pt2 input, the CLI, and `import miniml` staying torch-free."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

import miniml
from harness import REPO, build_batch, check_batch, prepare

PY = sys.executable


def _model():
    return prepare(nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                                 nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 2)))


@pytest.fixture(scope="module")
def pt2(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("pt2") / "net.pt2")
    torch.export.save(torch.export.export(_model(), (torch.randn(1, 3, 12),)), path)
    return path


def test_export_loaded_program_matches_module(pt2):
    ep = miniml.load(pt2)
    r1 = miniml.analyze(ep, None, "net")
    r2 = miniml.analyze(_model(), torch.randn(1, 3, 12), "net")
    assert r1.input_shape == (1, 3, 12) and r1.output_shape == (1, 2)
    assert [x.op for x in r1.layers] == [x.op for x in r2.layers] == [
        "conv1d+relu", "global_avg_pool", "linear"]
    assert (r1.ram_bytes, r1.flash_bytes, r1.macs) == (r2.ram_bytes, r2.flash_bytes, r2.macs)


def test_parity_program(pt2):
    ep = torch.export.load(pt2)
    batch = build_batch("capture_program", {"program": (ep, (1, 3, 12))})
    check_batch(batch, "program")


def test_cli_export_and_report(pt2, tmp_path):
    out = tmp_path / "gen"
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "platformio_plugin"))
    res = subprocess.run([PY, "-m", "miniml", "export", pt2, "--name", "net", "--out", str(out),
                          "--golden", "2"], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    text = (out / "net.h").read_text()
    assert "namespace net {" in text and "kGoldenCount = 2;" in text
    assert "RAM sizeof(Model)" in res.stdout and "wrote" in res.stdout
    res = subprocess.run([PY, "-m", "miniml", "report", pt2, "--plan"], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    r = miniml.analyze(torch.export.load(pt2), None, "model")
    assert r.format_table() in res.stdout and "lower bound" in res.stdout


def test_cli_report_with_export_options(pt2):
    """`report` takes the export options: with learning, the training RAM and the gradient buffer
    beside its lower bound, as the API's report prints them."""
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "platformio_plugin"))
    res = subprocess.run([PY, "-m", "miniml", "report", pt2, "--on-device-learning", "--loss", "mse",
                          "--trainable", "0.weight,5.bias"], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    r = miniml.analyze(torch.export.load(pt2), None, "model", on_device_learning=True, loss="mse",
                       trainable="0.weight,5.bias")
    assert r.format_table() in res.stdout
    # the folded conv's weight gradient (36 floats) beside the ReLU input's (48): both alive at once
    assert r.gradient_buffer_bytes == r.gradient_lower_bound == (36 + 48) * 4
    assert "gradient buffer 336 B (lower bound 336 B)" in res.stdout


def test_cli_report_plot(pt2, tmp_path):
    """`report --plot`: the arena plan drawn from the report's buffers (tensor rectangles of offset x
    lifetime), which tile the arena without two live ones sharing a byte."""
    png = tmp_path / "plan.png"
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "platformio_plugin"))
    res = subprocess.run([PY, "-m", "miniml", "report", pt2, "--plot", str(png)], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {png}" in res.stdout
    r = miniml.analyze(torch.export.load(pt2), None, "model")
    bufs = r.plan_buffers
    assert bufs and max(b["offset"] + b["size"] for b in bufs) == r.arena_bytes
    for i, a in enumerate(bufs):
        assert 0 <= a["start"] <= a["end"] < len(r.layers)
        for b in bufs[i + 1:]:
            if a["start"] <= b["end"] and b["start"] <= a["end"]:
                assert a["offset"] + a["size"] <= b["offset"] or b["offset"] + b["size"] <= a["offset"]


def _rectangles(ax) -> list:
    """The tensor rectangles drawn on ax: (tensor, lifetime start, offset, lifetime, bytes)."""
    return sorted((p.get_label()[1:], round(p.get_x() + 0.45), p.get_y(), round(p.get_width() - 0.9),
                   p.get_height()) for p in ax.patches)


def test_cli_report_plot_shows_the_gradient_buffer(pt2, tmp_path):
    """A model that learns: `report --plot` draws learn()'s gradient buffer below the arena the same
    way, each gradient a rectangle of offset x lifetime in backward steps, with its lower bound."""
    from miniml.plot import draw_plan

    png = tmp_path / "plan.png"
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "platformio_plugin"))
    learn = ["--on-device-learning", "--loss", "mse", "--trainable", "0.weight,5.bias"]
    res = subprocess.run([PY, "-m", "miniml", "report", pt2, "--plot", str(png), *learn],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = miniml.analyze(torch.export.load(pt2), None, "model", on_device_learning=True, loss="mse",
                       trainable="0.weight,5.bias")
    fig = draw_plan(r)
    arena, grads = fig.axes[0], fig.axes[3]
    assert _rectangles(arena) == sorted((b["tensor"], b["start"], b["offset"], b["end"] - b["start"],
                                         b["size"]) for b in r.plan_buffers)
    # d(relu) from the pool's backward to the conv's, d(0.weight) from the conv's to the update,
    # alive together at the conv's: the bound, 336 B, reached
    assert r.gradient_steps == ["linear backward", "adaptive_avg_pool1d backward",
                                "conv1d backward", "update"]
    drawn = _rectangles(grads)
    assert [(t, start, life, size) for t, start, _, life, size in drawn] == [
        ("d(0.weight)", 2, 1, 36 * 4), ("d(adaptive_avg_pool1d)", 0, 1, 4 * 4), ("d(relu)", 1, 1, 48 * 4)]
    relu, weight = drawn[2], drawn[0]
    assert relu[2] + relu[4] <= weight[2] or weight[2] + weight[4] <= relu[2]
    lines = {ln.get_label(): ln.get_ydata()[0] for ln in grads.get_lines()}
    assert lines == {"lower bound 336 B": 336, "gradient buffer 336 B": 336}


def test_cli_errors_are_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"not a zip")
    res = subprocess.run([PY, "-m", "miniml", "report", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("miniml: error: cannot load") and "Traceback" not in res.stderr


def test_cli_bad_name(pt2, tmp_path):
    res = subprocess.run([PY, "-m", "miniml", "export", pt2, "--name", "class", "--out",
                          str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 1 and "'class'" in res.stderr


def test_console_script_installed():
    exe = os.path.join(os.path.dirname(PY), "miniml")
    assert os.path.exists(exe)
    res = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "export" in res.stdout and "report" in res.stdout


def test_import_miniml_does_not_import_torch():
    code = ("import sys, miniml, miniml.errors, miniml.report; import miniml.cli; "
            "print('torch' in sys.modules)")
    res = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_example_input_from_program_is_fixed_shape(pt2):
    from miniml.capture import example_from_program

    x = example_from_program(torch.export.load(pt2))
    assert tuple(x.shape) == (1, 3, 12) and x.dtype == torch.float32
    assert np.all(x.numpy() == 0)


def test_cli_ops_table_lists_every_lowering():
    from miniml.ops import LOWERINGS, op_table

    table = op_table()
    assert all(f"`{t}`" in table for t in LOWERINGS)
    assert "| `ops/relu.py` |" in table
