"""Fixtures for the build-hook tests (helpers in hook_support.py)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from typing import Dict, List

import pytest
from hook_support import FAKE_EXPORTER, REPO, save_mlp_pt2


@pytest.fixture
def fake_python(tmp_path, monkeypatch):
    path = tmp_path / "fakepython"
    path.write_text(FAKE_EXPORTER.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "exports.log"
    monkeypatch.setenv("FAKE_EXPORT_LOG", str(log))

    class Fake:
        python = str(path)

        @staticmethod
        def exports() -> List[Dict]:
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text().splitlines()]

    return Fake


@pytest.fixture
def exported_header():
    """Export a small MLP with the real CLI into a folder; returns the header's name (skips until it
    exists)."""

    def make(out_dir, name: str = "tiny") -> str:
        model = save_mlp_pt2(os.path.join(str(out_dir), name + ".pt2"))
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "platformio_plugin"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "miniml",
                "export",
                model,
                "--name",
                name,
                "--out",
                str(out_dir),
            ],
            check=True,
            env=env,
        )
        return name

    return make


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "pio: runs PlatformIO end to end (slow; deselect with -m 'not pio')"
    )
