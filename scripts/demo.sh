#!/usr/bin/env bash
# Installs everything (scripts/install.sh) and runs the demo hall: server + kiosk + display + caller.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python server.py demo "$@"
