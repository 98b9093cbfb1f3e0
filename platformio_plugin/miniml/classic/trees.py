"""Decision trees, forests, gradient boosting (GradientBoosting*, HistGradientBoosting*) and IsolationForest
as one ensemble kernel (classic_tree.h) plus output steps.

Trees are renumbered in preorder and concatenated; a threshold is scikit-learn's float64 threshold rounded
down to float32, so `x <= t` decides every float32 input as scikit-learn does (trees compare float32 X with
float64 thresholds; HistGradientBoosting float64 X, which a float32 input is exactly). Each ensemble is laid
out as node arrays or as if/else code, whichever is estimated smaller (the report says which). NaN inputs
are not supported (they go right).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from ..emit.header import RomArray
from ..literals import float_literal
from ..errors import UnsupportedOpError
from ..ir import DType
from .model import Head, Namer, Step, rom_f32, rom_uint, smallest_uint
from .outputs import add_offset, classes_rule, divide, inplace, proba_from_raw

# Estimated code bytes of one if/else node and one leaf `return` (a float compare and a branch with the
# threshold as a literal; measured on avr-g++ and arm-none-eabi-g++ -Os, rounded up) and of the array
# traversal loop; node arrays cost their element sizes.
CODE_NODE_BYTES = 16
CODE_LEAF_BYTES = 6
ARRAY_LOOP_BYTES = 80
FORCE_LAYOUT: Optional[str] = None  # tests: "arrays" or "code"


@dataclass
class TreeSpec:
    """One tree: left/right child (-1: leaf), feature, float64 threshold, value [n_nodes, width]."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray


def sklearn_tree(tree, value: np.ndarray, features: Optional[np.ndarray] = None) -> TreeSpec:
    feature = tree.feature.astype(np.int64)
    if features is not None:  # a tree fitted on a column subset (IsolationForest max_features < 1)
        feature = np.where(feature >= 0, np.asarray(features)[np.maximum(feature, 0)], -1)
    return TreeSpec(tree.children_left, tree.children_right, feature, tree.threshold, value)


def threshold_f32(t: np.ndarray) -> np.ndarray:
    """The largest float32 <= t: for float32 x, x <= t (float64) iff x <= threshold_f32(t)."""
    t = np.asarray(t, np.float64)
    f = t.astype(np.float32)
    f = np.where(f.astype(np.float64) > t, np.nextafter(f, np.float32(-np.inf)), f)
    big = np.finfo(np.float32).max
    f = np.clip(f, -big, big).astype(np.float32)  # +-inf splits: every finite x goes one way
    return np.where(f == 0, np.float32(0), f).astype(np.float32)  # never -0.0 (see float_key)


def float_key(t: np.ndarray) -> np.ndarray:
    """classic_tree.h's float_key: int32 keys that order float32 values as floats (-0.0 aside)."""
    bits = np.asarray(t, np.float32).view(np.int32).astype(np.int64)
    return np.where(bits < 0, bits ^ 0x7FFFFFFF, bits)


@dataclass
class Flat:
    feature: np.ndarray  # [n_internal]
    threshold: np.ndarray  # [n_internal] float32
    left: np.ndarray  # [n_internal] refs
    right: np.ndarray
    roots: np.ndarray  # [n_trees] refs
    leaf_value: np.ndarray  # [n_leaves, width]
    depth: List[int]  # per tree, for the operation count

    @property
    def n_internal(self) -> int:
        return len(self.feature)


def flatten(trees: List[TreeSpec]) -> Flat:
    feats, thrs, kids, values, roots, depths = [], [], [], [], [], []
    n_leaf = 0
    for tr in trees:
        order, stack, depth = [], [(0, 0)], 0
        while stack:
            node, d = stack.pop()
            order.append(node)
            depth = max(depth, d)
            if tr.left[node] != -1:
                stack += [(tr.right[node], d + 1), (tr.left[node], d + 1)]
        ref = {}
        for node in order:
            if tr.left[node] == -1:
                ref[node] = ("leaf", n_leaf)
                values.append(tr.value[node])
                n_leaf += 1
            else:
                ref[node] = ("node", len(feats))
                feats.append(int(tr.feature[node]))
                thrs.append(float(tr.threshold[node]))
                kids.append((tr.left[node], tr.right[node], ref))
        roots.append(ref[0])
        depths.append(depth)
    n_int = len(feats)

    def num(r: Tuple[str, int]) -> int:
        return r[1] + (n_int if r[0] == "leaf" else 0)

    return Flat(
        feature=np.asarray(feats, np.int64),
        threshold=threshold_f32(np.asarray(thrs, np.float64)),
        left=np.asarray([num(m[lf]) for lf, _, m in kids], np.int64),
        right=np.asarray([num(m[rt]) for _, rt, m in kids], np.int64),
        roots=np.asarray([num(r) for r in roots], np.int64),
        leaf_value=np.asarray(values, np.float64),
        depth=depths,
    )


