"""The models that fit an ATmega328P (32 KB flash, 2 KB SRAM), built with PlatformIO's atmelavr flags and
run in simavr: predict_class equal to the host build's on every row, outputs equal to the host's (bit for
bit where the model has no exp/tanh; within 1e-5 relative where avr-libc's expf/tanhf round differently)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from classic_support import export_all, run_host, run_uno
from datasets import CASES

UNO_CASES = ["tree_iris", "forest_pure_wine", "forest_digits", "gboost_iris", "hist_gboost_breast",
             "isolation_forest_sub_wine", "logreg_binary_breast", "logreg_ovr_wine", "linear_svc_breast",
             "svc_rbf_iris", "svr_rbf_diabetes", "knn_iris", "nearest_centroid_wine", "gaussian_nb_iris",
             "mlp_iris", "robust_poly_ridge_diabetes"]
ROWS = 24
TRANSCENDENTAL = ("logistic", "softmax", "ovr_proba", "svm_ovo", "isolation_score")


@pytest.fixture(scope="module")
def runs():
    for tool in ("avr-g++", "simavr"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    rs = export_all("uno", {k: CASES[k]() for k in UNO_CASES})
    for r in rs.values():
        r.x = r.x[np.random.default_rng(0).permutation(len(r.x))[:ROWS]]
        r.want = None
    run_host("uno", rs)
    return rs


@pytest.mark.parametrize("case", UNO_CASES)
def test_uno_equals_host(runs, case):
    r = runs[case]
    got, classes, flash = run_uno("uno", r, ROWS)
    print(f"{case}: flash {flash} B, sizeof(Model) {r.report.ram_bytes} B")
    assert flash <= 32256
    np.testing.assert_array_equal(classes, r.got_class)
    ops = " ".join(row.op for row in r.report.layers)
    if case.startswith("mlp") or any(t in ops for t in TRANSCENDENTAL):
        np.testing.assert_allclose(got, r.got, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, r.got)
