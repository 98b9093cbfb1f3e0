"""The int8 models' host drivers, shared by the int8 export tests: export each model (quantize=
"int8"), build one driver with sanitizers that runs predict() (and predict_int8(), where the model
has one) on the given inputs, and return the outputs next to the int8 graph (miniml.api.int8_graph)
to compare with."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Dict, Sequence

import miniml
import numpy as np
import torch
from harness import BUILD, HOST_FLAGS, INCLUDE, compile_cpp, safe_id
from miniml.api import int8_graph


def _build_and_run(out_dir: str, head: list, body: list, inputs: list,
                   flags: Sequence[str] = HOST_FLAGS):
    """Writes driver.cpp (head: includes; body: the per-model blocks reading `in`, writing `out`),
    builds it, runs it on the float32 inputs back to back: (output bytes, stdout)."""
    drv = head + ["int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
                  '  FILE* in = fopen(argv[1], "rb");', '  FILE* out = fopen(argv[2], "wb");',
                  "  if (!in || !out) return 3;", *body, "  fclose(in);", "  fclose(out);",
                  "  return 0;", "}"]
    src = os.path.join(out_dir, "driver.cpp")
    with open(src, "w") as f:
        f.write("\n".join(drv) + "\n")
    exe = compile_cpp(src, os.path.join(out_dir, "driver"), [INCLUDE, out_dir], flags)
    in_path, out_path = os.path.join(out_dir, "in.bin"), os.path.join(out_dir, "out.bin")
    with open(in_path, "wb") as f:
        for xs in inputs:
            f.write(np.asarray(xs, np.float32).tobytes())
    p = subprocess.run([exe, in_path, out_path], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-4000:]
    return open(out_path, "rb").read(), p.stdout


def _has_predict_int8(g) -> bool:
    """False after a float tail (a final softmax): predict() only."""
    return g.meta["int8_edges"]["output"] is not None


def run_int8_models(group: str, cases: Dict[str, tuple],
                    flags: Sequence[str] = HOST_FLAGS) -> Dict[str, dict]:
    """cases: id -> (eval model, calibration [N, ...] or None for a QAT model, inputs [n, ...]).
    Returns id -> dict(name, report, graph, header, xs, model, y [n, out] from predict(),
    yq [n, out] from predict_int8() (None after a float tail), sizeof = sizeof(Model)).
    flags: the host compiler's (sanitizers always)."""
    out_dir = os.path.join(BUILD, group)
    os.makedirs(out_dir, exist_ok=True)
    res, drv, body = {}, ["#include <stdio.h>"], []
    for cid, (model, cal, xs) in cases.items():
        name = safe_id(cid)
        # a quantisation-aware trained model (cal None) brings its own ranges
        example = torch.from_numpy((xs if cal is None else cal)[:1])
        report = miniml.export(model, example, name, out_dir, quantize="int8", calibration=cal)
        g = int8_graph(model, example, calibration=cal)
        header = open(os.path.join(out_dir, f"{name}.h")).read()
        res[cid] = dict(name=name, report=report, graph=g, xs=xs, model=model, header=header)
        drv.append(f'#include "{name}.h"')
        body += [
            "  {",
            f"    static {name}::Model m;",
            f"    static float x[{name}::kInputSize], y[{name}::kOutputSize];",
            f"    static int8_t xq[{name}::kInputSize], yq[{name}::kOutputSize];",
            f"    for (int k = 0; k < {len(xs)}; ++k) {{",
            f"      if (fread(x, 4, {name}::kInputSize, in) != {name}::kInputSize) return 4;",
            "      m.predict(x, y);",
            f"      fwrite(y, 4, {name}::kOutputSize, out);",
            *([
                f"      miniml::quantize_s8(x, {name}::kInputSize, {name}::kInputScale, "
                f"{name}::kInputZeroPoint, xq);",
                "      m.predict_int8(xq, yq);",
                f"      fwrite(yq, 1, {name}::kOutputSize, out);",
            ] if _has_predict_int8(g) else ["      (void)xq; (void)yq;"]),
            "    }",
            f'    printf("sizeof {name} %u\\n", static_cast<unsigned>(sizeof(m)));',
            "  }",
        ]
    raw, stdout = _build_and_run(out_dir, drv, body, [r["xs"] for r in res.values()], flags)
    pos = 0
    sizes = dict(re.findall(r"sizeof (\w+) (\d+)", stdout))
    for r in res.values():
        g = r["graph"]
        n_out = g.tensor(g.outputs[0]).numel
        ys, yqs = [], []
        for _ in range(len(r["xs"])):
            ys.append(np.frombuffer(raw[pos : pos + 4 * n_out], np.float32))
            pos += 4 * n_out
            if _has_predict_int8(g):
                yqs.append(np.frombuffer(raw[pos : pos + n_out], np.int8))
                pos += n_out
        r["y"], r["sizeof"] = np.stack(ys), int(sizes[r["name"]])
        r["yq"] = np.stack(yqs) if yqs else None
    assert pos == len(raw)
    return res