def _code_tree(flat: Flat, root: int, indent: str) -> List[str]:
    """If/else code of one tree (iterative, so deep trees do not exhaust Python's stack)."""
    n_int, lines, stack = flat.n_internal, [], [("node", root, indent)]
    while stack:
        kind, ref, ind = stack.pop()
        if kind == "text":
            lines.append(ref)
        elif ref >= n_int:
            lines.append(f"{ind}return {ref - n_int};")
        else:
            t = float_literal(flat.threshold[ref], "a tree threshold")
            lines.append(f"{ind}if (input[{flat.feature[ref]}] <= {t}) {{")
            stack += [("text", f"{ind}}}", ""), ("node", int(flat.right[ref]), ind + "  "),
                      ("text", f"{ind}}} else {{", ""), ("node", int(flat.left[ref]), ind + "  ")]
    return lines


def _layout(flat: Flat, ref_size: int, feat_size: int) -> str:
    if FORCE_LAYOUT:
        return FORCE_LAYOUT if flat.n_internal else "code"
    n_leaves = len(flat.leaf_value)
    arrays = flat.n_internal * (feat_size + 4 + 2 * ref_size) + len(flat.roots) * ref_size
    code = flat.n_internal * CODE_NODE_BYTES + n_leaves * CODE_LEAF_BYTES
    return "code" if flat.n_internal == 0 or code < arrays + ARRAY_LOOP_BYTES else "arrays"


def ensemble_step(trees: List[TreeSpec], groups: int, source: str, namer: Namer,
                  n_classes: int = 0, counts: bool = False) -> Step:
    """Sum of leaf values (width = value width) into groups rows. Classifiers (n_classes): with every
    leaf pure, a vote per tree (one class index per leaf); with `counts` (leaf values are integer class
    counts), each tree adds count / leaf total, from counts in the smallest unsigned type."""
    p = namer.next()
    flat = flatten(trees)
    width = flat.leaf_value.shape[1]
    refs = flat.n_internal + len(flat.leaf_value)
    ref_t = smallest_uint(refs - 1, f"{source}: node references")
    feat_t = smallest_uint(int(flat.feature.max()) if flat.n_internal else 0, f"{source}: features")
    layout = _layout(flat, ref_t.size, feat_t.size)
    struct = f"{p.upper()}Trees"
    rom = []
    if layout == "arrays":
        rom += [
            rom_uint(f"{p}_feature", flat.feature, f"{source} node features"),
            RomArray(f"{p}_threshold", DType.S32, float_key(flat.threshold),
                     f"{source} thresholds as float_key"),
            rom_uint(f"{p}_left", flat.left, f"{source} left children"),
            rom_uint(f"{p}_right", flat.right, f"{source} right children"),
            rom_uint(f"{p}_roots", flat.roots, f"{source} roots"),
        ]
        for r in rom:
            if r.name.endswith(("left", "right", "roots")):
                r.dtype = ref_t
        body = [
            f"      return miniml::tree_leaf(Weights::{p}_feature, Weights::{p}_threshold, "
            f"Weights::{p}_left, Weights::{p}_right,",
            f"                               static_cast<{ref_t.ctype}>({flat.n_internal}), "
            f"miniml::rom_read(&Weights::{p}_roots[tree]), input);",
        ]
    else:
        body = ["      switch (tree) {"]
        for t, root in enumerate(flat.roots):
            body.append(f"        case {t}:")
            body += _code_tree(flat, int(root), "          ")
        body += ["        default:", "          return 0;", "      }"]
    unused = "    (void)tree;\n" if layout == "code" and len(flat.roots) == 1 else ""
    methods = [
        f"  // {source}: {len(flat.roots)} trees, {flat.n_internal} splits, {len(flat.leaf_value)} leaves"
        f" as {'node arrays' if layout == 'arrays' else 'if/else code'}.\n"
        f"  struct {struct} {{\n    static {ref_t.ctype} leaf(miniml::index_t tree, const float* input) {{\n"
        + unused + "\n".join(body) + "\n    }\n  };"
    ]
    values = flat.leaf_value
    pure = n_classes and width == n_classes and np.all(np.count_nonzero(values, axis=1) == 1)
    if pure:
        rom.append(rom_uint(f"{p}_leaf_class", values.argmax(axis=1), f"{source} leaf classes"))
        call = (f"miniml::tree_votes_f32<{struct}>({{x}}, Weights::{p}_leaf_class, "
                f"{len(flat.roots)}, {n_classes}, {{y}});")
    elif counts:
        rom.append(rom_uint(f"{p}_leaf_count", values, f"{source} leaf class counts"))
        call = (f"miniml::tree_counts_f32<{struct}>({{x}}, Weights::{p}_leaf_count, "
                f"{len(flat.roots)}, {n_classes}, {{y}});")
    else:
        rom.append(rom_f32(f"{p}_leaf_value", values, f"{source} leaf values"))
        call = (f"miniml::tree_sum_f32<{struct}>({{x}}, Weights::{p}_leaf_value, {len(flat.roots)}, "
                f"{groups}, {width}, {{y}});")
    return Step(
        op="tree_votes" if pure else "tree_counts" if counts else "tree_sum", source=source, width=groups * width, call=call,
        header="classic_tree.h", rom=rom, ops=sum(flat.depth) + len(flat.roots) * width,
        methods=methods, layout="node arrays" if layout == "arrays" else "if/else code",
    )


