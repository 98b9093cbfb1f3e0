"""The benchmark machinery (scripts/bench.py) on one tiny model and one board: well-formed rows,
and two runs give identical cycle counts. Runs the command as a user would (tests import nothing
from scripts/); no timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIELDS = (
    "model",
    "target",
    "precision",
    "predict_cycles",
    "learn_cycles",
    "flash_bytes",
    "ram_bytes",
    "stack_bytes",
    "arena_bytes",
    "arena_lower_bound",
)


def _bench(out: Path, charts: bool, only: str = "mlp16", targets: str = "uno", extra=()) -> dict:
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "bench.py"),
            "--only",
            only,
            "--targets",
            targets,
            "--out",
            str(out),
            "--no-tflm",
            "--no-pio",
        ]
        + ([] if charts else ["--no-charts"])
        + list(extra),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return json.loads((out / "results.json").read_text())


def _baseline(res: dict, path: Path) -> Path:
    """A flash/RAM/stack baseline for the second run: the float row's stack 10% under the first
    run's (listed), the int8 row as measured (not listed), a row the run has not (skipped)."""
    rows = {r["precision"]: r for r in res["rows"]}
    keys = ("model", "target", "precision", "flash_bytes", "ram_bytes", "stack_bytes")
    base = [{k: rows[p][k] for k in keys} for p in ("float", "int8")]
    base[0]["stack_bytes"] = int(rows["float"]["stack_bytes"] / 1.1)
    base.append({**base[1], "model": "absent"})
    path.write_text("".join(json.dumps(b) + "\n" for b in base))
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple:
    base = tmp_path_factory.mktemp("bench")
    a = _bench(base / "a", True)
    baseline = _baseline(a, base / "baseline_test.json")
    return a, _bench(base / "b", False, extra=["--baseline", str(baseline)]), base / "a"


