"""int8 quantisation: parameter choice, TFLite fixed-point math and numpy int8 reference kernels."""
