"""var/ holds the database, the secret key, backups, staff photos and logs: only the account the
server runs as may read them (var/ 0700, folders in it 0700, files 0600).

Three layers, so no path is missed: `server.py` sets the umask to 077 (everything the process and
SQLite create is private from the start), the files hallq writes itself are chmod-ed when written
(code that runs without `server.py`, such as tests and tools), and at start-up `tighten` fixes what
an older version or another tool left readable. POSIX only: on Windows the folder's ACL decides.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("hallq.files")

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"


def private_umask() -> None:
    """New files 0600 and folders 0700 for this process and its children."""
    if POSIX:
        os.umask(0o077)


def private_dir(path: Path | str) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    path = Path(path)
    _chmod(path, FILE_MODE)
    return path


def _chmod(path: Path, mode: int) -> bool:
    if not POSIX:
        return False
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if (st.st_mode & 0o777) == mode or path.is_symlink():
        return False
    try:
        os.chmod(path, mode)
    except OSError as exc:  # not ours (a mounted backup disk): say so, go on
        log.warning("cannot make %s private: %s", path, exc)
        return False
    return True


def tighten(var_dir: Path | str) -> int:
    """var/ 0700 and everything under it 0700 (folders) / 0600 (files). Returns how many changed."""
    var_dir = Path(var_dir)
    if not POSIX or not var_dir.is_dir():
        return 0
    changed = int(_chmod(var_dir, DIR_MODE))
    for root, dirs, files in os.walk(var_dir):
        for name in dirs:
            changed += _chmod(Path(root) / name, DIR_MODE)
        for name in files:
            changed += _chmod(Path(root) / name, FILE_MODE)
    if changed:
        log.info("made %d files and folders under %s private (0600/0700)", changed, var_dir)
    return changed
