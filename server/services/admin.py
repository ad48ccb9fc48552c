"""The hall administrator's work without a shell: accounts (staff, managers, admins) and devices
(kiosks, displays, evaluators, keypads) of one hall.

Each change is one transaction that also writes an audit event (`admin.*`, actor `user:ID`). The
events table is the audit trail, and the hall's public event stream carries it too, so an event
holds ids, roles, windows and device names, never a username, password, token or hash.

Accounts made or changed here belong to the hall they are managed in; accounts of every hall
(hall_id NULL, made with `server.py user add --role admin`) are listed, and only an admin of every
hall may change them. An admin cannot disable their own account or change their own role, so a
hall always keeps the admin who is working on it.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
import secrets
from pathlib import Path

from sqlalchemy import func, select, update

from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..store import tables as t
from ..store.private import private_dir, private_file
from . import auth
from .auth import DEVICE_KINDS, ROLES, Principal, token_hash
from .views import iso

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
PHOTO_MAX_BYTES = 700_000  # decoded; the page shrinks a photo to about 100 KB before sending it
PHOTO_MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
PHOTO_BOX = (600, 800)  # stored size at most (the public board shows about 240×300)
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}


# ---------------------------------------------------------------- reading

def _last_sign_ins(conn, user_ids: list[int]) -> dict[int, object]:
    """When each user last signed in: every sign-in makes a token, so it is the newest token."""
    if not user_ids:
        return {}
    rows = conn.execute(select(t.tokens.c.user_id, func.max(t.tokens.c.created_at))
                        .where(t.tokens.c.user_id.in_(user_ids)).group_by(t.tokens.c.user_id)).all()
    return {uid: at for uid, at in rows}


def _user_view(row, hall_code: str | None, last_sign_in, editable: bool) -> dict:
    return {"id": row.id, "username": row.username, "name": row.name, "role": row.role,
            "hall": hall_code, "windows": list(row.windows or []), "staff_no": row.staff_no,
            "duties": row.duties, "has_photo": bool(row.photo),
            "photo_url": (f"/api/v1/staff/{row.id}/photo"  # the public board shows staff only
                          if row.photo and row.role in ("staff", "manager") else None),
            "active": bool(row.active), "created_at": iso(row.created_at),
            "last_sign_in_at": iso(last_sign_in), "editable": editable}


def _may_change(actor: Principal, row) -> bool:
    return actor.role == "admin" and (row.hall_id is not None or actor.hall_id is None)


def list_users(app, hall_code: str, actor: Principal) -> list[dict]:
    """The hall's accounts and the accounts of every hall; never a password hash."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.users).where((t.users.c.hall_id == hall.id)
                                                  | t.users.c.hall_id.is_(None))
                            .order_by(t.users.c.username)).all()
        last = _last_sign_ins(conn, [r.id for r in rows])
    return [_user_view(r, hall.code if r.hall_id is not None else None, last.get(r.id),
                       _may_change(actor, r)) for r in rows]


def _user_row(conn, hall, username: str):
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    if row is None or (row.hall_id is not None and row.hall_id != hall.id):
        raise NotFound(f"本大厅没有这个账号 (no such account in this hall): {username}",
                       code="unknown_user")
    return row


def _changeable_user(conn, hall, username: str, actor: Principal):
    row = _user_row(conn, hall, username)
    if not _may_change(actor, row):
        raise Forbidden("此账号适用于所有大厅,只有全局管理员可以修改 (an account of every hall: only "
                        "an admin of every hall may change it)", code="forbidden")
    return row


def _one_user(conn, hall, user_id: int, actor: Principal) -> dict:
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
    last = _last_sign_ins(conn, [row.id]).get(row.id)
    return _user_view(row, hall.code if row.hall_id is not None else None, last,
                      _may_change(actor, row))


# ---------------------------------------------------------------- checking input

def _text(value, field_name: str, max_len: int, required: bool = False) -> str | None:
    if value is None:
        value = ""
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Invalid(f"{field_name}: 不能包含控制字符 (no control characters)", code="invalid")
    if required and not value:
        raise Invalid(f"{field_name}: 不能为空 (required)", code="invalid")
    if len(value) > max_len:
        raise Invalid(f"{field_name}: 最多 {max_len} 个字 (at most {max_len} characters)",
                      code="invalid")
    return value or None


def _windows(hall, windows) -> list[int]:
    known = {w.number for w in hall.config.windows}
    out = []
    for n in windows or []:
        if n not in known:
            raise Invalid(f"本大厅没有 {n} 号窗口 (unknown window {n} in this hall)",
                          code="unknown_window")
        if n not in out:
            out.append(n)
    return sorted(out)


