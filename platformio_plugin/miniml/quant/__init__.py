"""The int8 scheme's mathematics (TFLite's int8 spec, bit-exact with TFLite Micro), nothing
op-specific: fixedpoint.py (multipliers, rounding, requantisation) and params.py (parameter
containers, scales and zero points from ranges, weight/bias quantisation, the calibration range
methods). The op modules (miniml.ops) build their int8 rules and integer references on it; the int8
export stage is miniml.int8."""
