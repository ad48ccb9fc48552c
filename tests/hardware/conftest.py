"""Fixtures for the hardware tests: real OS channels (socat pty pairs, TCP sockets)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


class PtyPair:
    """A socat pair of connected pseudo terminals at stable symlink paths a and b."""

    def __init__(self, directory: Path, name: str = "pty") -> None:
        self.socat = require_binary("socat")
        self.a = str(directory / f"{name}-a")
        self.b = str(directory / f"{name}-b")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PtyPair":
        self.proc = subprocess.Popen(
            [self.socat, "-d", "-d", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 5
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"socat exited: {self.proc.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError("socat did not create the pty links in 5 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        deadline = time.monotonic() + 3
        while (os.path.lexists(self.a) or os.path.lexists(self.b)) and time.monotonic() < deadline:
            time.sleep(0.01)


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
