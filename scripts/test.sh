#!/usr/bin/env bash
# Installs everything (scripts/install.sh) and runs the whole test suite. CI calls this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KIVY_NO_ARGS=1
# --durations: the slowest tests are named at the end, so a CI run that grows shows where
exec .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"
