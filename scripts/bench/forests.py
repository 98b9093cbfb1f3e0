"""A 10-tree, depth-6 RandomForestClassifier on iris and on digits, as MiniML exports it and as emlearn
does, in the same benchmark firmware (bench_main.cpp) on the simulated Uno: flash, static RAM, peak stack
and predict cycles, each net of the harness (the same firmware around an empty model).

emlearn (PyPI, pinned in requirements-dev.txt) is measured in both its forms: `inline` (if/else code,
float features) and `loadable` (node arrays, int16 features only: thresholds truncated to integers).
Its leaves hold the majority class, so its predict_proba is a vote share; MiniML's reproduces
scikit-learn's predict_proba (leaf class counts), which costs flash.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np

from bench import firmware

FOREST = dict(n_estimators=10, max_depth=6, random_state=0)

EMPTY = """// The harness alone: a model that does nothing.
#include "miniml/core_types.h"
namespace empty {
constexpr miniml::index_t kInputSize = %d;
constexpr miniml::index_t kOutputSize = %d;
class Model {
 public:
  void predict(const float* input, float* output) {
    for (miniml::index_t i = 0; i < kOutputSize; ++i) output[i] = input[i %% kInputSize];
  }
};
}  // namespace empty
"""

EMLEARN = """// emlearn's generated forest behind the benchmark's Model interface.
#include "miniml/core_types.h"
#include "%(file)s"
namespace %(ns)s {
constexpr miniml::index_t kInputSize = %(n_in)d;
constexpr miniml::index_t kOutputSize = %(n_out)d;
class Model {
 public:
  void predict(const float* input, float* output) {
%(body)s
  }
%(members)s
};
}  // namespace %(ns)s
"""


def _data(name: str):
    from sklearn.datasets import load_digits, load_iris

    x, y = (load_iris if name == "iris" else load_digits)(return_X_y=True)
    return x.astype(np.float32).astype(np.float64), y


def _emlearn_header(work: Path, rf, name: str, method: str, n_in: int, n_out: int) -> Path:
    import emlearn

    ns = f"eml_{name}_{method}"
    conv = emlearn.convert(rf, method=method, dtype="float" if method == "inline" else "int16_t")
    conv.save(name=f"{ns}_c", file=str(work / f"{ns}_gen.h"))  # its C symbols: <name>_c_predict...
    if method == "inline":  # float features straight from the input
        body, members = f"    {ns}_c_predict_proba(input, {n_in}, output, {n_out});", ""
    else:  # int16 features: the caller converts (truncates) them
        body = (f"    for (miniml::index_t i = 0; i < {n_in}; ++i) features_[i] = "
                f"static_cast<int16_t>(input[i]);\n"
                f"    {ns}_c_predict_proba(features_, {n_in}, output, {n_out});")
        members = f" private:\n  int16_t features_[{n_in}];"
    path = work / f"{ns}.h"
    path.write_text(EMLEARN % dict(file=f"{ns}_gen.h", ns=ns, n_in=n_in, n_out=n_out, body=body,
                                   members=members))
    return path


def _measure(target, work: Path, header: Path, ns: str, x: np.ndarray, cxx_extra: List[str]) -> Dict:
    work.mkdir(parents=True, exist_ok=True)
    firmware.write_data(work / "bench_data.h", x, None, None, None)
    elf = firmware.build(dataclasses.replace(target, cxx=target.cxx + cxx_extra), work, header, ns, [])
    res = firmware.run(elf)
    return {**firmware.sizes(target, elf), "stack_bytes": res["stack_bytes"],
            "predict_cycles": res["regions"][0]}


def run(work: Path, log: Callable[[str], None]) -> List[Dict[str, Any]]:
    import emlearn
    from sklearn.ensemble import RandomForestClassifier

    import miniml

    target = firmware.TARGETS["uno"]
    rows: List[Dict[str, Any]] = []
    for name in ("iris", "digits"):
        x, y = _data(name)
        rf = RandomForestClassifier(**FOREST).fit(x, y)
        n_in, n_out = x.shape[1], len(rf.classes_)
        d = work / name
        d.mkdir(parents=True, exist_ok=True)
        x0 = x[:1].astype(np.float32)
        (d / "empty.h").write_text(EMPTY % (n_in, n_out))
        base = _measure(target, d / "empty", d / "empty.h", "empty", x0, [])
        report = miniml.export(rf, x0, f"{name}_forest", str(d))
        layout = report.layers[0].op
        variants = [("miniml", Path(report.header_path), f"{name}_forest", [], layout)]
        emlearn_inc = ["-I", str(emlearn.includedir)]
        for method in ("inline", "loadable"):
            h = _emlearn_header(d, rf, name, method, n_in, n_out)
            what = "if/else code, float" if method == "inline" else "node arrays, int16 features"
            variants.append((f"emlearn {emlearn.__version__} {method}", h, h.stem, emlearn_inc, what))
        for engine, header, ns, extra, what in variants:
            row: Dict[str, Any] = {"model": f"{name} forest 10x6", "engine": engine, "form": what}
            try:
                m = _measure(target, d / ns, header, ns, x0, extra)
                for k in ("flash_bytes", "ram_bytes", "stack_bytes", "predict_cycles"):
                    row[k] = m[k] - base[k]
            except firmware.BuildError as e:
                msg = str(e)
                row["note"] = ("does not fit: its SRAM (.data, where emlearn keeps the nodes) exceeds 2 KB"
                               if "not within region `data'" in msg else msg.splitlines()[0][:200])
            log(f"forest {name} {engine}: {row}")
            rows.append(row)
    return rows


def markdown(rows: List[Dict[str, Any]]) -> List[str]:
    if not rows:
        return []
    L = [
        "",
        "## Decision forests: MiniML vs emlearn (simulated Uno)",
        "",
        "A `RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)` fitted on all of iris "
        "and of digits, exported by MiniML (the layout it chose) and by emlearn in its two forms, each in "
        "the same benchmark firmware; numbers are net of the harness (the firmware around an empty "
        "model). MiniML's `predict` is scikit-learn's `predict_proba` (leaf class counts); emlearn's "
        "leaves hold the majority class (a vote share), and its `loadable` form truncates features to "
        "int16.",
        "",
        "| forest | engine | form | flash B | RAM B | stack B | predict cycles | note |",
        "|---|---|---|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["engine"], r["form"], r.get("flash_bytes", "-"), r.get("ram_bytes", "-"),
            r.get("stack_bytes", "-"), r.get("predict_cycles", "-"), r.get("note", "")))
    return L
