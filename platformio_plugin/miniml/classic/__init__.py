"""scikit-learn estimators and Pipelines -> the same header API as PyTorch models (one module per family).

build() converts a fitted estimator into Steps (model.py) and writes them with header.py; MLPs go through
the PyTorch path (mlp.py). Anything not in SUPPORTED is refused by name. Imports scikit-learn lazily (the
build hook imports miniml without it).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from ..errors import BatchSizeError, MinimlError, OptionError, UnsupportedOpError
from ..report import Report
from . import linear, neighbors, preprocess, svm, trees
from .model import Head, Namer, Step

ESTIMATORS: Dict[str, Callable[[Any, Namer], Head]] = {
    **trees.CONVERTERS, **linear.CONVERTERS, **svm.CONVERTERS, **neighbors.CONVERTERS,
}
MLPS = ("MLPClassifier", "MLPRegressor")
SUPPORTED = frozenset([*ESTIMATORS, *preprocess.CONVERTERS, *MLPS, "Pipeline"])
# the other export options are for PyTorch models; optimize is the build's (trees have no speed kernels)
CLASSIC_OPTIONS = ("golden", "seed", "optimize")


def is_sklearn(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "sklearn"


def _refuse(obj: Any) -> UnsupportedOpError:
    return UnsupportedOpError(
        f"scikit-learn {type(obj).__name__} is not supported; supported: {', '.join(sorted(SUPPORTED))}"
    )


def _split(est: Any) -> Tuple[List[Any], Any]:
    """(transformers, final estimator) of a Pipeline (None/'passthrough' steps skipped)."""
    if type(est).__name__ != "Pipeline":
        return [], est
    items = [s for _, s in est.steps if s is not None and s != "passthrough"]
    if not items:
        raise UnsupportedOpError("an empty Pipeline has nothing to export")
    return items[:-1], items[-1]


def _check_fitted(est: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        raise MinimlError(f"{type(est).__name__} is not fitted: call fit() before exporting") from None


def _example(example_input: Any, n_in: int, source: str) -> np.ndarray:
    if example_input is None:
        return np.zeros((1, n_in), np.float32)
    if hasattr(example_input, "detach"):
        example_input = example_input.detach().cpu().numpy()
    x = np.asarray(example_input, np.float32)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] != 1:
        raise BatchSizeError(f"example_input of shape {list(x.shape)}: give one row [1, {n_in}]")
    if x.shape[1] != n_in:
        raise MinimlError(f"example_input has {x.shape[1]} features; {source} was fitted on {n_in}")
    return x


def convert(est: Any) -> Head:
    """The Head of a fitted estimator or Pipeline (preprocessing steps first)."""
    transformers, final = _split(est)
    for t in [*transformers, final]:
        name = type(t).__name__
        if name not in SUPPORTED or name == "Pipeline":
            raise _refuse(t)
        _check_fitted(t)
    namer = Namer()
    pre: List[Step] = []
    width = int(est.n_features_in_)
    for t in transformers:
        name = type(t).__name__
        if name not in preprocess.CONVERTERS:
            raise UnsupportedOpError(f"{name} as a Pipeline step before the last is not supported; "
                                     f"preprocessing: {', '.join(sorted(preprocess.CONVERTERS))}")
        pre.append(preprocess.CONVERTERS[name](t, width, namer))
        width = pre[-1].width

    def transform(x: np.ndarray) -> np.ndarray:
        for t in transformers:
            x = t.transform(x)
        return np.asarray(x, np.float64)

    name = type(final).__name__
    if name in preprocess.CONVERTERS:
        last = preprocess.CONVERTERS[name](final, width, namer)
        return Head(pre + [last], lambda x: np.asarray(final.transform(transform(x)), np.float64))
    head = ESTIMATORS[name](final, namer)
    ref, cls = head.reference, head.predict_class
    head.steps = pre + head.steps
    head.reference = lambda x: np.asarray(ref(transform(x)), np.float64).reshape(len(x), -1)
    if head.class_steps is not None:
        head.class_steps = pre + head.class_steps
        head.predict_class = lambda x: np.searchsorted(final.classes_, cls(transform(x)))
    return head


def _golden(example: np.ndarray, count: int, seed: int, ref: Callable[[np.ndarray], np.ndarray]):
    """Inputs around the example row (scikit-learn models are rarely fed N(0, 1) data)."""
    import sklearn

    rng = np.random.default_rng(seed)
    scale = max(float(np.abs(example).mean()), 1.0)
    xs = (example + 0.5 * scale * rng.standard_normal((count, example.shape[1]))).astype(np.float32)
    ys = np.asarray(ref(xs.astype(np.float64)), np.float32)
    prov = (f"generator miniml {__import__('miniml').__version__}, scikit-learn {sklearn.__version__}, "
            f"example + 0.5 * max(mean|example|, 1) * numpy default_rng(seed={seed}).standard_normal, "
            f"{count} vectors")
    return xs, ys.reshape(count, -1), prov


def build(est: Any, example_input: Any, name: str, options: Dict[str, Any],
          check_options: Callable[[Dict[str, Any]], Dict[str, Any]],
          build_torch: Callable[..., Tuple[str, Report]], tolerance: float) -> Tuple[str, Report]:
    """(header text, Report) of a fitted scikit-learn estimator; check_options/build_torch/tolerance
    come from api.py (its option check, the PyTorch path for MLPs, the golden tolerance)."""
    import sklearn

    opts = check_options(options)
    for key, default in check_options({}).items():
        if key not in CLASSIC_OPTIONS and opts[key] != default:
            raise OptionError(f"{key}={opts[key]!r} applies to PyTorch models only, not to "
                              f"scikit-learn's {type(est).__name__}")
    if type(est).__name__ not in SUPPORTED:
        raise _refuse(est)
    _check_fitted(est)
    n_in = int(est.n_features_in_)
    example = _example(example_input, n_in, type(est).__name__)
    transformers, final = _split(est)
    if type(final).__name__ in MLPS:
        from . import mlp

        for t in transformers:
            _check_fitted(t)
        module = mlp.module(final, transformers, n_in)
        extend = mlp.class_parts(final.classes_) if hasattr(final, "classes_") else None
        import torch

        return build_torch(module, torch.from_numpy(example), name, options, extend)
    from .header import write_header

    head = convert(est)
    golden = None
    if opts["golden"]:
        xs, ys, prov = _golden(example, opts["golden"], opts["seed"], head.reference)
        golden = (xs, ys, tolerance, prov)
    text, report = write_header(head, n_in, name, f"scikit-learn {sklearn.__version__}", golden)
    report.optimize = opts["optimize"]
    return text, report

