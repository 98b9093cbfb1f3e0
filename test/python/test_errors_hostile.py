"""Every failure the CLI can reach is one `miniml: error:` line and exit status 1 (--debug shows
the traceback): pickled, garbage and code-carrying calibration files, absurd option values, and
an unexpected exception inside the exporter (named as a bug).
"""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess
import sys

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
from miniml import cli

PY = sys.executable


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


@pytest.fixture(scope="module")
def pt2(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("m") / "mlp.pt2")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(1, 4),)), path)
    return path


def _cli(*args: str):
    res = subprocess.run([PY, "-m", "miniml", *args], capture_output=True, text=True, timeout=300)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    return res.returncode, lines


def _calibration_files(tmp_path) -> dict:
    marker = str(tmp_path / "marker")
    files = {}
    files["pickled.npy"] = tmp_path / "pickled.npy"
    np.save(files["pickled.npy"], np.array([{"a": 1}] * 16, dtype=object), allow_pickle=True)
    files["garbage.npy"] = tmp_path / "garbage.npy"
    files["garbage.npy"].write_bytes(b"\x93NUMPY garbage" + os.urandom(64))
    files["code.pt"] = tmp_path / "code.pt"
    torch.save(_Payload(marker), files["code.pt"])
    files["pickle.pt"] = tmp_path / "pickle.pt"
    files["pickle.pt"].write_bytes(pickle.dumps(_Payload(marker)))
    files["empty.npy"] = tmp_path / "empty.npy"
    files["empty.npy"].write_bytes(b"")
    return files


def test_reject_bad_calibration_files_cli(pt2, tmp_path):
    for name, path in _calibration_files(tmp_path).items():
        code, lines = _cli(
            "export",
            pt2,
            "--name",
            "m",
            "--out",
            str(tmp_path / "out"),
            "--quantize",
            "int8",
            "--calibration",
            str(path),
        )
        assert code == 1 and len(lines) == 1, (name, lines)
        assert lines[0].startswith(f"miniml: error: calibration file '{path}'"), (name, lines)
        assert "Traceback" not in lines[0]
    assert not os.path.exists(tmp_path / "marker")  # torch.load(weights_only=True) ran nothing


@pytest.mark.parametrize(
    "option,value,match",
    [
        ("golden", -1, "golden=-1"),
        ("golden", 10**9, "golden=1000000000"),
        ("seed", -5, "seed=-5"),
        ("seed", 1.5, "seed=1.5"),
    ],
)
def test_reject_absurd_options(option, value, match):
    with pytest.raises(miniml.OptionError, match=match):
        miniml.analyze(
            nn.Sequential(nn.Linear(4, 3)).eval(), torch.zeros(1, 4), "m", **{option: value}
        )


def test_unexpected_exception_is_one_line_and_debug_shows_it(pt2, monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise ValueError("deep inside\nsecond line")

    monkeypatch.setattr(miniml, "analyze", boom)
    assert cli.main(["report", pt2]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert err == [
        "miniml: error: internal error ValueError: deep inside (a MiniML bug: rerun "
        "with --debug and report the traceback)"
    ]
    with pytest.raises(ValueError, match="deep inside"):
        cli.main(["report", pt2, "--debug"])


def test_warnings_are_cli_lines(pt2, tmp_path):
    cal = np.full((16, 4), 0.25, np.float32)  # constant: a degenerate calibration
    np.save(tmp_path / "cal.npy", cal)
    res = subprocess.run(
        [
            PY,
            "-m",
            "miniml",
            "export",
            pt2,
            "--name",
            "m",
            "--out",
            str(tmp_path),
            "--quantize",
            "int8",
            "--calibration",
            str(tmp_path / "cal.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("miniml: warning: ") for ln in lines), lines
    assert any("calibration inputs is constant" in ln for ln in lines)
