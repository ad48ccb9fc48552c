"""Fixtures for the hardware tests: real OS channels (socat pty pairs, TCP sockets)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import PtyPair  # noqa: E402  (one pty pair for every test)

# The project is not pip-installed in the venv; make `import hardware` work from any cwd.
# (setup.cfg's [tool:pytest] could say `pythonpath = .` instead.)
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str) -> str:
    """Path of a system binary; skip locally without it, fail loudly under CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path



@pytest.fixture
def pty_pair(tmp_path):
    pair = PtyPair(tmp_path).start()
    yield pair
    pair.stop()


@pytest.fixture
def pty_factory(tmp_path):
    """Make (not start) pty pairs; all are stopped at teardown."""
    made: list[PtyPair] = []

    def make(name: str = "pty") -> PtyPair:
        pair = PtyPair(tmp_path, name)
        made.append(pair)
        return pair

    yield make
    for pair in made:
        pair.stop()


@pytest.fixture(scope="session")
def sox() -> str:
    return require_binary("sox")


@pytest.fixture(scope="session")
def espeak() -> str:
    return require_binary("espeak-ng")