def _role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"角色无效 (unknown role): {role}; staff | manager | admin", code="unknown_role")
    return role


def _username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise Invalid("用户名为2-64位字母、数字或 _ . -，以字母或数字开头 (username: 2-64 letters, "
                      "digits, _ . -, starting with a letter or digit)", code="invalid_username")
    return username


def _device_name(name: str) -> str:
    name = _text(name, "设备名称 (device name)", 64, required=True)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise Invalid("设备名称不能包含 / 或 \\ (device name: no / or \\)", code="invalid")
    return name


# ---------------------------------------------------------------- accounts

def add_user(app, hall_code: str, actor: Principal, *, username: str, password: str, role: str,
             name: str | None = None, windows: list[int] | None = None,
             staff_no: str | None = None, duties: str | None = None) -> dict:
    """A new account of this hall (an admin made here is an admin of this hall only)."""
    _username(username)
    _role(role)
    name = _text(name, "姓名 (name)", 100) or username
    staff_no = _text(staff_no, "工号 (staff number)", 32)
    duties = _text(duties, "职责 (duties)", 200)
    auth.check_password_strength(password)
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        wins = _windows(hall, windows)
        if uow.execute(select(t.users.c.id).where(t.users.c.username == username)).first():
            raise Conflict(f"用户名已被使用 (username taken): {username}", code="user_exists")
        uid = uow.execute(t.users.insert().values(
            username=username, name=name, role=role,
            password_hash=auth._hasher.hash(password),  # the sign-in's own hasher and parameters
            hall_id=hall.id, windows=wins, staff_no=staff_no, duties=duties, photo=None,
            active=True, created_at=app.now())).inserted_primary_key[0]
        uow.emit(hall.id, "admin.user_added", actor=actor.actor,
                 data={"user_id": uid, "role": role, "windows": wins})
        view = _one_user(uow.conn, hall, uid, actor)
        uow.commit()
    return view


def update_user(app, hall_code: str, actor: Principal, username: str, changes: dict) -> dict:
    """Change name, windows, duties, staff number or role. The audit event names what changed
    (with old and new role and windows)."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _changeable_user(uow.conn, hall, username, actor)
        values: dict = {}
        if "name" in changes:
            values["name"] = _text(changes["name"], "姓名 (name)", 100, required=True)
        if "staff_no" in changes:
            values["staff_no"] = _text(changes["staff_no"], "工号 (staff number)", 32)
        if "duties" in changes:
            values["duties"] = _text(changes["duties"], "职责 (duties)", 200)
        if "windows" in changes:
            values["windows"] = _windows(hall, changes["windows"])
        if "role" in changes:
            values["role"] = _role(changes["role"])
            if row.id == actor.id and actor.is_user and values["role"] != row.role:
                raise Conflict("不能修改自己的角色 (you cannot change your own role)",
                               code="own_account")
            if row.hall_id is None and values["role"] != "admin":
                values["hall_id"] = hall.id  # no longer an admin of every hall: one of this hall
        changed = sorted(k for k, v in values.items()
                         if k != "hall_id" and v != (list(row.windows or []) if k == "windows"
                                                     else getattr(row, k)))
        if changed:
            uow.execute(update(t.users).where(t.users.c.id == row.id).values(**values))
            data = {"user_id": row.id, "changed": changed}
            if "role" in changed:
                data["role"] = {"from": row.role, "to": values["role"]}
            if "windows" in changed:
                data["windows"] = {"from": list(row.windows or []), "to": values["windows"]}
            uow.emit(hall.id, "admin.user_updated", actor=actor.actor, data=data)
        view = _one_user(uow.conn, hall, row.id, actor)
        uow.commit()
    if "role" in changed or "windows" in changed:
        auth.forget_cached()  # signed-in tokens carry role and windows: read them again
    return view


def reset_password(app, hall_code: str, actor: Principal, username: str, password: str,
                   keep_token: str | None = None) -> dict:
    """Set a new password and end the account's sign-ins (all but the caller's own session)."""
    auth.check_password_strength(password)
    password_hash = auth._hasher.hash(password)  # before the writers' lock (~100 ms of CPU)
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _changeable_user(uow.conn, hall, username, actor)
        uow.execute(update(t.users).where(t.users.c.id == row.id)
                    .values(password_hash=password_hash))
        ended = _revoke_user_tokens(uow, app, row.id, keep=keep_token)
        uow.emit(hall.id, "admin.password_reset", actor=actor.actor,
                 data={"user_id": row.id, "tokens_revoked": ended})
        view = _one_user(uow.conn, hall, row.id, actor)
        uow.commit()
    auth.forget_cached()
    return view


def set_active(app, hall_code: str, actor: Principal, username: str, active: bool) -> dict:
    """Disable (and sign out everywhere) or enable an account."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _changeable_user(uow.conn, hall, username, actor)
        if not active and actor.is_user and row.id == actor.id:
            raise Conflict("不能停用自己的账号 (you cannot disable your own account)",
                           code="own_account")
        ended = 0
        if bool(row.active) != active:
            uow.execute(update(t.users).where(t.users.c.id == row.id).values(active=active))
            data = {"user_id": row.id}
            if not active:
                ended = _revoke_user_tokens(uow, app, row.id)
                data["tokens_revoked"] = ended
            uow.emit(hall.id, "admin.user_enabled" if active else "admin.user_disabled",
                     actor=actor.actor, data=data)
        view = _one_user(uow.conn, hall, row.id, actor)
        uow.commit()
    auth.forget_cached()
    return view


