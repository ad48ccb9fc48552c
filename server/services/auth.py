"""Accounts and access: staff/manager/admin users with hashed passwords, devices with tokens.

Bearer tokens are random; only their SHA-256 is stored. User tokens expire (HALLQ_TOKEN_TTL_H,
default 12 h); device tokens last until revoked.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from ..store import tables as t

ROLES = ("staff", "manager", "admin", "agent")  # agent: 帮办员 (帮办代办)
DEVICE_KINDS = ("kiosk", "display", "evaluator", "keypad", "casesys")
_hasher = PasswordHasher()


@dataclass
class Principal:
    """Who is asking: a signed-in user or a registered device."""

    kind: str  # user | device
    id: int
    name: str
    role: str  # staff|manager|admin for users; kiosk|display|evaluator|keypad for devices
    hall_id: int | None = None
    windows: list[int] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    def in_hall(self, hall_id: int) -> bool:
        return self.hall_id is None or self.hall_id == hall_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    """At least 8 characters with letters and digits (staff accounts guard residents' data)."""
    if (not isinstance(password, str) or len(password) < 8 or not re.search(r"[A-Za-z]", password)
            or not re.search(r"\d", password)):
        raise Invalid("密码至少8位,且包含字母和数字 (password: at least 8 characters, letters and "
                      "digits)", code="weak_password")


def add_user(app, username: str, name: str, role: str, password: str, *, hall_code: str | None = None,
             windows: list[int] | None = None, staff_no: str | None = None, duties: str | None = None,
             photo: str | None = None) -> int:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if not re.match(r"^[A-Za-z0-9_.-]{2,64}$", username or ""):
        raise Invalid("username: 2-64 letters, digits, _ . -")
    check_password_strength(password)
    password_hash = _hasher.hash(password)  # before the writers' lock (~100 ms of CPU)
    with app.uow() as uow:
        hall_id = app.hall(uow.conn, hall_code).id if hall_code else None
        if uow.execute(select(t.users.c.id).where(t.users.c.username == username)).first():
            raise Conflict(f"用户已存在 (user exists): {username}", code="user_exists")
        uid = uow.execute(t.users.insert().values(
            username=username, name=name or username, role=role,
            password_hash=password_hash, hall_id=hall_id, windows=list(windows or []),
            staff_no=staff_no, duties=duties, photo=photo, active=True, created_at=app.now(),
        )).inserted_primary_key[0]
        uow.commit()
    return uid


def add_device(app, hall_code: str, name: str, kind: str, windows: list[int] | None = None) -> str:
    """Register a device and return its bearer token (shown once)."""
    if kind not in DEVICE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    token = "dev_" + secrets.token_urlsafe(24)
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        for n in windows or []:
            hall.window_config(n)
        row = uow.execute(select(t.devices).where(t.devices.c.hall_id == hall.id,
                                                  t.devices.c.name == name)).first()
        if row:
            device_id = row.id
            uow.execute(update(t.devices).where(t.devices.c.id == row.id).values(
                kind=kind, windows=list(windows or []), active=True))
        else:
            device_id = uow.execute(t.devices.insert().values(
                hall_id=hall.id, name=name, kind=kind, windows=list(windows or []), active=True,
                created_at=app.now())).inserted_primary_key[0]
        uow.execute(t.tokens.insert().values(token_hash=token_hash(token), device_id=device_id,
                                             created_at=app.now()))
        uow.commit()
    return token


def _bad_credentials() -> Unauthorized:
    """The one answer to a failed sign-in: it never tells whether the user exists, is disabled
    or typed a wrong password."""
    return Unauthorized("用户名或密码错误 (wrong username or password)", code="bad_credentials")


def login(app, username, password) -> dict:
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise Invalid("请输入用户名和密码 (username and password are required)", code="invalid")
    # the password is checked before the writers' lock is taken: hashing takes ~100 ms of CPU,
    # and inside the lock it held every window's call and every kiosk's ticket for that long
    with app.db.read() as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    ok = False
    if row is not None and row.active:
        try:
            ok = _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # same cost whether or not the user exists
    if not ok:
        raise _bad_credentials()
    token = "usr_" + secrets.token_urlsafe(24)
    ttl = float(os.environ.get("HALLQ_TOKEN_TTL_H", "12"))
    with app.uow() as uow:
        # still the account that was checked: not disabled, nor its password changed meanwhile
        if uow.execute(select(t.users.c.id).where(
                t.users.c.id == row.id, t.users.c.active.is_(True),
                t.users.c.password_hash == row.password_hash)).first() is None:
            raise _bad_credentials()
        now = app.now()
        uow.execute(t.tokens.insert().values(token_hash=token_hash(token), user_id=row.id,
                                             created_at=now, expires_at=now + timedelta(hours=ttl)))
        uow.commit()
    return {"token": token, "role": row.role, "name": row.name, "username": row.username,
            "windows": row.windows, "expires_in": int(ttl * 3600)}


def revoke(app, token: str) -> None:
    forget_cached(token)
    with app.uow() as uow:
        uow.execute(update(t.tokens).where(t.tokens.c.token_hash == token_hash(token),
                                           t.tokens.c.revoked_at.is_(None)).values(revoked_at=app.now()))
        uow.commit()


def revoke_device(app, hall_code: str, name: str) -> int:
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = uow.execute(select(t.devices).where(t.devices.c.hall_id == hall.id,
                                                  t.devices.c.name == name)).first()
        if row is None:
            raise NotFound(f"unknown device {name}")
        n = uow.execute(update(t.tokens).where(t.tokens.c.device_id == row.id,
                                               t.tokens.c.revoked_at.is_(None))
                        .values(revoked_at=app.now())).rowcount
        uow.commit()
    forget_cached()
    return n


_cache: dict[str, tuple[float, Principal, object]] = {}
_cache_lock = threading.Lock()
CACHE_S = 5.0  # a revoked token stops working here at once, in other server processes within 5 s


def principal_for(app, token: str | None) -> Principal | None:
    """The principal for a bearer token; None when no token; Unauthorized when it is bad."""
    if not token:
        return None
    key = token_hash(token)
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_S and (
            hit[2] is None or hit[2] > app.now()):
        return hit[1]
    p, expires = _lookup(app, token)
    with _cache_lock:
        if len(_cache) > 5000:
            _cache.clear()
        _cache[key] = (time.monotonic(), p, expires)
    return p


def forget_cached(token: str | None = None) -> None:
    with _cache_lock:
        if token is None:
            _cache.clear()
        else:
            _cache.pop(token_hash(token), None)


def _lookup(app, token: str):
    with app.db.read() as conn:
        row = conn.execute(select(t.tokens).where(t.tokens.c.token_hash == token_hash(token))).first()
        if row is None or row.revoked_at is not None or (
                row.expires_at is not None and row.expires_at <= app.now()):
            raise Unauthorized("登录已失效，请重新登录 (token invalid or expired)", code="bad_token")
        if row.user_id:
            u = conn.execute(select(t.users).where(t.users.c.id == row.user_id)).first()
            if u is None or not u.active:
                raise Unauthorized("账号已停用 (account disabled)", code="bad_token")
            return (Principal("user", u.id, u.name, u.role, u.hall_id, list(u.windows or [])),
                    row.expires_at)
        d = conn.execute(select(t.devices).where(t.devices.c.id == row.device_id)).first()
        if d is None or not d.active:
            raise Unauthorized("设备已停用 (device disabled)", code="bad_token")
        return Principal("device", d.id, d.name, d.kind, d.hall_id, list(d.windows or [])), None


def require(principal: Principal | None, *, roles=(), devices=(), hall_id: int | None = None) -> Principal:
    """Refuse unless the principal is a user with one of `roles` or a device of one of `devices`."""
    if principal is None:
        raise Unauthorized("请先登录 (sign-in required)", code="unauthorized")
    allowed = (principal.is_user and principal.role in roles) or (
        not principal.is_user and principal.role in devices)
    if not allowed:
        raise Forbidden("无权进行此操作 (not allowed for this account)", code="forbidden")
    if hall_id is not None and not principal.in_hall(hall_id):
        raise Forbidden("无权访问此大厅 (not allowed in this hall)", code="forbidden")
    return principal