def check_int8_run(r: dict) -> float:
    """One run_int8_models result: predict() and predict_int8() equal the integer reference to the
    bit (asserted); returns the largest |predict() - torch| in output steps."""
    from miniml.int8 import predict as predict_int8_graph
    from miniml.int8 import run_int8

    g, xs = r["graph"], r["xs"]
    np.testing.assert_array_equal(r["y"], predict_int8_graph(g, xs).reshape(len(xs), -1))
    edges = g.meta["int8_edges"]
    want_q = np.stack([run_int8(g, x)[edges["output"]] for x in xs])
    np.testing.assert_array_equal(r["yq"], want_q)
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(xs)).numpy().reshape(len(xs), -1)
    return float(np.max(np.abs(r["y"] - yf)) / g.tensor(edges["output"]).scale)


def run_packed_models(group: str, cases: Dict[str, tuple]) -> Dict[str, dict]:
    """Models of any inputs and outputs (several, indices, float tails): cases: id -> (eval model,
    example input(s), calibration, packed inputs [n, total] (indices as exact floats)). Each is
    exported with golden=1, whose Golden::run splits a packed vector into predict()'s inputs and
    outputs; one driver runs them all. Returns id -> dict(graph, y [n, total outputs])."""
    out_dir = os.path.join(BUILD, group)
    os.makedirs(out_dir, exist_ok=True)
    res, drv, body = {}, ["#include <stdio.h>"], []
    for cid, (model, example, cal, xs) in cases.items():
        name = safe_id(cid)
        miniml.export(model, example, name, out_dir, quantize="int8", calibration=cal, golden=1)
        g = int8_graph(model, example, calibration=cal)
        n_out = sum(g.tensor(t).numel for t in g.outputs)
        res[cid] = dict(name=name, graph=g, xs=np.asarray(xs, np.float32), n_out=n_out)
        drv.append(f'#include "{name}.h"')
        body += [
            "  {",
            f"    static {name}::Model m;",
            f"    static float x[{name}::Golden::kInputFloats], y[{n_out}];",
            f"    for (int k = 0; k < {len(xs)}; ++k) {{",
            f"      if (fread(x, 4, {name}::Golden::kInputFloats, in) != "
            f"{name}::Golden::kInputFloats) return 4;",
            f"      {name}::Golden::run(m, x, y);",
            f"      fwrite(y, 4, {n_out}, out);",
            "    }",
            "  }",
        ]
    raw = np.frombuffer(_build_and_run(out_dir, drv, body, [r["xs"] for r in res.values()])[0],
                        np.float32)
    pos = 0
    for r in res.values():
        size = len(r["xs"]) * r["n_out"]
        r["y"] = raw[pos:pos + size].reshape(len(r["xs"]), r["n_out"])
        pos += size
    assert pos == raw.size
    return res
