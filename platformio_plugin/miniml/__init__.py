"""MiniML: PyTorch models to header-only C++ for microcontrollers."""
