"""The safe .pt2 loader: crafted archives for every code path of torch.export.load run no code via
the API, the CLI or the build hook; a torch.save file is named as one; mutated archives end in
MinimlError (or still load and export); every example archive loads as torch loads it. The build
hook case is in hook/test_hook_export.py.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import miniml
import pytest
import torch
import torch.nn as nn
from harness import REPO
from hostile_pt2 import CRAFTED, crafted, mutate, torch_save_file

PY = sys.executable
MUTATIONS = int(os.environ.get("MINIML_FUZZ_ARCHIVES", "40"))


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).eval()


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("good") / "mlp.pt2")
    torch.export.save(torch.export.export(_model(), (torch.randn(1, 4),)), path)
    return path


@pytest.fixture(params=sorted(CRAFTED))
def evil(request, good, tmp_path):
    marker = str(tmp_path / "marker")
    return request.param, crafted(good, request.param, str(tmp_path / "evil.pt2"), marker), marker


def _torch_runs_it(path: str, marker: str) -> bool:
    """The crafted archive is live: torch.export.load (in a child process) creates the marker."""
    subprocess.run(
        [PY, "-c", f"import torch; torch.export.load({path!r})"], capture_output=True, timeout=300
    )
    ran = os.path.exists(marker)
    if ran:
        os.remove(marker)
    return ran


REFUSAL = {
    "sample_inputs": None,  # skipped, never read: the archive loads
    "use_pickle_weight": "is stored pickled",
    "opaque_constant": "is a pickled Python object",
    "sympy_shape": "symbolic (dynamic) shapes",
}


def test_reject_crafted_archive_api(evil):
    kind, path, marker = evil
    assert _torch_runs_it(path, marker), kind
    if REFUSAL[kind] is None:
        ep = miniml.load(path)
        assert ep.example_inputs is None
        assert miniml.analyze(ep, None, "m").output_shape == (1, 3)
    else:
        with pytest.raises(miniml.MinimlError, match=re.escape(REFUSAL[kind])) as err:
            miniml.load(path)
        assert "never unpickles" in str(err.value) or "torch.export.save(" in str(err.value)
    assert not os.path.exists(marker)


def test_reject_crafted_archive_cli(evil, tmp_path):
    kind, path, marker = evil
    res = subprocess.run(
        [PY, "-m", "miniml", "export", path, "--name", "m", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not os.path.exists(marker)
    if REFUSAL[kind] is None:
        assert res.returncode == 0, res.stderr
    else:
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 1 and len(lines) == 1, res.stderr
        assert lines[0].startswith("miniml: error: cannot load") and REFUSAL[kind] in lines[0]


def test_reject_torch_save_file(tmp_path):
    for path in (
        torch_save_file(str(tmp_path / "model.pt"), _model()),
        torch_save_file(str(tmp_path / "state.pt2"), _model().state_dict()),
    ):
        with pytest.raises(miniml.MinimlError, match="this is a torch.save file .*never unpickles"):
            miniml.load(path)
    legacy = tmp_path / "legacy.pt"
    torch.save(_model(), str(legacy), _use_new_zipfile_serialization=False)
    with pytest.raises(miniml.MinimlError, match="this is a torch.save file"):
        miniml.load(str(legacy))


def test_mutated_archives_end_in_minimlerror(good, tmp_path):
    refused = exported = 0
    for seed in range(MUTATIONS):
        path, what = mutate(good, str(tmp_path / f"m{seed}.pt2"), seed)
        try:
            miniml.analyze(miniml.load(path), None, "m")
            exported += 1  # a harmless mutation: a timestamp, the sample inputs, metadata
        except miniml.MinimlError as exc:
            assert "\n" not in str(exc).strip() or "Traceback" not in str(exc), (seed, what)
            refused += 1
        # any other exception fails the test, naming the seed via pytest's traceback
    assert refused + exported == MUTATIONS and refused >= MUTATIONS // 2, (refused, exported)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(REPO, "examples", "*", "*.pt2"))))
def test_example_archives_load_like_torch(path):
    mine, theirs = miniml.load(path), torch.export.load(path)
    assert mine.state_dict.keys() == theirs.state_dict.keys()
    for k, v in theirs.state_dict.items():
        assert torch.equal(mine.state_dict[k], v), k
    assert str(mine.graph) == str(theirs.graph)