def _one_output(est, what: str) -> None:
    if getattr(est, "n_outputs_", 1) != 1:
        raise UnsupportedOpError(f"{type(est).__name__} with {est.n_outputs_} outputs: {what} "
                                 "export single-output classifiers only")


def _class_counts(tree, value: np.ndarray) -> Optional[np.ndarray]:
    """Integer class counts whose fractions are exactly scikit-learn's leaf values (unweighted or
    bootstrap-weighted fits), or None (e.g. class_weight): 1-2 bytes per class instead of 4."""
    c = np.rint(value * tree.weighted_n_node_samples[:, None])
    total = c.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.all(total > 0) and np.array_equal(c / total, value) and c.max() < 65536
    return c if ok else None


def forest(est, namer: Namer) -> Head:
    """DecisionTree*/ExtraTree*/RandomForest*/ExtraTrees* classifiers and regressors."""
    source = type(est).__name__
    members = getattr(est, "estimators_", [est])
    is_clf = hasattr(est, "classes_")
    counts = False
    if is_clf:
        _one_output(est, "tree classifiers")
        k = len(est.classes_)
        values = [e.tree_.value[:, 0, :k] for e in members]
        whole = [_class_counts(e.tree_, v) for e, v in zip(members, values)]
        counts = all(c is not None for c in whole)
        trees = [sklearn_tree(e.tree_, c if counts else v) for e, c, v in zip(members, whole, values)]
    else:
        trees = [sklearn_tree(e.tree_, e.tree_.value[:, :, 0]) for e in members]
    tree_step = ensemble_step(trees, 1, source, namer, n_classes=k if is_clf else 0, counts=counts)
    steps = [tree_step] + ([divide(len(members), tree_step.width, source)] if len(members) > 1 else [])
    if not is_clf:
        return Head(steps, lambda x: est.predict(x).reshape(len(x), -1))
    return Head(
        steps, est.predict_proba, classes=est.classes_, class_steps=[tree_step],
        class_rule=f"miniml::argmax_f32({{y}}, {k})", predict_class=lambda x: est.predict(x),
    )


