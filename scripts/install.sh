#!/usr/bin/env bash
# Installs everything hallq needs on a fresh Debian/Ubuntu machine: Debian packages (as root) and a
# Python virtualenv in .venv with the project and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
PKGS="python3 python3-venv python3-pip libzbar0 libusb-1.0-0 espeak-ng fonts-wqy-microhei libgl1-mesa-dri
      libegl-mesa0 libegl1 libgl1 libmtdev1 xvfb socat sox chromium chromium-driver postgresql
      nginx systemd"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "hallq: installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "hallq: installed into $(pwd)/.venv"
