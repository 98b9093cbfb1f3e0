#!/usr/bin/env python3
"""`make bench`: exports the fixed suite (scripts/bench/suite.py), builds one benchmark firmware
per model, precision and simulated board with the cross compilers, counts predict() and learn()
exactly (scripts/counters), and writes build/bench/results.json, results.md (also copied to
docs/benchmarks.md with --docs) and PNG charts.

  .venv/bin/python scripts/bench.py [--only MODEL[,MODEL]] [--targets uno,stm32,esp32c3]
                                    [--out DIR] [--docs] [--no-tflm] [--no-pio] [--no-charts]
                                    [--baseline FILE | --save-baseline RESULTS_JSON]
  results "growth": the rows over 5% above the flash/RAM/stack baseline (scripts/bench/growth.py).
  --only forests: just the scikit-learn forest comparison with emlearn (scripts/bench/forests.py).
Rows: {"model", "target", "precision", "predict_cycles", "learn_cycles", "flash_bytes",
"ram_bytes", "stack_bytes", "arena_bytes", "arena_lower_bound"} plus unit, clock, ms, MACs and
notes; null where not applicable or not built (the row's "note" says why). Cycle counts are exact
and repeat bit for bit (each firmware runs twice to check). "arena_gaps": arena vs its lower bound
per export variant and per composite model, and learn()'s gradient buffer vs its own
(scripts/bench/arena_gaps.py); "dense_sets": how many seeded dense random lifetime sets the
placement leaves over their bound (full run only).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bench import arena_gaps, firmware, forests, growth, layers, publish, suite  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
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


def _header_const(text: str, name: str) -> Optional[float]:
    m = re.search(r"constexpr \w+ %s = (-?[0-9.e+-]+)f?;" % name, text)
    return float(m.group(1)) if m else None


def _empty_row(model: str, target: str, precision: str) -> Dict[str, Any]:
    row: Dict[str, Any] = {k: None for k in FIELDS}
    row.update(model=model, target=target, precision=precision)
    return row


def _harness_rows(targets: List[str], work: Path) -> List[Dict[str, Any]]:
    """The benchmark firmware around an empty model: what the harness costs in flash and RAM."""
    hdr = work / "harness" / "bench_empty.h"
    hdr.parent.mkdir(parents=True, exist_ok=True)
    hdr.write_text(
        '// Empty model for the harness baseline.\n#include "miniml/core_types.h"\n'
        "namespace bench_empty {\nconstexpr miniml::index_t kInputSize = 1;\n"
        "constexpr miniml::index_t kOutputSize = 1;\nclass Model {\n public:\n"
        "  void predict(const float* input, float* output) { output[0] = input[0]; }\n};\n}\n"
    )
    rows = []
    for t in targets:
        tgt = firmware.TARGETS[t]
        w = work / "harness" / t
        w.mkdir(parents=True, exist_ok=True)
        firmware.write_data(w / "bench_data.h", np.zeros(1, np.float32), None, None, None)
        elf = firmware.build(tgt, w, hdr, "bench_empty", [])
        row = _empty_row("(harness only)", t, "-")
        row.update(firmware.sizes(tgt, elf))
        row["stack_bytes"] = firmware.run(elf)["stack_bytes"]
        row.update(unit=tgt.unit, clock_hz=tgt.clock_hz)
        rows.append(row)
    return rows


def _measure(row: Dict[str, Any], tgt: firmware.Target, elf: Path, int8: bool, learn: bool,
             step: bool = False, int8_only: bool = False) -> None:
    first = firmware.run(elf)
    again = firmware.run(elf)
    if first != again:
        raise firmware.BuildError("two runs differ: %s vs %s" % (first, again))
    regions = list(first["regions"])
    row.update(firmware.sizes(tgt, elf))
    row["stack_bytes"] = first["stack_bytes"]
    row["checksum"] = first["checksum"]
    if not int8_only:
        row["predict_cycles"] = regions.pop(0)
    if int8:
        row["predict_int8_cycles"] = regions.pop(0)
    if learn:
        row["learn_cycles"] = regions.pop(0)
        row["learn_after_predict_cycles"] = regions.pop(0)
    if step:
        row["step_cycles"] = regions.pop(0)
    for key in ("predict", "predict_int8", "learn", "learn_after_predict", "step"):
        n = row.get(key + "_cycles")
        row[key + "_ms"] = None if n is None else round(1000.0 * n / tgt.clock_hz, 4)
    row["fits"] = (
        row["flash_bytes"] <= tgt.flash_limit
        and row["ram_bytes"] + row["stack_bytes"] <= tgt.ram_limit
    )


def _learn_fresh(row: Dict[str, Any], tgt: firmware.Target, work: Path, header: Path, name: str,
                 defines: List[str], int8: bool) -> None:
    """learn() on a fresh input (not the last predicted one): the learn() region of a second build
    with BENCH_FRESH (bench_main.cpp), so that the first keeps the harness's size and stack."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(work.parent / "bench_data.h", work / "bench_data.h")
    regions = firmware.run(firmware.build(tgt, work, header, name, defines + ["BENCH_FRESH"]))["regions"]
    n = regions[1 + int8]  # after predict() and predict_int8()
    row["learn_fresh_cycles"] = n
    row["learn_fresh_ms"] = round(1000.0 * n / tgt.clock_hz, 4)


