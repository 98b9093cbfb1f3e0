"""k-nearest neighbours (training set in flash), NearestCentroid and GaussianNB: classic_neighbors.h."""
from __future__ import annotations

import numpy as np

from ..emit.header import Member
from ..errors import ModelTooLargeError, UnsupportedOpError
from ..ir import DType
from .model import U16, Head, Namer, Step, rom_f32, rom_uint
from .trees import proba_from_raw

KNN_MAX_ROWS = 65535  # neighbour indices are uint16_t; the board's flash is checked by the build hook
KNN_MAX_K = 255


def _minkowski_p(est) -> int:
    metric = est.effective_metric_
    p = (est.effective_metric_params_ or {}).get("p", 2)
    if metric in ("euclidean", "l2") or (metric == "minkowski" and p == 2):
        return 2
    if metric in ("manhattan", "cityblock", "l1") or (metric == "minkowski" and p == 1):
        return 1
    raise UnsupportedOpError(f"{type(est).__name__}(metric={est.metric!r}, p={p}): use the Euclidean or "
                             "Manhattan distance")


def knn(est, namer: Namer) -> Head:
    source = type(est).__name__
    x = np.asarray(est._fit_X, np.float64)
    n, f = x.shape
    k = int(est.n_neighbors)
    if n > KNN_MAX_ROWS:
        raise ModelTooLargeError(
            f"{source}: the training set is stored in flash and has {n} rows ({n * f * 4} B); the "
            f"limit is {KNN_MAX_ROWS} rows: subsample it or use a forest")
    if k > KNN_MAX_K or k > n:
        raise UnsupportedOpError(f"{source}(n_neighbors={k}): use 1..{min(KNN_MAX_K, n)}")
    if est.weights not in ("uniform", "distance"):
        raise UnsupportedOpError(f"{source}(weights={est.weights!r}): use 'uniform' or 'distance'")
    p_norm = _minkowski_p(est)
    p = namer.next()
    by_dist = "true" if est.weights == "distance" else "false"
    members = [Member(f"{p}_dist_", DType.F32, k, "k nearest distances"),
               Member(f"{p}_index_", U16, k, "k nearest rows")]
    search = Step("knn_search", source, 0,
                  f"miniml::knn_search_f32({{x}}, Weights::{p}_train, {n}, {f}, {k}, {p_norm}, "
                  f"{p}_dist_, {p}_index_);", "classic_neighbors.h",
                  [rom_f32(f"{p}_train", x, f"{source} training set")], n * f, members=members)
    is_clf = hasattr(est, "classes_")
    if is_clf:
        if np.ndim(est._y) != 1:
            raise UnsupportedOpError(f"{source} with several outputs: single-output classifiers only")
        c = len(est.classes_)
        rom = [rom_uint(f"{p}_label", est._y, f"{source} training labels")]
        call = (f"{search.call}\n    miniml::knn_classify_f32({p}_dist_, {p}_index_, {k}, "
                f"Weights::{p}_label, {c}, {by_dist}, {p_norm}, {{y}});")
        width, ref = c, est.predict_proba
    else:
        y = np.asarray(est._y, np.float64).reshape(n, -1)
        rom = [rom_f32(f"{p}_target", y, f"{source} training targets")]
        call = (f"{search.call}\n    miniml::knn_regress_f32({p}_dist_, {p}_index_, {k}, "
                f"Weights::{p}_target, {y.shape[1]}, {by_dist}, {p_norm}, {{y}});")
        width, ref = y.shape[1], (lambda a: est.predict(a).reshape(len(a), -1))
    step = Step("knn", source, width, call, "classic_neighbors.h", search.rom + rom,
                n * f + k * width, members=members)
    if not is_clf:
        return Head([step], ref)
    return Head([step], ref, classes=est.classes_, class_steps=[step],
                class_rule=f"miniml::argmax_f32({{y}}, {width})", predict_class=est.predict)


def _centroid_step(est, scaled: bool, namer: Namer) -> Step:
    source = "NearestCentroid"
    p = namer.next()
    c, f = est.centroids_.shape
    p_norm = {"euclidean": 2, "manhattan": 1}.get(est.metric)
    if p_norm is None:
        raise UnsupportedOpError(f"NearestCentroid(metric={est.metric!r}): use 'euclidean' or 'manhattan'")
    rom = [rom_f32(f"{p}_centroid", est.centroids_, "NearestCentroid centroids_")]
    inv, bias = "nullptr", "nullptr"
    if scaled:
        std = np.asarray(est.within_class_std_dev_, np.float64)
        rom += [rom_f32(f"{p}_inv_scale", np.where(std != 0, 1.0 / np.where(std != 0, std, 1.0), 1.0),
                        "NearestCentroid 1 / within_class_std_dev_"),
                rom_f32(f"{p}_bias", 2.0 * np.log(est.class_prior_), "NearestCentroid 2 log prior")]
        inv, bias = f"Weights::{p}_inv_scale", f"Weights::{p}_bias"
    call = (f"miniml::centroid_scores_f32({{x}}, Weights::{p}_centroid, {inv}, {bias}, {c}, {f}, "
            f"{p_norm}, {{y}});")
    return Step("centroid_scores", source, c, call, "classic_neighbors.h", rom, 2 * c * f)


def nearest_centroid(est, namer: Namer) -> Head:
    """predict_proba = softmax of the discriminant scores; predict = nearest (unscaled) centroid when
    the priors are equal, else the best score (as scikit-learn decides)."""
    scores = _centroid_step(est, True, namer)
    c = scores.width
    uniform = bool(np.isclose(est.class_prior_, 1 / c).all())
    class_steps = [_centroid_step(est, False, namer)] if uniform else [scores]
    return Head([scores, proba_from_raw(c, "NearestCentroid")], est.predict_proba, classes=est.classes_,
                class_steps=class_steps, class_rule=f"miniml::argmax_f32({{y}}, {c})",
                predict_class=est.predict)


def gaussian_nb(est, namer: Namer) -> Head:
    p = namer.next()
    c, f = est.theta_.shape
    var = np.asarray(est.var_, np.float64)
    bias = np.log(est.class_prior_) - 0.5 * np.sum(np.log(2.0 * np.pi * var), axis=1)
    rom = [rom_f32(f"{p}_theta", est.theta_, "GaussianNB theta_"),
           rom_f32(f"{p}_inv_var", 1.0 / var, "GaussianNB 1 / var_"),
           rom_f32(f"{p}_bias", bias, "GaussianNB log prior - 0.5 sum log(2 pi var)")]
    jll = Step("gaussian_nb", "GaussianNB", c,
               f"miniml::gaussian_nb_f32({{x}}, Weights::{p}_theta, Weights::{p}_inv_var, "
               f"Weights::{p}_bias, {c}, {f}, {{y}});", "classic_neighbors.h", rom, 3 * c * f)
    return Head([jll, proba_from_raw(c, "GaussianNB")], est.predict_proba, classes=est.classes_,
                class_steps=[jll], class_rule=f"miniml::argmax_f32({{y}}, {c})", predict_class=est.predict)


CONVERTERS = {
    "KNeighborsClassifier": knn,
    "KNeighborsRegressor": knn,
    "NearestCentroid": nearest_centroid,
    "GaussianNB": gaussian_nb,
}
