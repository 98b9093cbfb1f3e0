"""The build hook with the real exporter (torch in this venv) but without PlatformIO: runpy on
extra_script.py.

Checks the numbers the hook prints against the exporter's own report, a corrupt .pt2, and a model
too big for the Uno with its real RAM figure.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

import pytest
from hook_support import UNO_FLASH, UNO_RAM, FakeEnv, run_hook, save_mlp_pt2
from hostile_pt2 import CRAFTED, crafted


def _fail(env, capsys) -> str:
    with pytest.raises(SystemExit):
        run_hook(env)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1, err
    return err[0]


def test_real_export_table_matches_report(tmp_path, capsys):
    save_mlp_pt2(str(tmp_path / "mlp.pt2"), in_features=4, hidden=8, out_features=3)
    env = run_hook(
        FakeEnv(
            str(tmp_path),
            {
                "custom_miniml_model": "mlp.pt2",
                "custom_miniml_golden": "2",
                "custom_miniml_python": sys.executable,
            },
            board="uno",
            ram=UNO_RAM,
            flash=UNO_FLASH,
        )
    )
    out_dir = env.vars["CPPPATH"][0]
    report = json.load(open(os.path.join(out_dir, "mlp.report.json")))
    # 4*8 + 8 + 8*3 + 3 float parameters, 4*8 + 8*3 MACs; RAM is sizeof(Model), the arena of the
    # hidden layer.
    assert report["flash_bytes"] >= 4 * (4 * 8 + 8 + 8 * 3 + 3) and report["macs"] == 4 * 8 + 8 * 3
    header = open(os.path.join(out_dir, "mlp.h")).read()
    assert "namespace mlp {" in header and "kGoldenCount = 2" in header
    lines = capsys.readouterr().out.splitlines()
    row = next(ln for ln in lines if ln.startswith("[miniml] mlp "))
    # the arena beside its lower bound; no training RAM, no gradient buffer
    assert row.split()[2:8] == [
        f"{report['flash_bytes']:,}",
        f"{report['ram_bytes']:,}",
        f"{report['arena_bytes']:,}/{report['arena_lower_bound']:,}",
        "-",
        "-",
        f"{report['macs']:,}",
    ]
    ram, flash = report["ram_bytes"], report["flash_bytes"] + 2 * 4 * (4 + 3)  # + 2 golden vectors
    assert (
        f"[miniml] board uno: models use {ram} of {UNO_RAM} B RAM ({100.0 * ram / UNO_RAM:.0f}%), "
        f"{flash} of {UNO_FLASH} B flash ({100.0 * flash / UNO_FLASH:.0f}%)"
    ) in lines


def test_unsupported_layer_names_the_layer_before_the_supported_list(tmp_path, capsys):
    torch = pytest.importorskip("torch")

    class Running(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 4)

        def forward(self, x):
            return torch.cumsum(self.body(x), 1)

    program = torch.export.export(Running().eval(), (torch.randn(1, 4),))
    torch.export.save(program, str(tmp_path / "running.pt2"))
    env = FakeEnv(
        str(tmp_path), {"custom_miniml_model": "running.pt2", "custom_miniml_python": sys.executable}
    )
    with pytest.raises(SystemExit):
        run_hook(env)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    # was: only the last line, the supported-op list, without the layer
    assert err[0].startswith(
        "[miniml] error: running.pt2: export failed: unsupported op aten.cumsum.default (node 'cumsum'"
    ), err
    assert err[-1].startswith("[miniml]   MiniML supports: ") and "linear" in err[-1]
    assert not os.path.exists(tmp_path / ".pio" / "build" / "test" / "miniml" / "running.h")


def test_reject_corrupt_pt2_archive(tmp_path, capsys):
    with zipfile.ZipFile(
        tmp_path / "broken.pt2", "w"
    ) as z:  # a zip, but not a torch.export archive
        z.writestr("archive/data.pkl", b"garbage")
    line = _fail(
        FakeEnv(
            str(tmp_path),
            {"custom_miniml_model": "broken.pt2", "custom_miniml_python": sys.executable},
        ),
        capsys,
    )
    assert line.startswith("[miniml] error: broken.pt2: export failed: cannot load ")
    assert "this is a torch.save file" in line


def test_reject_model_too_big_for_the_uno(tmp_path, capsys):
    # Hidden layer of 600 floats: a 2400 B arena alone, more than the Uno's SRAM.
    save_mlp_pt2(str(tmp_path / "wide.pt2"), in_features=4, hidden=600, out_features=2)
    line = _fail(
        FakeEnv(
            str(tmp_path),
            {"custom_miniml_model": "wide.pt2", "custom_miniml_python": sys.executable},
            board="uno",
            ram=UNO_RAM,
            flash=UNO_FLASH,
        ),
        capsys,
    )
    report = json.load(open(tmp_path / ".pio" / "build" / "test" / "miniml" / "wide.report.json"))
    assert report["ram_bytes"] >= 600 * 4
    assert line.startswith(
        f"[miniml] error: model needs {report['ram_bytes']} B RAM, board has {UNO_RAM} B (uno): "
    )


def _png_size(path: str) -> tuple:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")  # IHDR


def test_plot_option_draws_the_plan_next_to_the_header(tmp_path, capsys):
    """custom_miniml_plot = yes: <name>.plan.png beside the header, the same picture as
    `miniml report --plot`; turning the option on re-exports an otherwise unchanged model. A model
    that learns: the picture gets a second row, learn()'s gradient buffer plan, and the table its
    gradient buffer beside its lower bound."""
    save_mlp_pt2(str(tmp_path / "mlp.pt2"), in_features=4, hidden=8, out_features=3)
    opts = {"custom_miniml_model": "mlp.pt2", "custom_miniml_python": sys.executable}
    env = run_hook(FakeEnv(str(tmp_path), opts, board="uno", ram=UNO_RAM, flash=UNO_FLASH))
    out_dir = env.vars["CPPPATH"][0]
    png = os.path.join(out_dir, "mlp.plan.png")
    assert not os.path.exists(png)
    run_hook(FakeEnv(str(tmp_path), dict(opts, custom_miniml_plot="yes"), board="uno", ram=UNO_RAM,
                     flash=UNO_FLASH))
    width, height = _png_size(png)
    capsys.readouterr()
    torch = pytest.importorskip("torch")
    nn = torch.nn
    conv = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                         nn.Flatten(), nn.Linear(4, 2)).eval()
    # the same file now holds a conv model (a gradient buffer: the conv weight and ReLU gradients)
    torch.export.save(torch.export.export(conv, (torch.randn(1, 3, 12),)), str(tmp_path / "mlp.pt2"))
    learn = dict(opts, custom_miniml_plot="yes", custom_miniml_on_device_learning="yes",
                 custom_miniml_trainable="0.weight,4.bias")
    run_hook(FakeEnv(str(tmp_path), learn, board="uno", ram=UNO_RAM, flash=UNO_FLASH))
    assert _png_size(png) == (width, 2 * height)  # the arena row and the gradient buffer row
    report = json.load(open(os.path.join(out_dir, "mlp.report.json")))
    # the conv's weight gradient (36 floats) beside the ReLU output's (48), alive at once
    assert report["gradient_buffer_bytes"] == report["gradient_lower_bound"] == (36 + 48) * 4
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[miniml] mlp "))
    assert row.split()[4:7] == [f"{report['arena_bytes']:,}/{report['arena_lower_bound']:,}",
                                f"{report['training_ram_bytes']:,}", "336/336"]


@pytest.mark.parametrize("kind", sorted(CRAFTED))
def test_reject_crafted_archive_hook(kind, tmp_path, capsys):
    # a .pt2 that runs code under torch.export.load (hostile_pt2.py) runs none in a build
    good = save_mlp_pt2(str(tmp_path / "good.pt2"))
    marker = str(tmp_path / "marker")
    crafted(good, kind, str(tmp_path / "model.pt2"), marker)
    env = FakeEnv(str(tmp_path), {"custom_miniml_model": "model.pt2",
                                  "custom_miniml_python": sys.executable})
    if kind == "sample_inputs":  # skipped, never read: the model builds
        run_hook(env)
    else:
        line = _fail(env, capsys)
        assert line.startswith("[miniml] error: model.pt2: export failed: cannot load ")
        assert "never unpickles" in line or "dynamic" in line, line
    assert not os.path.exists(marker)
