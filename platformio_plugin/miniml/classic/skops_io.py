"""Loading .skops files (skops.io) with its trusted-types check; pickle files are refused."""
from __future__ import annotations

import os
from typing import Any

from ..errors import MinimlError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
CONVERT = ("python -c \"import joblib, skops.io; skops.io.dump(joblib.load('{path}'), '{stem}.skops')\"  "
           "(only for a file you trust: loading a pickle runs its code)")


def refuse_pickle(path: str) -> None:
    if path.lower().endswith(PICKLE_SUFFIXES):
        raise MinimlError(
            f"{path}: pickle files are not loaded (a pickle can run any code); save the model with "
            f"skops.io.dump(model, 'model.skops'), or convert this one: "
            + CONVERT.format(path=path, stem=os.path.splitext(path)[0])
        )


def load_skops(path: str) -> Any:
    """The estimator in `path`, if every type in it is one skops trusts by default or one MiniML
    exports (scikit-learn classes named in classic.SUPPORTED); anything else is refused by name."""
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
    allowed = [t for t in untrusted if t.startswith("sklearn.") and t.rsplit(".", 1)[-1] in SUPPORTED]
    rest = sorted(set(untrusted) - set(allowed))
    if rest:
        raise MinimlError(
            f"{path}: refusing types skops does not trust and MiniML does not export: {', '.join(rest)}"
        )
    try:
        return sio.load(path, trusted=allowed)
    except Exception as exc:
        raise MinimlError(f"cannot load {path!r} with skops: {exc}") from exc
