"""Loading .skops files (skops.io) with its trusted-types check; pickle files are refused."""
from __future__ import annotations

import os
from typing import Any

from ..errors import MinimlError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
CONVERT = ("python -c \"import joblib, skops.io; skops.io.dump(joblib.load('{path}'), '{stem}.skops')\"  "
           "(only for a file you trust: loading a pickle runs its code)")


# scikit-learn internals that the supported estimators hold and skops does not trust by default (checked
# for every model the classic tests export): trees, fitted optimizers, neighbour indexes and metrics,
# SelectKBest's score functions.
INTERNAL_TYPES = frozenset(
    ["sklearn.tree._tree.Tree", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", "sklearn.neural_network._stochastic_optimizers.AdamOptimizer", "sklearn.neural_network._stochastic_optimizers.SGDOptimizer", "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree", "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.metrics._dist_metrics.ManhattanDistance64", "sklearn.metrics._dist_metrics.MinkowskiDistance64", "sklearn.feature_selection._univariate_selection.f_classif", "sklearn.feature_selection._univariate_selection.f_regression", "sklearn.feature_selection._univariate_selection.chi2", "sklearn.feature_selection._univariate_selection.r_regression"]
)


def refuse_pickle(path: str) -> None:
    if path.lower().endswith(PICKLE_SUFFIXES):
        raise MinimlError(
            f"{path}: pickle files are not loaded (a pickle can run any code); save the model with "
            f"skops.io.dump(model, 'model.skops'), or convert this one: "
            + CONVERT.format(path=path, stem=os.path.splitext(path)[0])
        )


def load_skops(path: str) -> Any:
    """The estimator in `path`, if every type in it is one skops trusts by default, one MiniML exports
    (classic.SUPPORTED) or one of their INTERNAL_TYPES; anything else is refused by name."""
    refuse_pickle(path)
    if not os.path.isfile(path):
        raise MinimlError(f"cannot load {path!r}: no such file (save one with skops.io.dump)")
    try:
        import skops.io as sio
    except ImportError:
        raise MinimlError(f"{path}: loading .skops files needs skops: pip install skops") from None
    from . import SUPPORTED

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a damaged or foreign file; the fix is the same
        raise MinimlError(f"cannot read {path!r} as a .skops file: {exc}") from exc
    allowed = [t for t in untrusted if t in INTERNAL_TYPES
               or (t.startswith("sklearn.") and t.rsplit(".", 1)[-1] in SUPPORTED)]
    rest = sorted(set(untrusted) - set(allowed))
    if rest:
        raise MinimlError(
            f"{path}: refusing types skops does not trust and MiniML does not export: {', '.join(rest)}"
        )
    try:
        return sio.load(path, trusted=allowed)
    except Exception as exc:
        raise MinimlError(f"cannot load {path!r} with skops: {exc}") from exc
