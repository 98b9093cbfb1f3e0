"""Windows of a sample stream, as include/miniml/window.h makes them on the board: window k holds
samples [k * hop, k * hop + length), time-major ([length][channels], the stream's own order); the
first is complete after `length` samples, then one more every `hop` samples."""
from __future__ import annotations

import numpy as np


def windows(samples: np.ndarray, length: int, hop: int) -> np.ndarray:
    """[n, channels] samples -> [k, length, channels] windows (k = 0 when n < length)."""
    starts = range(0, samples.shape[0] - length + 1, hop)
    if not starts:
        return np.zeros((0, length, samples.shape[1]), samples.dtype)
    return np.stack([samples[s:s + length] for s in starts])
