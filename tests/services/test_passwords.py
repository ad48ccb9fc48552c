"""Staff passwords are kept as argon2 hashes with the library's recommended cost (tests elsewhere
use a cheap hasher to stay fast; this one keeps the real one)."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.mark.real_hashes
def test_passwords_are_hashed_with_argon2s_recommended_cost():
    from server.services import auth
    default = PasswordHasher()
    assert (auth._hasher.time_cost, auth._hasher.memory_cost, auth._hasher.parallelism) == (
        default.time_cost, default.memory_cost, default.parallelism)
    digest = auth._hasher.hash("Wangfang-2026")
    assert digest.startswith("$argon2id$") and auth._hasher.verify(digest, "Wangfang-2026")
