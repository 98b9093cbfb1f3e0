"""Sensor data from a board: `miniml capture` (serial lines -> CSV/.npy rows), `miniml dataset`
(labelled CSV files -> windows in a .npz) and the windowing that include/miniml/window.h repeats on
the board. Needs numpy; capture needs pyserial. No torch."""
