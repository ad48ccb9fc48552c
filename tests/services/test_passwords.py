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


class _Probe:
    """Wraps the hasher: while a password is hashed or checked, another thread writes to the
    database, and we record whether it could (the writers' lock is not held meanwhile)."""

    def __init__(self, ctx, hasher, on_check=None):
        self.ctx, self.hasher, self.on_check = ctx, hasher, on_check
        self.wrote: list[bool] = []

    def _write_meanwhile(self):
        import threading
        done = threading.Event()

        def write():
            with self.ctx.db.uow() as uow:
                uow.execute(__import__("sqlalchemy").text("SELECT 1"))
                uow.commit()
            done.set()
        threading.Thread(target=write, daemon=True).start()
        self.wrote.append(done.wait(5))

    def verify(self, digest, password):
        self._write_meanwhile()
        if self.on_check:
            self.on_check()
        return self.hasher.verify(digest, password)

    def hash(self, password):
        self._write_meanwhile()
        return self.hasher.hash(password)


def test_a_password_is_checked_and_hashed_outside_the_writers_lock(ctx, monkeypatch):
    """Argon2 takes ~100 ms of CPU: inside the write transaction it held every window's call and
    every kiosk's ticket that long at each sign-in (measured in bench_events.py's trace)."""
    from server.services import admin, auth
    probe = _Probe(ctx, auth._hasher)
    monkeypatch.setattr(auth, "_hasher", probe)
    auth.add_user(ctx, "lihua", "李华", "staff", "Lihua-2026", hall_code="main", windows=[1])
    assert auth.login(ctx, "lihua", "Lihua-2026")["token"].startswith("usr_")
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, "lihua", "wrong-2026x")
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, "nobody", "Lihua-2026")
    mgr = auth.Principal(kind="user", id=0, name="admin", role="admin")
    admin.reset_password(ctx, "main", mgr, "lihua", "Lihua-2027")
    assert probe.wrote == [True] * 5  # add_user, 3 logins (one for an unknown user), reset


def test_an_account_disabled_while_its_password_is_checked_is_not_signed_in(ctx, monkeypatch):
    from sqlalchemy import func, select, update

    from server.services import auth
    from server.store import tables as t
    auth.add_user(ctx, "lihua", "李华", "staff", "Lihua-2026", hall_code="main", windows=[1])

    def disable():
        with ctx.db.uow() as uow:
            uow.execute(update(t.users).where(t.users.c.username == "lihua").values(active=False))
            uow.commit()
    monkeypatch.setattr(auth, "_hasher", _Probe(ctx, auth._hasher, on_check=disable))
    with pytest.raises(auth.Unauthorized) as err:
        auth.login(ctx, "lihua", "Lihua-2026")
    assert err.value.code == "bad_credentials"
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.tokens)).scalar() == 0
