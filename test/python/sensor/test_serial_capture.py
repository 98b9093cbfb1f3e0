"""`miniml capture` over a pseudo-terminal (serial_pty.py): good and malformed lines, label, columns,
--lines, --seconds, Ctrl-C and SIGTERM keep every row already received, .npy output, a port that
goes away, and each bad option as one `miniml: error:` line."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from serial_pty import FakeBoard, start_capture, wait_rows

from miniml.sensor.lines import parse_row


@pytest.fixture
def board():
    b = FakeBoard()
    yield b
    b.close()


def _finish(proc: subprocess.Popen, timeout: float = 10.0):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_parse_row_separators_and_rejects():
    assert parse_row("1,-2.5, 3e-2\r") == ["1", "-2.5", "3e-2"]
    assert parse_row("1 2\t.5") == ["1", "2", ".5"]
    for bad in ("", "ready", "1,,2", "1,2,", "nan,1", "inf", "1e999", "1_0", "0x10", "1,2 3 ,x"):
        assert parse_row(bad) is None, bad


def test_good_and_malformed_lines_label_and_columns(board, tmp_path):
    out = tmp_path / "idle.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--label", "idle",
                         "--columns", "ax,ay,az", "--lines", "4")
    board.send("3.25,-1,0",  # the first line may be cut off: always skipped
               "MiniML logger v1", "1,2,3", "4 5 6", "7,8", "oops,1,2", "9\t10\t11", "", "1.5e3, -0.5, +2",
               "1,2,3")
    code, summary, err = _finish(proc)
    assert code == 0, err
    assert out.read_text().splitlines() == [
        "ax,ay,az,label", "1,2,3,idle", "4,5,6,idle", "9,10,11,idle", "1.5e3,-0.5,+2,idle"]
    assert summary.strip() == (f"wrote 4 rows of 3 values to {out}; 4 malformed lines skipped, first line "
                               "skipped (may be cut off); stopped by lines")


def test_width_needs_two_agreeing_rows_without_columns(board, tmp_path):
    out = tmp_path / "raw.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--lines", "3")
    # a numeric boot line ("42") must not fix the width at 1
    board.send("x", "42", "1,2", "boot ok", "3,4", "5", "6,7", "8,9")
    code, summary, err = _finish(proc)
    assert code == 0, err
    assert out.read_text().splitlines() == ["1,2", "3,4", "6,7"]  # no header, no label
    assert "wrote 3 rows of 2 values" in summary and "3 malformed lines skipped" in summary


def test_lines_stops_after_n_rows_even_mid_chunk(board, tmp_path):
    out = tmp_path / "n.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--lines", "2", "--columns", "v")
    board.send("x", *[str(i) for i in range(50)])
    code, summary, _ = _finish(proc)
    assert code == 0 and out.read_text().splitlines() == ["v", "0", "1"]
    assert summary.rstrip().endswith("stopped by lines")


def test_seconds_stops_a_quiet_port_and_keeps_rows(board, tmp_path):
    out = tmp_path / "s.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--seconds", "1", "--columns", "a,b")
    start = time.monotonic()  # the clock started just before the 'capturing' line
    board.send("x", "1,2", "3,4")
    code, summary, _ = _finish(proc)
    took = time.monotonic() - start
    assert code == 0 and out.read_text().splitlines() == ["a,b", "1,2", "3,4"]
    assert summary.rstrip().endswith("stopped by seconds") and 0.8 < took < 10, took


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_what_was_written(board, tmp_path, sig):
    out = tmp_path / "ctrl_c.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--label", "shake", "--columns", "x")
    board.send("x", *[str(i) for i in range(20)])
    assert len(wait_rows(out, 21)) == 21  # header + 20 rows, on disk while capture still runs
    proc.send_signal(sig)
    code, summary, err = _finish(proc)
    assert code == 0 and "Traceback" not in err, err
    assert out.read_text().splitlines() == ["x,label"] + [f"{i},shake" for i in range(20)]
    assert "wrote 20 rows" in summary and summary.rstrip().endswith("stopped by interrupt")


def test_npy_loads_while_capturing_and_after(board, tmp_path):
    out = tmp_path / "rows.npy"
    proc = start_capture("--port", board.port, "--out", str(out), "--label", "2", "--columns", "a,b")
    board.send("x", "1,2", "3.5,-4")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not out.exists() or np.load(out).shape[0] < 2):
        time.sleep(0.02)
    np.testing.assert_array_equal(np.load(out), [[1, 2, 2], [3.5, -4, 2]])  # valid mid-capture
    board.send("5,6")
    wait = time.monotonic() + 10
    while np.load(out).shape[0] < 3 and time.monotonic() < wait:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code, _, err = _finish(proc)
    assert code == 0, err
    got = np.load(out)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1, 2, 2], [3.5, -4, 2], [5, 6, 2]])


def test_port_going_away_is_an_error_that_keeps_the_rows(board, tmp_path):
    out = tmp_path / "gone.csv"
    proc = start_capture("--port", board.port, "--out", str(out), "--lines", "100")
    board.send("x", "1,2", "3,4")
    wait_rows(out, 2)
    board.unplug()
    code, summary, err = _finish(proc)
    assert code == 1 and out.read_text().splitlines() == ["1,2", "3,4"]
    assert "stopped by port closed" in summary
    assert err.strip().splitlines()[-1] == (f"miniml: error: serial port {board.port} closed after 2 rows "
                                            f"(device unplugged or reset?); {out} keeps them")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miniml", "capture", *args], capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("case", ["no_port", "missing_port", "bad_out", "exists", "label_comma",
                                  "text_label_npy", "no_folder", "zero_lines"])
def test_reject_capture_options(board, tmp_path, case):
    (tmp_path / "old.csv").write_text("1\n")
    port = ["--port", board.port]
    args, want = {
        "no_port": (["--out", "a.csv"], "capture needs --port (or --list to see the ports)"),
        "missing_port": (["--port", str(tmp_path / "ttyX"), "--out", str(tmp_path / "a.csv")],
                         f"serial port {tmp_path / 'ttyX'}: cannot open it at 115200 baud"),
        "bad_out": (port + ["--out", str(tmp_path / "a.txt")], "name a .csv or a .npy file"),
        "exists": (port + ["--out", str(tmp_path / "old.csv")], "exists: choose another name or pass --overwrite"),
        "label_comma": (port + ["--out", str(tmp_path / "a.csv"), "--label", "a,b"], "--label 'a,b': use a"),
        "text_label_npy": (port + ["--out", str(tmp_path / "a.npy"), "--label", "idle", "--columns", "a"],
                           "--label 'idle': a .npy file holds numbers only"),
        "no_folder": (port + ["--out", str(tmp_path / "no" / "a.csv")], "does not exist"),
        "zero_lines": (port + ["--out", str(tmp_path / "a.csv"), "--lines", "0"], "--lines 0: give a number"),
    }[case]
    res = _cli(*args)
    code, err = res.returncode, res.stderr
    assert code == 1 and "Traceback" not in err, err
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("miniml: error: ") and want in line, err
    assert (tmp_path / "old.csv").read_text() == "1\n"


def test_list_and_exclusive_limits():
    listed = _cli("--list")
    assert listed.returncode == 0 and listed.stdout.strip(), listed.stderr
    both = _cli("--port", "p", "--out", "a.csv", "--lines", "1", "--seconds", "1")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_ctrl_c_while_waiting_for_the_port(tmp_path):
    port = tmp_path / "ttyLATE"
    proc = subprocess.Popen([sys.executable, "-m", "miniml", "capture", "--port", str(port), "--wait", "60",
                             "--out", str(tmp_path / "a.csv")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr.readline() == f"waiting up to 60 s for {port}\n"
    time.sleep(0.2)  # from the line to the wait loop
    proc.send_signal(signal.SIGINT)
    code, _, err = _finish(proc)
    assert code == 1 and err.strip() == f"miniml: error: serial port {port}: interrupted while waiting for it to appear"
    assert not (tmp_path / "a.csv").exists()


def test_capture_as_a_library_call_in_a_thread(board, tmp_path):
    """capture() from a worker thread (no signal handlers there) returns its result like the CLI's."""
    import threading

    from miniml.sensor.capture import capture

    out = tmp_path / "t.csv"
    got, opened = {}, threading.Event()
    worker = threading.Thread(target=lambda: got.update(r=capture(board.port, 115200, str(out), lines=2,
                                                                    columns=["v"], on_open=opened.set)),
                              daemon=True)
    worker.start()
    assert opened.wait(10)
    board.send("x", "1", "2", "3")
    worker.join(10)
    assert got["r"].rows == 2 and got["r"].stopped_by == "lines" and out.read_text() == "v\n1\n2\n"
