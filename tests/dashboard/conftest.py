"""Dashboard tests create several accounts per test: hash their passwords cheaply (the real
parameters take ~0.8 s a hash on these machines and are tested by the auth suite)."""
import pytest
from argon2 import PasswordHasher


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    monkeypatch.setattr("server.services.auth._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
