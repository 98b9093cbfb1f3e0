"""`miniml dataset`: labelled CSV files -> windows in a .npz (layout, runs of one label, class indices),
and its refusals as one `miniml: error:` line naming the file or option."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def _dataset(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miniml", "dataset", *args], capture_output=True, text=True,
                          timeout=60)


def test_windows_per_label_run_and_file(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y,label\n" + "".join(f"{i},{-i},idle\n" for i in range(7))
                 + "".join(f"{i},{10 * i},shake\n" for i in range(7, 12)))
    b.write_text("x,y,label\n" + "".join(f"{i}.5,0,shake\n" for i in range(6)))
    out = tmp_path / "data.npz"
    res = _dataset(str(a), str(b), "--length", "3", "--hop", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"wrote 7 windows of 3 x 2 (hop 2) to {out}: idle 3, shake 4"
    d = np.load(out)
    assert d["x"].dtype == np.float32 and d["x"].shape == (7, 3, 2)
    assert list(d["classes"]) == ["idle", "shake"] and list(d["columns"]) == ["x", "y"]
    np.testing.assert_array_equal(d["y"], [0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(d["source"], [0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(d["start"], [0, 2, 4, 7, 9, 0, 2])
    np.testing.assert_array_equal(d["x"][3], [[7, 70], [8, 80], [9, 90]])  # the shake run starts at row 7
    np.testing.assert_array_equal(d["x"][6], [[2.5, 0], [3.5, 0], [4.5, 0]])
    assert int(d["length"]) == 3 and int(d["hop"]) == 2


def test_headerless_files_and_default_hop(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("".join(f"{i} ,1,up\n" for i in range(8)))
    res = _dataset(str(a), "--length", "4", "--out", str(tmp_path / "d.npz"))
    assert res.returncode == 0, res.stderr
    d = np.load(tmp_path / "d.npz")
    assert d["x"].shape == (2, 4, 2) and list(d["columns"]) == [] and list(d["start"]) == [0, 4]


@pytest.mark.parametrize("case", ["bad_row", "no_label_header", "mixed_columns", "too_short", "bad_out",
                                  "missing", "zero_hop"])
def test_reject_dataset(tmp_path, case):
    good = tmp_path / "good.csv"
    good.write_text("a,b,label\n1,2,x\n3,4,x\n")
    bad = tmp_path / "bad.csv"
    bad.write_text({"bad_row": "a,b,label\n1,2,x\n1,oops,x\n", "no_label_header": "a,b,c\n1,2,3\n",
                    "mixed_columns": "a,c,label\n1,2,x\n"}.get(case, "a,b,label\n1,2,x\n"))
    npz = str(tmp_path / "d.npz")
    args, want = {
        "bad_row": ([str(bad), "--length", "1", "--out", npz], f"{bad}:3: expected 2 numbers and a label"),
        "no_label_header": ([str(bad), "--length", "1", "--out", npz], f"{bad}: the header 'a,b,c' has no label"),
        "mixed_columns": ([str(good), str(bad), "--length", "1", "--out", npz],
                          f"{bad}: columns ['a', 'c'] differ from {good}'s ['a', 'b']"),
        "too_short": ([str(good), "--length", "5", "--out", npz], "no window of 5 rows fits"),
        "bad_out": ([str(good), "--length", "1", "--out", str(tmp_path / "d.npy")], "--out"),
        "missing": ([str(tmp_path / "none.csv"), "--length", "1", "--out", npz], "none.csv: cannot read it"),
        "zero_hop": ([str(good), "--length", "1", "--hop", "0", "--out", npz], "--hop 0: both must be >= 1"),
    }[case]
    res = _dataset(*args)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("miniml: error: ") and want in line, line
