"""The forest comparison of the bench (`scripts/bench.py --only forests --targets uno`): MiniML and emlearn
rows for iris and digits with positive net flash and cycles, and the table in results.md. No timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_forest_rows(tmp_path) -> None:
    subprocess.run([sys.executable, str(REPO / "scripts" / "bench.py"), "--only", "forests", "--targets",
                    "uno", "--out", str(tmp_path), "--no-tflm", "--no-pio", "--no-charts"],
                   check=True, capture_output=True, timeout=600)
    res = json.loads((tmp_path / "results.json").read_text())
    rows = {(r["model"], r["engine"].split()[0] + (" " + r["engine"].split()[-1] if "emlearn" in r["engine"]
                                                   else "")): r for r in res["forests"]}
    for forest in ("iris forest 10x6", "digits forest 10x6"):
        ours = rows[(forest, "miniml")]
        assert ours.get("note") is None and ours["flash_bytes"] > 0 and ours["predict_cycles"] > 0
        assert "tree_" in ours["form"]
        inline = rows[(forest, "emlearn inline")]
        assert inline["flash_bytes"] > 0 and inline["predict_cycles"] > 0
    assert rows[("iris forest 10x6", "emlearn loadable")]["flash_bytes"] > 0
    md = (tmp_path / "results.md").read_text()
    assert "## Decision forests: MiniML vs emlearn (simulated Uno)" in md
    assert "| digits forest 10x6 | miniml |" in md