def unlock_sign_in(app, hall_code: str, actor: Principal, username: str, guard) -> dict:
    """Clear an account's failed sign-ins (services/sign_in_guard.py) so its owner can sign in
    at once; audited as admin.user_unlocked (with how many failures were cleared)."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _user_row(uow.conn, hall, username)
        cleared = guard.unlock(row.username)
        uow.emit(hall.id, "admin.user_unlocked", actor=actor.actor,
                 data={"user_id": row.id, "failures_cleared": cleared})
        view = _one_user(uow.conn, hall, row.id, actor)
        uow.commit()
    view["sign_in_locked"] = guard.account_locked(row.username)
    return view


def _revoke_user_tokens(uow, app, user_id: int, keep: str | None = None) -> int:
    q = update(t.tokens).where(t.tokens.c.user_id == user_id, t.tokens.c.revoked_at.is_(None))
    if keep:
        q = q.where(t.tokens.c.token_hash != token_hash(keep))
    return uow.execute(q.values(revoked_at=app.now())).rowcount


def set_photo(app, hall_code: str, actor: Principal, username: str, image_b64: str) -> dict:
    """Store a staff photo for the public board (阳光台) and the evaluator: a JPEG or PNG, checked
    by decoding it with Pillow, turned upright, shrunk and saved again without its metadata (a
    phone photo's EXIF can hold where it was taken)."""
    with app.db.read() as conn:  # an unknown account is 404 whatever the image is
        _changeable_user(conn, app.hall(conn, hall_code), username, actor)
    data = _decode_b64(image_b64)
    content, ext = _clean_image(data)
    folder = private_dir(Path(app.var_dir) / "photos")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _changeable_user(uow.conn, hall, username, actor)
        name = f"staff-{row.id}-{secrets.token_hex(4)}.{ext}"
        (folder / name).write_bytes(content)
        private_file(folder / name)
        try:
            uow.execute(update(t.users).where(t.users.c.id == row.id).values(photo=name))
            uow.emit(hall.id, "admin.photo_set", actor=actor.actor, data={"user_id": row.id})
            view = _one_user(uow.conn, hall, row.id, actor)
            uow.commit()
        except BaseException:
            (folder / name).unlink(missing_ok=True)
            raise
    old = (row.photo or "").replace("\\", "/").rsplit("/", 1)[-1]
    if old.startswith(f"staff-{row.id}-") and old != name:
        (folder / old).unlink(missing_ok=True)  # our own earlier upload; never files in assets/
    return view


def _decode_b64(image_b64: str) -> bytes:
    if "," in image_b64[:100] and image_b64.startswith("data:"):
        image_b64 = image_b64.split(",", 1)[1]  # a data: URL as the browser gives it
    try:
        data = base64.b64decode(image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("照片数据无效 (image: not valid base64)", code="invalid_image") from None
    if not data:
        raise Invalid("照片为空 (image is empty)", code="invalid_image")
    if len(data) > PHOTO_MAX_BYTES:
        raise Invalid(f"照片太大，最大 {PHOTO_MAX_BYTES // 1000} KB (image too large)",
                      code="image_too_large")
    return data


def _clean_image(data: bytes) -> tuple[bytes, str]:
    from PIL import Image, ImageOps, UnidentifiedImageError
    bad = Invalid("只接受 JPEG 或 PNG 照片 (only JPEG or PNG images)", code="invalid_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            w, h = probe.size
            if fmt not in PHOTO_FORMATS:
                raise bad
            if w < 1 or h < 1 or w * h > PHOTO_MAX_PIXELS:
                raise Invalid("照片尺寸无效 (image dimensions not accepted)", code="invalid_image")
            probe.verify()  # a truncated or corrupt file is refused here
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            img.thumbnail(PHOTO_BOX)
            out = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
            else:
                keep = "RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB"
                img.convert(keep).save(out, "PNG", optimize=True)
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise bad from None
    return out.getvalue(), PHOTO_FORMATS[fmt]


# ---------------------------------------------------------------- devices

def _token_figures(conn, device_ids: list[int]) -> dict[int, tuple[int, object]]:
    """Per device: how many of its tokens still work, and when the newest was issued."""
    if not device_ids:
        return {}
    rows = conn.execute(
        select(t.tokens.c.device_id,
               func.count(t.tokens.c.id).filter(t.tokens.c.revoked_at.is_(None)),
               func.max(t.tokens.c.created_at))
        .where(t.tokens.c.device_id.in_(device_ids)).group_by(t.tokens.c.device_id)).all()
    return {did: (int(n or 0), newest) for did, n, newest in rows}


def _device_view(row, figures: tuple[int, object] | None) -> dict:
    active, newest = figures or (0, None)
    return {"id": row.id, "name": row.name, "kind": row.kind, "windows": list(row.windows or []),
            "active": bool(row.active), "created_at": iso(row.created_at),
            "active_tokens": active, "token_issued_at": iso(newest)}


def _one_device(conn, hall, name: str) -> dict:
    row = _device_row(conn, hall, name)
    return _device_view(row, _token_figures(conn, [row.id]).get(row.id))


def list_devices(app, hall_code: str) -> list[dict]:
    """The hall's devices with how many tokens work; never a token or its hash. (When a device
    was last seen is not stored.)"""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.devices).where(t.devices.c.hall_id == hall.id)
                            .order_by(t.devices.c.kind, t.devices.c.name)).all()
        figures = _token_figures(conn, [r.id for r in rows])
    return [_device_view(r, figures.get(r.id)) for r in rows]


def _new_device_token(uow, app, device_id: int) -> str:
    token = "dev_" + secrets.token_urlsafe(24)  # the shape `server.py device add` gives
    uow.execute(t.tokens.insert().values(token_hash=token_hash(token), device_id=device_id,
                                         created_at=app.now()))
    return token


def add_device(app, hall_code: str, actor: Principal, *, name: str, kind: str,
               windows: list[int] | None = None) -> dict:
    """Register a device; the answer holds its token, the only time it is ever shown."""
    name = _device_name(name)
    if kind not in DEVICE_KINDS:
        raise Invalid(f"设备类型无效 (unknown device kind): {kind}", code="invalid")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        wins = _windows(hall, windows)
        if uow.execute(select(t.devices.c.id).where(t.devices.c.hall_id == hall.id,
                                                    t.devices.c.name == name)).first():
            raise Conflict(f"设备名称已存在 (a device with this name exists): {name}",
                           code="device_exists")
        device_id = uow.execute(t.devices.insert().values(
            hall_id=hall.id, name=name, kind=kind, windows=wins, active=True,
            created_at=app.now())).inserted_primary_key[0]
        token = _new_device_token(uow, app, device_id)
        uow.emit(hall.id, "admin.device_added", actor=actor.actor,
                 data={"device_id": device_id, "name": name, "kind": kind, "windows": wins})
        view = _one_device(uow.conn, hall, name)
        uow.commit()
    return {**view, "token": token}


def _device_row(conn, hall, name: str):
    row = conn.execute(select(t.devices).where(t.devices.c.hall_id == hall.id,
                                               t.devices.c.name == name)).first()
    if row is None:
        raise NotFound(f"本大厅没有这个设备 (no such device in this hall): {name}",
                       code="unknown_device")
    return row


def revoke_device(app, hall_code: str, actor: Principal, name: str, *, new_token: bool = False) -> dict:
    """End every token of the device at once (here; other server processes within 5 s). With
    new_token, also give it a fresh one (a device re-enrolled, or its token lost)."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _device_row(uow.conn, hall, name)
        ended = uow.execute(update(t.tokens).where(t.tokens.c.device_id == row.id,
                                                   t.tokens.c.revoked_at.is_(None))
                            .values(revoked_at=app.now())).rowcount
        token = None
        if new_token:
            if not row.active:
                uow.execute(update(t.devices).where(t.devices.c.id == row.id).values(active=True))
            token = _new_device_token(uow, app, row.id)
        uow.emit(hall.id, "admin.device_token" if new_token else "admin.device_revoked",
                 actor=actor.actor,
                 data={"device_id": row.id, "name": row.name, "kind": row.kind,
                       "tokens_revoked": ended})
        view = _one_device(uow.conn, hall, name)
        uow.commit()
    auth.forget_cached()
    out = {**view, "tokens_revoked": ended}
    if token:
        out["token"] = token
    return out
