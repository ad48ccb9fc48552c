"""The admin page's tests make and sign in many accounts: hash passwords cheaply (the real
parameters take ~0.8 s a hash here and are what `server.services.auth` uses in production)."""
import pytest
from argon2 import PasswordHasher


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    monkeypatch.setattr("server.services.auth._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def hall(api):
    """The default hall with an admin of every hall (`root`, as `server.py user add --role admin`
    makes), a manager, a staff member at window 1, and the kiosk the `api` fixture registered."""
    api.add_staff("root", [], role="admin", name="系统管理员")
    api.add_staff("boss", [], role="manager", name="主任")
    api.add_staff("zhang", [1], name="张明")
    return api
