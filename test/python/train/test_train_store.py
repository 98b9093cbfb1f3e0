"""The two-slot CRC store: torn saves at every byte, corrupted bytes, empty and foreign stores, and
the
sequence-number wrap (store_torn.cpp asserts each case; here we check it ran them all)."""

import pathlib
import re
import zlib

import pytest
from train_build import CPP


def test_store_torn_corrupt_empty(host):
    out = host.run("store_torn.cpp").stdout
    payload = 7 * 4
    torn = int(re.search(r"torn (\d+)", out).group(1))  # k = 0..3 prior saves, cut = 0..full+1
    assert torn >= 4 * (payload // 2 + 2), out  # each save wrote at least half its payload bytes
    corrupt = 20 + payload
    expected = 2 + torn + corrupt + 2
    assert f"cases {expected} failures 0" in out, out


def test_store_crc_matches_zlib(host):
    data = bytes(range(256)) * 3
    header = (
        "static const unsigned char kData[] = {" + ", ".join(map(str, data)) + "};\n"
        f"static const unsigned kLen = {len(data)};\n"
    )
    out = host.run("crc_print.cpp", header).stdout.split()
    assert [int(v, 16) for v in out] == [zlib.crc32(data[:n]) for n in (0, 1, 100, len(data))]


def test_refuse_non_finite(host):
    """NaN/Inf input, target, loss and weight gradient: refused, weights bit-for-bit untouched; Adam's
    finite check exact on both sides of its cheap bound; the bound-first step checks answer as the
    per-value ones do; linear_weight_sgd_f32 (zero inputs skipped) equals the plain step bit for bit."""
    out = host.run("finite.cpp").stdout
    assert "checks 23 failures 0" in out, out


@pytest.mark.parametrize("core", ["avr", "esp32"])
def test_eeprom_store_adapter(host, core):
    """The Arduino EEPROM adapter over a stand-in EEPROM: round trip, and torn saves at every byte
    (update() on AVR cores skips unchanged cells, so fewer writes land than bytes are saved)."""
    out = host.run(
        "eeprom_store.cpp",
        defines={"avr": ["ARDUINO=10819"], "esp32": ["ARDUINO", "ESP32"]}[core],
        include=[CPP / "fake_arduino"],
    )
    writes = int(re.search(r"writes (\d+)", out.stdout).group(1))
    assert 20 <= writes <= 20 + 24, (
        out.stdout
    )  # a 20-byte payload, plus at most the 24 header bytes
    assert f"cases {writes + 2} failures 0" in out.stdout, out.stdout


def _ring(host, payload: int, region: int, saves: int) -> tuple[int, int, str]:
    out = host.run("store_ring.cpp", args=[str(payload), str(region), str(saves)]).stdout
    m = re.search(r"slots (\d+) saves \d+ max_cell_writes (\d+)", out)
    assert m and "failures 0" in out, out
    return int(m.group(1)), int(m.group(2)), out


def test_store_ring_torn_at_every_byte(host):
    """A 5-slot ring wrapped twice and more, each save cut after every byte it writes: load gives the
    previous or the new save; bytes past the region are never written."""
    out = _ring(host, 28, 1024, 10)[2]
    cases = int(re.search(r"cases (\d+)", out).group(1))
    assert cases > 13 * 28, out  # every save wrote at least its payload bytes


ENDURANCE = 100_000  # writes per ATmega328P EEPROM cell (datasheet)
LEARNING_MD = pathlib.Path(__file__).resolve().parents[3] / "docs" / "learning.md"


def _wear_rows():
    text = LEARNING_MD.read_text()
    table = text[text.index("<!-- wear-table") :].split("\n\n")[0]
    rows = re.findall(r"^\| (\d+) B[^|]*\| (\d+) B[^|]*\| (\d+) \| ([\d,]+) \| ([^|]+) \| ([^|]+) \|$", table, re.M)
    assert len(rows) >= 3, table
    return rows


def _life(saves: int, minutes_per_save: int) -> str:
    days = saves * minutes_per_save / (60 * 24)
    if days < 365.25:
        return "%d days" % round(days)
    years = days / 365.25
    return "%.1f years" % years if years < 100 else "%d years" % round(years)


@pytest.mark.parametrize("row", _wear_rows(), ids=lambda r: "%sB_in_%sB" % r[:2])
def test_store_wear_per_cell(host, row):
    """docs/learning.md's expected life, recomputed from the writes that reach each cell: every payload byte
    changes at every save (the worst case), 40 visits of every slot; no cell is written more than once per
    visit (+1 for the first write of an erased cell), so N slots last N times as many saves as one."""
    payload, region, slots, saves_doc = int(row[0]), int(row[1]), int(row[2]), int(row[3].replace(",", ""))
    saves = 40 * slots
    got_slots, max_writes, _ = _ring(host, payload, region, saves)
    assert got_slots == slots == region // (20 + payload)
    assert saves // slots <= max_writes <= saves // slots + 1
    measured_life = ENDURANCE * saves / max_writes  # saves until the most written cell reaches its endurance
    assert abs(measured_life - saves_doc) <= 0.03 * saves_doc, (measured_life, saves_doc)
    assert (row[4].strip(), row[5].strip()) == (_life(saves_doc, 1), _life(saves_doc, 60))
