#!/usr/bin/env bash
# Installs everything (scripts/install.sh) and runs the whole test suite. CI calls this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KIVY_NO_ARGS=1
# Two pytest-xdist workers (one on a 1-core machine; HALLQ_TEST_WORKERS to choose): much of a test
# waits on a browser, a server or a device, so two cores run the suite in about 60% of the time.
# --dist loadfile keeps a file's tests on one worker. Tests marked `alone` measure a timing goal
# (a call through nginx within 100 ms, answers within 1 s under hostile load): they run after the
# rest, one at a time, with nothing beside them.
# --durations: the slowest tests are named at the end, so a CI run that grows shows where.
workers=${HALLQ_TEST_WORKERS:-$(nproc)}
if [ "$workers" -gt 2 ] && [ -z "${HALLQ_TEST_WORKERS:-}" ]; then workers=2; fi
pytest=(.venv/bin/python -m pytest -q -p no:cacheprovider --durations=15)
if [ "$workers" -le 1 ]; then
  exec "${pytest[@]}" "$@"
fi
for arg in "$@"; do  # the caller chose the tests by mark: one pass, on the workers
  case "$arg" in -m|-m*) exec "${pytest[@]}" -n "$workers" --dist loadfile "$@" ;; esac
done
rest=0
"${pytest[@]}" -n "$workers" --dist loadfile -m "not alone" "$@" || rest=$?
alone=0
"${pytest[@]}" -m alone "$@" || alone=$?
# pytest's 5 is "no test selected": fine for one pass (a file of one kind), not for both
if [ "$rest" -eq 5 ] && [ "$alone" -eq 5 ]; then exit 5; fi
if [ "$rest" -ne 0 ] && [ "$rest" -ne 5 ]; then exit "$rest"; fi
if [ "$alone" -ne 0 ] && [ "$alone" -ne 5 ]; then exit "$alone"; fi
exit 0