def _per_layer(tgt, work: Path, header: Path, name: str, defines, report) -> List[Dict[str, Any]]:
    """predict_int8() once more, with every layer its own counter region (bench/layers.py)."""
    work.mkdir(parents=True, exist_ok=True)
    text, names = layers.instrument(header.read_text())
    copy = work / header.name
    copy.write_text(text)
    (work / "bench_data.h").write_text((work.parent / "bench_data.h").read_text())
    counts = firmware.run(firmware.build(tgt, work, copy, name, defines))["regions"]
    return layers.rows(names, counts, report.layers)


def run_suite(models: List[suite.Model], targets: List[str], work: Path, log) -> Dict[str, Any]:
    import miniml
    import torch

    rows: List[Dict[str, Any]] = []
    exports: List[Dict[str, Any]] = []
    # Warm-up: the first torch.export in a process pays for lazy imports; keep them out of the
    # export times.
    miniml.analyze(torch.nn.Sequential(torch.nn.Linear(2, 2)).eval(), torch.zeros(1, 2), "warmup")
    for model in models:
        t0 = time.perf_counter()
        module, x, cal = model.build()
        log("%s: built in %.1f s" % (model.name, time.perf_counter() - t0))
        for v in model.variants:
            precision = v.precision + ("+learn" if v.learn else "")
            if v.options.get("optimize") == "speed":
                precision += " (speed)"
            vts = [t for t in v.targets if t in targets]
            if not vts:
                continue
            name = "%s_%s" % (model.name, re.sub(r"[^a-z0-9]+", "_", precision).strip("_"))
            opts = dict(v.options)
            if opts.get("quantize"):
                opts["calibration"] = torch.from_numpy(cal)
            hdr_dir = work / "headers"
            t0 = time.perf_counter()
            try:
                report = miniml.export(module, torch.from_numpy(x), name, str(hdr_dir), **opts)
            except Exception as e:  # noqa: BLE001 -- a missing feature becomes a null row with its reason
                reason = "export failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0][:300])
                log("%s %s: %s" % (model.name, precision, reason))
                for t in vts:
                    row = _empty_row(model.name, t, precision)
                    row["note"] = reason
                    rows.append(row)
                continue
            seconds = time.perf_counter() - t0
            exports.append(
                {
                    "model": model.name,
                    "precision": precision,
                    "export_seconds": round(seconds, 3),
                    "macs": report.macs,
                }
            )
            header = Path(report.header_path)
            text = header.read_text()
            x_s8 = None
            int8 = "predict_int8(" in text
            step = "void step(" in text
            if int8:
                scale, zp = (
                    _header_const(text, "kInputScale"),
                    _header_const(text, "kInputZeroPoint"),
                )
                x_s8 = np.clip(np.round(x.reshape(-1) / scale) + zp, -128, 127).astype(np.int8)
            rng = np.random.default_rng(7)
            out_size = int(np.prod(report.output_shape))
            target = rng.standard_normal(out_size).astype(np.float32) if v.learn == "mse" else None
            label = 1 if v.learn == "ce" else None
            for t in vts:
                tgt = firmware.TARGETS[t]
                row = _empty_row(model.name, t, precision)
                row.update(
                    arena_bytes=report.arena_bytes,
                    arena_lower_bound=report.arena_lower_bound,
                    model_ram_bytes=report.ram_bytes,
                    model_flash_bytes=report.flash_bytes,
                    macs=report.macs,
                    unit=tgt.unit,
                    clock_hz=tgt.clock_hz,
                )
                if report.training_ram_bytes:
                    row.update(training_ram_bytes=report.training_ram_bytes,
                               gradient_bytes=report.gradient_buffer_bytes,
                               gradient_lower_bound=report.gradient_lower_bound)
                w = work / name / t
                w.mkdir(parents=True, exist_ok=True)
                firmware.write_data(w / "bench_data.h", x.reshape(-1), x_s8, target, label)
                defines = (
                    (["BENCH_INT8"] if int8 else [])
                    + (["BENCH_INT8_ONLY"] if v.int8_only else [])
                    + (
                        ["BENCH_LEARN_MSE"]
                        if v.learn == "mse"
                        else ["BENCH_LEARN_CE"]
                        if v.learn == "ce"
                        else []
                    )
                    + (["BENCH_STEP"] if step else [])
                )
                try:
                    elf = firmware.build(tgt, w, header, name, defines)
                    _measure(row, tgt, elf, int8, v.learn is not None, step, v.int8_only)
                    if v.learn is not None and not v.int8_only:
                        _learn_fresh(row, tgt, w / "fresh", header, name, defines, int8)
                    if v.int8_only:
                        row["layers"] = _per_layer(tgt, w / "layers", header, name, defines, report)
                except firmware.BuildError as e:
                    row["note"] = str(e).splitlines()[0][:300]
                    log("%s %s %s: %s" % (model.name, precision, t, row["note"]))
                rows.append(row)
                log(
                    "%s %s %s: predict %s learn %s flash %s ram %s stack %s"
                    % (
                        model.name,
                        precision,
                        t,
                        row["predict_cycles"],
                        row["learn_cycles"],
                        row["flash_bytes"],
                        row["ram_bytes"],
                        row["stack_bytes"],
                    )
                )
    return {"rows": rows, "exports": exports}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--only", default="", help="comma-separated model names (default: the whole suite)"
    )
    ap.add_argument("--targets", default="uno,stm32,esp32c3")
    ap.add_argument("--out", default=str(REPO / "build" / "bench"))
    ap.add_argument(
        "--docs", action="store_true", help="also copy results.md to docs/benchmarks.md"
    )
    ap.add_argument("--no-tflm", action="store_true", help="skip the TFLite Micro arena comparison")
    ap.add_argument("--no-pio", action="store_true", help="skip the unchanged `pio run` overhead")
    ap.add_argument("--no-charts", action="store_true")
    ap.add_argument(
        "--baseline",
        default=str(growth.BASELINE),
        help="flash/RAM/stack baseline (scripts/bench/growth.py): rows 5%% over it are listed",
    )
    ap.add_argument(
        "--save-baseline",
        metavar="RESULTS_JSON",
        help="write --baseline from a bench results.json (of the baseline commit) and stop",
    )
    args = ap.parse_args()
    if args.save_baseline:
        growth.save(json.loads(Path(args.save_baseline).read_text()), Path(args.baseline))
        return 0
    started = time.perf_counter()
    out = Path(args.out)
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log = lambda s: print("[bench] " + s, flush=True)  # noqa: E731
    subprocess.run(["bash", str(REPO / "scripts" / "counters" / "build.sh")], check=True)
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in {m.name for m in suite.SUITE} | {"forests"}]
    if unknown:
        raise SystemExit(
            "bench: unknown model(s) %s; the suite has %s"
            % (", ".join(unknown), ", ".join(m.name for m in suite.SUITE))
        )
    models = [m for m in suite.SUITE if not only or m.name in only]
    targets = [t for t in args.targets.split(",") if t]
    results = run_suite(models, targets, work, log)
    results["harness"] = _harness_rows(targets, work)
    results["kernels"] = [
        firmware.kernel_costs(firmware.TARGETS[t], work / "kernels" / t) for t in targets
    ]
    results["tflm"] = [] if args.no_tflm else _tflm(models, log)
    results["pio"] = None if args.no_pio else _pio_overhead(work, log)
    # the scikit-learn forest comparison with emlearn (Uno only); `--only forests` runs just it
    results["forests"] = (
        forests.run(work / "forests", log) if "uno" in targets and (not only or "forests" in only) else []
    )
    results["arena_gaps"] = arena_gaps.run(results["rows"], not only, log)
    results["dense_sets"] = arena_gaps.dense_sets(log) if not only else None
    baseline = Path(args.baseline)
    results["growth"] = {
        "commit": growth.commit(baseline),
        "over": growth.over(results["rows"] + results["harness"], growth.load(baseline)),
    }
    results["anchors"] = suite.ANCHORS
    results["mlperf_published"] = suite.MLPERF_PUBLISHED
    results["targets"] = publish.check_targets(results["rows"], suite.TARGETS)
    results["count_targets"] = publish.check_counts(results, suite.COUNT_TARGETS)
    results["seconds"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    md = publish.markdown(results)
    (out / "results.md").write_text(md)
    if not args.no_charts:
        publish.charts(results, out)
    if args.docs:
        (REPO / "docs" / "benchmarks.md").write_text(md)
    log("wrote %s (%.0f s)" % (out / "results.json", time.perf_counter() - started))
    return 0


def _tflm(models: List[suite.Model], log) -> List[Dict[str, Any]]:
    from bench import tflm

    rows = []
    for m in models:
        try:
            r = tflm.arena(m.name)
        except Exception as e:  # noqa: BLE001
            r = {"model": m.name, "note": "TFLM model not built: %s" % str(e).splitlines()[0][:200]}
            log(traceback.format_exc().splitlines()[-1])
        if r is not None:
            rows.append(r)
    return rows


def _pio_overhead(work: Path, log) -> Optional[Dict[str, Any]]:
    from bench import pio

    try:
        return pio.overhead(work / "pio", log)
    except Exception as e:  # noqa: BLE001
        log("pio overhead not measured: %s" % e)
        return {"note": "not measured: %s" % str(e).splitlines()[0][:300]}


if __name__ == "__main__":
    sys.exit(main())
