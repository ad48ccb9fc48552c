#!/usr/bin/env bash
# Installs everything (scripts/install.sh) and runs the whole test suite. CI calls this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KIVY_NO_ARGS=1
# Two pytest-xdist workers (one on a 1-core machine; HALLQ_TEST_WORKERS to choose): much of a test
# waits on a browser, a server or a device, so two cores run the suite in about 60% of the time.
# --dist loadfile keeps a file's tests on one worker (its fixtures and timings as when run alone).
workers=${HALLQ_TEST_WORKERS:-$(nproc)}
if [ "$workers" -gt 2 ] && [ -z "${HALLQ_TEST_WORKERS:-}" ]; then workers=2; fi
dist=()
if [ "$workers" -gt 1 ]; then dist=(-n "$workers" --dist loadfile); fi
# --durations: the slowest tests are named at the end, so a CI run that grows shows where
exec .venv/bin/python -m pytest -q -p no:cacheprovider "${dist[@]}" --durations=15 "$@"
