"""Op lowerings and kernel emitters, one file per op; importing this package imports them all."""
from __future__ import annotations

import importlib
import pkgutil

from .registry import ACTIVATIONS, KERNELS, LOWERINGS, supported_targets

_loaded = False


def load_all() -> None:
    """Imports every op module once (each registers itself with decorators)."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "registry":
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


load_all()

__all__ = ["ACTIVATIONS", "KERNELS", "LOWERINGS", "load_all", "supported_targets"]
