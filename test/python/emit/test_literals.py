"""Float literals round-trip exactly ("%.9g" + f), NaN/Inf are refused; C++ names are safe."""
import numpy as np
import pytest

from miniml.emit import check_model_name, float_literal, sanitize
from miniml.errors import ExportValueError, OptionError


def _parse(lit: str) -> np.float32:
    assert lit.endswith("f")
    return np.float32(float(lit[:-1]))


def test_float_literal_random_bit_patterns_round_trip():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32)
    vals = bits.view(np.float32)
    vals = vals[np.isfinite(vals)]
    for v in vals:
        assert _parse(float_literal(v)).tobytes() == v.tobytes()


@pytest.mark.parametrize("v", [0.0, -0.0, 1.0, -2.0, 0.1, 1e-45, 1.17549435e-38, 3.40282347e38,
                               -3.40282347e38, 16777217.0, 1e-5])
def test_float_literal_special_values(v):
    lit = float_literal(v)
    assert _parse(lit).tobytes() == np.float32(v).tobytes()
    body = lit[:-1]
    assert "." in body or "e" in body, lit  # "1f" would not be a float literal in C++


def test_float_literal_nine_digits():
    assert float_literal(0.1) == "0.100000001f"
    assert float_literal(1.0) == "1.0f"


@pytest.mark.parametrize("v", [float("nan"), float("inf"), -float("inf")])
def test_float_literal_refuses_non_finite(v):
    with pytest.raises(ExportValueError, match="NaN/Inf"):
        float_literal(v)


def test_sanitize_keywords_and_digits_unique():
    taken = set()
    assert sanitize("class", taken) == "p_class"
    assert sanitize("arena", taken) == "p_arena"
    assert sanitize("features.0.weight", taken) == "features_0_weight"
    assert sanitize("features_0.weight", taken) == "features_0_weight_2"
    assert sanitize("0.weight", taken) == "t0_weight"
    assert sanitize("new", taken) == "p_new"


@pytest.mark.parametrize("name", ["sensor_net", "Net2", "kws"])
def test_model_name_accepted(name):
    assert check_model_name(name) == name


@pytest.mark.parametrize("name", ["int", "class", "namespace", "1net", "net-1", "std", "miniml",
                                  "x__y", "_net"])
def test_model_name_refused(name):
    with pytest.raises(OptionError):
        check_model_name(name)
