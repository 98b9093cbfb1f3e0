#!/usr/bin/env bash
# Runs every test: pytest (test/python) and `pio test` on native and the three simulated boards, each under a
# timeout, and ends with the line "N passed, N failed" (pytest and pio test cases together). Exit status 1 if
# anything failed, errored or timed out.
#   bash scripts/test.sh                        everything
#   MINIML_PIO_ENVS="sim_uno" bash scripts/test.sh    fewer boards; MINIML_SKIP_PYTEST=1 to skip pytest
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
py=.venv/bin/python
results=build/test-results
rm -rf "$results"
mkdir -p "$results"
envs=${MINIML_PIO_ENVS:-native sim_uno sim_stm32 sim_esp32c3}

echo "[miniml] building the counters and the test models"
bash scripts/counters/build.sh || echo "counters" >> "$results/setup-failures"
timeout 600 "$py" scripts/make_test_models.py || echo "make_test_models" >> "$results/setup-failures"

# pytest in two processes on the two cores: the slow PlatformIO end-to-end tests (test/python/hook) beside the
# rest. MINIML_PYTEST_SHARDS=1 runs one process.
run_pytest() {  # name, then pytest arguments
  local name=$1
  shift
  timeout 1800 "$py" -m pytest -q -p no:cacheprovider --junitxml="$results/$name.xml" "$@" \
    > "$results/$name.log" 2>&1
  echo "$name exit $?" > "$results/$name.status"
}
if [ -z "${MINIML_SKIP_PYTEST:-}" ]; then
  echo "[miniml] pytest"
  if [ "${MINIML_PYTEST_SHARDS:-2}" = 1 ] || [ ! -d test/python/hook ]; then
    run_pytest pytest-all test/python
  else
    run_pytest pytest-hook test/python/hook &
    hook_job=$!
    run_pytest pytest-rest test/python --ignore=test/python/hook
    wait "$hook_job"
  fi
  cat "$results"/pytest-*.log
fi

# Lint: ruff (pyproject.toml) over the Python, clang-format (.clang-format) over include/ and the committed C++;
# each counts as one test case.
echo "[miniml] ruff check, clang-format check"
lint() {  # name, then the command
  local name=$1
  shift
  if "$@" > "$results/lint-$name.log" 2>&1; then echo "lint-$name ok" > "$results/lint-$name.status"
  else echo "lint-$name failed" > "$results/lint-$name.status"; cat "$results/lint-$name.log"; fi
}
lint ruff .venv/bin/ruff check --no-cache .
mapfile -t cxx_files < <(git ls-files -- include '*.h' '*.hpp' '*.c' '*.cpp' | sort -u)
lint clang-format clang-format --dry-run --Werror "${cxx_files[@]}"

for env in $envs; do
  echo "[miniml] pio test -e $env"
  timeout 900 pio test -e "$env" --without-uploading --json-output-path "$results/pio-$env.json"
  echo "pio $env exit $?" > "$results/pio-$env.status"
done

"$py" - "$results" $envs <<'PY'
"""Counts pytest (JUnit XML) and pio test (JSON) cases; anything missing or errored counts as a failure."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

results, envs = Path(sys.argv[1]), sys.argv[2:]
passed = failed = 0
problems = []
setup = results / "setup-failures"
if setup.is_file():
    for step in setup.read_text().split():
        failed += 1
        problems.append("set-up step failed: " + step)
for status in sorted(results.glob("pytest-*.status")):
    name = status.stem
    xml = results / (name + ".xml")
    bad_here = 0
    if xml.is_file():
        root = ET.parse(xml).getroot()
        for suite in [root] if root.tag == "testsuite" else root.findall("testsuite"):
            n = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            passed += n - bad - int(suite.get("skipped", 0))
            bad_here += bad
    else:
        bad_here = 1
        problems.append("%s: no results (crashed or timed out)" % name)
    text = status.read_text().strip()
    # exit 5 = nothing collected; any other non-zero status without a failed test is still a failure
    if bad_here == 0 and not (text.endswith(" exit 0") or text.endswith(" exit 5")):
        bad_here = 1
        problems.append(text)
    elif bad_here and xml.is_file():
        problems.append("%s: %d failed" % (name, bad_here))
    failed += bad_here
for status in sorted(results.glob("lint-*.status")):
    if status.read_text().strip().endswith(" ok"):
        passed += 1
    else:
        failed += 1
        problems.append(status.read_text().strip() + " (see %s)" % status.with_suffix(".log"))
for env in envs:
    report = results / ("pio-%s.json" % env)
    if not report.is_file():
        failed += 1
        problems.append("pio test -e %s: no results (crashed or timed out)" % env)
        continue
    for suite in json.loads(report.read_text())["test_suites"]:
        cases = suite["test_cases"]
        # PlatformIO adds an ERRORED case named "<env>:<suite>" for a build error, a crash or a non-zero exit
        # status; it counts only when no test case has failed already (a failed case also sets the exit status).
        whole = "%s:%s" % (env, suite["test_name"])
        ok = sum(c["status"] == "PASSED" for c in cases)
        bad = sum(c["status"] in ("FAILED", "ERRORED") and c["name"] != whole for c in cases)
        if bad == 0 and suite["status"] in ("FAILED", "ERRORED"):
            bad = 1
        passed += ok
        failed += bad
        if bad:
            problems.append("pio test -e %s %s: %s" % (env, suite["test_name"], suite["status"]))
for p in problems:
    print("[miniml] FAILED " + p)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
