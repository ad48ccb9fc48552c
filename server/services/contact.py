"""A resident's phone number kept for a call back (帮办代办 delivery, 回访), sealed with Fernet
(AES-128-CBC + HMAC, from `cryptography`). The key lives beside the secret key in var/ (0600); lists
show only the masked number, and unsealing is for the member of staff who must make the call."""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "contact.key"


def _key(var_dir: Path) -> bytes:
    env = os.environ.get("HALLQ_CONTACT_KEY")
    if env:
        return env.encode()
    path = Path(var_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    return path.read_bytes().strip()


def seal(var_dir: Path, text: str) -> str:
    return Fernet(_key(var_dir)).encrypt(text.encode()).decode()


def unseal(var_dir: Path, token: str | None) -> str | None:
    """The plain text, or None when there is none or the key no longer opens it (a restored
    database with another hall's key)."""
    if not token:
        return None
    try:
        return Fernet(_key(var_dir)).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
