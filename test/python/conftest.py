"""pytest setup: makes harness.py (the shared export -> compile -> run -> compare helper) and
scripts/toolchains.py (the compiler command lines) importable,
and under CI turns a skip into a failure: scripts/setup.sh installs every toolchain and simulator, so a
skipped test there means a broken set-up, not a missing optional tool."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# scripts/toolchains.py (the compiler command lines, shared with the scripts); appended, so that
# scripts/bench.py and friends never shadow a test module
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = "skipped under CI (the set-up should provide everything): %s" % (
            report.longrepr,
        )
