"""Power cuts on the real Arduino EEPROM library (powercut_run.py, powercut.c): a sampled subset of
the cut points here; `make powercut` (part of `make bench`) tries all of them.
"""

from __future__ import annotations

import powercut_run

STRIDE = 29  # about 80 of the ~2,300 cut points


def test_sampled_power_cuts_lose_nothing() -> None:
    summary, out = powercut_run.run("sim_uno", stride=STRIDE, offset=11)
    assert summary["saves"] >= 22, out  # the 11-slot ring of the 1 KB EEPROM wraps twice
    assert summary["writes"] > summary["saves"] * 40, out
    assert summary["tried"] >= summary["cut_points"] // STRIDE, out
    assert summary["losses"] == 0, out


def test_harness_sees_losses_of_an_in_place_save() -> None:
    """The same cuts on a save written in place (no slots): the harness must report losses."""
    summary, out = powercut_run.run("naive", stride=STRIDE, offset=11)
    assert summary["tried"] > 20, out
    assert summary["losses"] > 0, out
