"""Pipeline preprocessing: scalers, PCA, Normalizer, PolynomialFeatures(degree=2), feature selection.
Each converter takes (transformer, n_in, namer) and returns the Step that maps n_in floats to its output."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedOpError
from .linear import linear_step
from .model import Namer, Step, rom_f32, rom_uint


def _standardize(center, scale, n: int, source: str, namer: Namer) -> Step:
    p = namer.next()
    rom = [rom_f32(f"{p}_scale", np.ones(n) if scale is None else scale, f"{source} scale_")]
    c = "nullptr"
    if center is not None:
        rom.append(rom_f32(f"{p}_center", center, f"{source} center"))
        c = f"Weights::{p}_center"
    return Step("standardize", source, n,
                f"miniml::standardize_f32({{x}}, {c}, Weights::{p}_scale, {{y}}, {n});",
                "classic_preprocess.h", rom, 2 * n)


def standard_scaler(t, n: int, namer: Namer) -> Step:
    return _standardize(t.mean_ if t.with_mean else None, t.scale_, n, "StandardScaler", namer)


def robust_scaler(t, n: int, namer: Namer) -> Step:
    return _standardize(t.center_, t.scale_, n, "RobustScaler", namer)


def max_abs_scaler(t, n: int, namer: Namer) -> Step:
    return _standardize(None, t.scale_, n, "MaxAbsScaler", namer)


def min_max_scaler(t, n: int, namer: Namer) -> Step:
    if t.clip:
        raise UnsupportedOpError("MinMaxScaler(clip=True) is not supported; use clip=False")
    p = namer.next()
    rom = [rom_f32(f"{p}_scale", t.scale_, "MinMaxScaler scale_"),
           rom_f32(f"{p}_offset", t.min_, "MinMaxScaler min_")]
    return Step("scale_shift", "MinMaxScaler", n,
                f"miniml::scale_shift_f32({{x}}, Weights::{p}_scale, Weights::{p}_offset, {{y}}, {n});",
                "classic_preprocess.h", rom, 2 * n)


def pca(t, n: int, namer: Namer) -> Step:
    """(x - mean_) @ components_.T [/ sqrt(explained_variance_)] folded into one Linear (float64)."""
    w = np.asarray(t.components_, np.float64)
    if t.whiten:
        w = w / np.sqrt(t.explained_variance_)[:, None]
    return linear_step(w, -w @ t.mean_, "PCA", namer, op="pca")


def normalizer(t, n: int, namer: Namer) -> Step:
    kinds = {"l1": "miniml::kNormL1", "l2": "miniml::kNormL2", "max": "miniml::kNormMax"}
    return Step("normalize", "Normalizer", n, f"miniml::normalize_f32({{x}}, {{y}}, {n}, {kinds[t.norm]});",
                "classic_preprocess.h", [], 3 * n)


def polynomial(t, n: int, namer: Namer) -> Step:
    if t.degree != 2 or t.order != "C":
        raise UnsupportedOpError(f"PolynomialFeatures(degree={t.degree!r}): only degree=2 is supported")
    bias, inter = bool(t.include_bias), bool(t.interaction_only)
    return Step("poly2", "PolynomialFeatures", int(t.n_output_features_),
                f"miniml::poly2_f32({{x}}, {{y}}, {n}, {str(bias).lower()}, {str(inter).lower()});",
                "classic_preprocess.h", [], int(t.n_output_features_))


def select(t, n: int, namer: Namer) -> Step:
    p, source = namer.next(), type(t).__name__
    idx = t.get_support(indices=True)
    return Step("gather", source, len(idx),
                f"miniml::gather_f32({{x}}, Weights::{p}_index, {{y}}, {len(idx)});",
                "classic_preprocess.h", [rom_uint(f"{p}_index", idx, f"{source} selected features")],
                len(idx))


CONVERTERS = {
    "StandardScaler": standard_scaler,
    "RobustScaler": robust_scaler,
    "MaxAbsScaler": max_abs_scaler,
    "MinMaxScaler": min_max_scaler,
    "PCA": pca,
    "Normalizer": normalizer,
    "PolynomialFeatures": polynomial,
    "SelectKBest": select,
    "SelectPercentile": select,
    "VarianceThreshold": select,
}