def test_rows_are_well_formed(two_runs) -> None:
    res, _, out = two_runs
    rows = {r["precision"]: r for r in res["rows"]}
    assert sorted(rows) == ["float", "float (speed)", "float+learn", "float+learn (speed)", "int8"]
    for precision, r in rows.items():
        assert set(FIELDS) <= set(r), precision
        assert (r["model"], r["target"]) == ("mlp16", "uno")
        assert r.get("note") is None, r.get("note")
        for k in FIELDS[3:]:
            assert r[k] is None or (isinstance(r[k], int) and r[k] >= 0), (precision, k, r[k])
        assert r["unit"] == "cycles" and r["clock_hz"] == 16_000_000
        assert r["predict_ms"] == round(1000.0 * r["predict_cycles"] / 16e6, 4)
        # the firmware holds the model: its static RAM covers sizeof(Model), its flash the constants
        assert r["ram_bytes"] >= r["model_ram_bytes"] and r["flash_bytes"] > r["model_flash_bytes"]
        assert 16 < r["stack_bytes"] < 2048 - r["ram_bytes"]
        assert r["arena_lower_bound"] <= r["arena_bytes"]
        assert r["macs"] == 16 * 16 + 16 * 4
    assert rows["float"]["learn_cycles"] is None and rows["int8"]["learn_cycles"] is None
    # optimize="speed": the float multiply-accumulate asm, fewer cycles (about 185 per MAC against the size
    # loop's 236) for more flash, the same RAM
    size, speed = rows["float"], rows["float (speed)"]
    assert speed["predict_cycles"] < 0.85 * size["predict_cycles"]
    assert speed["flash_bytes"] > size["flash_bytes"] and speed["ram_bytes"] == size["ram_bytes"]
    (k,) = res["kernels"]
    assert k["linear_f32_speed_per_mac"] < 0.85 * k["linear_f32_per_mac"]
    assert (
        rows["float+learn"]["learn_cycles"] > rows["float+learn"]["predict_cycles"]
    )  # learn runs predict too
    learn = rows["float+learn"]
    # learn() on a fresh input runs the forward pass; learn_after_predict: only the backward and the
    # update
    assert learn["learn_fresh_cycles"] > learn["predict_cycles"]
    assert 0 < learn["learn_after_predict_cycles"] < learn["learn_fresh_cycles"] - learn["predict_cycles"]
    assert rows["int8"]["predict_int8_cycles"] < rows["int8"]["predict_cycles"]  # no float edges
    assert rows["float"]["arena_bytes"] == 64  # 16 hidden floats: the lower bound of this chain
    harness = res["harness"][0]
    assert (
        harness["model"] == "(harness only)"
        and harness["flash_bytes"] < rows["float"]["flash_bytes"]
    )
    for png in ("predict_ms.png", "memory.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    md = (out / "results.md").read_text()
    r = rows["int8"]
    assert "| mlp16 | uno | int8 | 320 | %d | %.3f |" % (r["predict_cycles"], r["predict_ms"]) in md
    # arena vs bound per export variant (--only leaves the composites out)
    gaps = {g["precision"]: g for g in res["arena_gaps"]}
    assert sorted(gaps) == sorted(rows)
    assert gaps["int8"]["arena_bytes"] == gaps["int8"]["arena_lower_bound"] == r["arena_bytes"]
    assert "## Arena vs its lower bound" in md and "| mlp16 | int8 | 32 | 32 | 0.00 |" in md
    # learn()'s gradient buffer vs its bound, for the variants that learn: mlp16's last Linear
    # steps on grad_output x input (never stored), so its buffer is empty
    assert "gradient_bytes" not in gaps["int8"]
    assert gaps["float+learn"]["gradient_bytes"] == gaps["float+learn"]["gradient_lower_bound"] == 0
    assert "| mlp16 | float+learn | 0 | 0 | 0.00 |" in md


def test_two_runs_give_identical_counts(two_runs) -> None:
    a, b, _ = two_runs
    keys = (
        "model",
        "precision",
        "predict_cycles",
        "predict_int8_cycles",
        "learn_cycles",
        "learn_after_predict_cycles",
        "learn_fresh_cycles",
        "flash_bytes",
        "ram_bytes",
        "stack_bytes",
        "checksum",
    )
    assert [[r.get(k) for k in keys] for r in a["rows"]] == [
        [r.get(k) for k in keys] for r in b["rows"]
    ]
    assert a["kernels"] == b["kernels"]


def test_growth_lists_rows_over_the_baseline(two_runs) -> None:
    a, b, out = two_runs
    # the recorded baseline (main at 207f08d, this harness) has every mlp16 row
    assert a["growth"]["commit"] == "207f08d"
    assert "## Flash, RAM and stack vs 207f08d" in (out / "results.md").read_text()
    stack = next(r["stack_bytes"] for r in b["rows"] if r["precision"] == "float")
    assert b["growth"] == {
        "commit": "test",
        "over": [
            {
                "model": "mlp16",
                "target": "uno",
                "precision": "float",
                "field": "stack_bytes",
                "baseline": int(stack / 1.1),
                "measured": stack,
                "pct": round(100.0 * (stack / int(stack / 1.1) - 1.0), 1),
                "judged": False,
            }
        ],
    }


def test_growth_judges_flash_and_peak_ram() -> None:
    """The 5% rule counts flash, static RAM and static + stack; a stack over alone is listed apart."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
    from bench import growth

    key = {"model": "m", "target": "uno", "precision": "float"}
    base = [{**key, "flash_bytes": 1000, "ram_bytes": 160, "stack_bytes": 34}]
    small_stack = growth.over([{**key, "flash_bytes": 1050, "ram_bytes": 160, "stack_bytes": 43}], base)
    assert [(r["field"], r["judged"]) for r in small_stack] == [("stack_bytes", False)]
    grown = growth.over([{**key, "flash_bytes": 1051, "ram_bytes": 160, "stack_bytes": 50}], base)
    assert [(r["field"], r["judged"]) for r in grown] == [
        ("flash_bytes", True), ("stack_bytes", False), ("peak_ram_bytes", True)]
    md = "\n".join(growth.markdown(small_stack, "207f08d"))
    assert "none." in md and "| stack | 34 | 43 |" in md


def test_mlperf_kws_per_layer(tmp_path) -> None:
    """The sampled MLPerf check: KWS DS-CNN on the Cortex-M4, int8 alone, layer by layer. Every
    layer is a region; the layers' counts add up to the whole predict_int8() within the markers'
    own cost, and every conv layer has MACs and an instructions-per-MAC figure."""
    res = _bench(tmp_path, True, "kws_ds_cnn", "stm32")
    (r,) = res["rows"]
    assert r.get("note") is None, r.get("note")
    assert r["predict_cycles"] is None and r["macs"] == 2656768
    names = [y["layer"] for y in r["layers"]]
    assert names[:3] == ["conv2d", "conv2d_1", "conv2d_2"] and names[-1] == "linear"
    assert sum(y["macs"] for y in r["layers"]) == r["macs"]
    total = sum(y["count"] for y in r["layers"])
    assert r["predict_int8_cycles"] - 20 * len(names) < total < r["predict_int8_cycles"] * 1.02
    for y in r["layers"]:
        assert (y["per_mac"] is None) == (y["macs"] == 0), y
    md = (tmp_path / "results.md").read_text()
    assert "| kws_ds_cnn | 2656768 | %d |" % r["predict_int8_cycles"] in md
    assert (tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"