def gradient_boosting(est, namer: Namer) -> Head:
    source = type(est).__name__
    if est.init not in (None, "zero"):
        raise UnsupportedOpError(f"{source}(init={type(est.init).__name__}): export models with the "
                                 "default init (a constant) only")
    is_clf = hasattr(est, "classes_")
    if is_clf and est.loss != "log_loss":
        raise UnsupportedOpError(f"{source}(loss={est.loss!r}): only loss='log_loss' is supported")
    k = est.estimators_.shape[1]
    lr = est.learning_rate
    trees = [sklearn_tree(e.tree_, e.tree_.value[:, 0, :1] * lr) for e in est.estimators_.reshape(-1)]
    x0 = np.zeros((1, est.n_features_in_))
    init = est._raw_predict_init(x0).reshape(-1)
    raw = [ensemble_step(trees, k, source, namer), add_offset(init, source, namer)]
    if not is_clf:
        return Head(raw, lambda x: est.predict(x).reshape(len(x), -1))
    return Head(
        raw + [proba_from_raw(k, source)], est.predict_proba, classes=est.classes_, class_steps=raw,
        class_rule=classes_rule(k, ">= 0.0f"), predict_class=lambda x: est.predict(x),
    )


def _hgb_tree(nodes) -> TreeSpec:
    leaf = nodes["is_leaf"].astype(bool)
    left = np.where(leaf, -1, nodes["left"].astype(np.int64))
    right = np.where(leaf, -1, nodes["right"].astype(np.int64))
    return TreeSpec(left, right, nodes["feature_idx"], nodes["num_threshold"], nodes["value"][:, None])


def hist_gradient_boosting(est, namer: Namer) -> Head:
    source = type(est).__name__
    preds = est._predictors
    if any(p.nodes["is_categorical"].any() for it in preds for p in it):
        raise UnsupportedOpError(f"{source} with categorical features: only numeric splits export")
    k = len(preds[0])
    trees = [_hgb_tree(p.nodes) for it in preds for p in it]
    base = np.asarray(est._baseline_prediction, np.float64).reshape(-1)
    raw = [ensemble_step(trees, k, source, namer), add_offset(base, source, namer)]
    is_clf = hasattr(est, "classes_")
    if not is_clf:
        link = type(est._loss.link).__name__
        if link == "LogLink":
            raw.append(inplace("exp", source, k, f"miniml::exp_inplace_f32({{y}}, {k});"))
        elif link != "IdentityLink":
            raise UnsupportedOpError(f"{source}(loss={est.loss!r}): its {link} is not supported")
        return Head(raw, lambda x: est.predict(x).reshape(len(x), -1))
    return Head(
        raw + [proba_from_raw(k, source)], est.predict_proba, classes=est.classes_, class_steps=raw,
        class_rule=classes_rule(k), predict_class=lambda x: est.predict(x),
    )


def isolation_forest(est, namer: Namer) -> Head:
    """decision_function: -2^(-mean path length / c(max_samples)) - offset_ (path length of a leaf =
    its depth + c(its training samples) - 1, scikit-learn's per-node tables)."""
    from sklearn.ensemble._iforest import _average_path_length

    source = type(est).__name__
    subsample = est._max_features != est.n_features_in_
    trees = []
    for i, e in enumerate(est.estimators_):
        per_node = est._decision_path_lengths[i] + est._average_path_length_per_tree[i] - 1.0
        feats = est.estimators_features_[i] if subsample else None
        trees.append(sklearn_tree(e.tree_, per_node[:, None], feats))
    denominator = len(trees) * float(_average_path_length([est._max_samples])[0])
    if denominator == 0:
        raise UnsupportedOpError(f"{source}(max_samples=1): a forest of one-sample trees scores nothing")
    k = float_literal(np.log(2.0) / denominator, "the isolation score scale")
    off = float_literal(est.offset_, "offset_")
    steps = [
        ensemble_step(trees, 1, source, namer),
        inplace("isolation_score", source, 1, f"miniml::isolation_score_f32({{y}}, {k}, {off});"),
    ]
    return Head(steps, lambda x: est.decision_function(x).reshape(-1, 1))


CONVERTERS = {
    **{n: forest for n in (
        "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor")},
    "GradientBoostingClassifier": gradient_boosting,
    "GradientBoostingRegressor": gradient_boosting,
    "HistGradientBoostingClassifier": hist_gradient_boosting,
    "HistGradientBoostingRegressor": hist_gradient_boosting,
    "IsolationForest": isolation_forest,
}
