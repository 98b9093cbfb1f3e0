"""Every supported scikit-learn family on data sets shipped with scikit-learn, host build under ASan/UBSan:
outputs within 1e-4 (relative to max(|want|, 1)) of predict_proba / decision_function / predict, class
agreement 100% for trees, forests and boosting and >= 99.5% for the others (disagreements listed), and
sizeof(Model) == the report's RAM."""
from __future__ import annotations

import pytest
from classic_support import class_agreement, export_all, output_error, run_host
from datasets import CASES, EXACT, TREE_LAYOUTS
from miniml.classic import trees


@pytest.fixture(scope="module")
def runs():
    rs = export_all("parity", {k: v() for k, v in CASES.items()}, golden=2)
    saved = trees.FORCE_LAYOUT
    for layout, cases in TREE_LAYOUTS.items():
        trees.FORCE_LAYOUT = layout
        try:
            rs.update(export_all("parity", {k: v() for k, v in cases.items()}))
        finally:
            trees.FORCE_LAYOUT = saved
    run_host("parity", rs)
    return rs


ALL = list(CASES) + [k for c in TREE_LAYOUTS.values() for k in c]


@pytest.mark.parametrize("case", ALL)
def test_parity_classic(runs, case):
    r = runs[case]
    err = output_error(r)
    assert err <= 1e-4, f"{case}: outputs differ by {err:.3g} (relative to max(|want|, 1))"
    if r.want_class is not None:
        agree, bad = class_agreement(r)
        need = 1.0 if case in EXACT or case.startswith("layout") else 0.995
        print(f"{case}: class agreement {agree:.4f} on {len(r.x)} rows; differing rows {bad}")
        assert agree >= need, f"{case}: class agreement {agree:.4f} < {need}, rows {bad}"


def test_layouts_reported(runs):
    ops = {r.report.layers[0].op for k, r in runs.items() if k.startswith("layout")}
    assert any("node arrays" in o for o in ops) and any("if/else code" in o for o in ops), ops
