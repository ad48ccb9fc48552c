"""Failed sign-ins: slow a guesser down without letting a stranger lock staff out.

- Per (username, address): the first `free` failures cost nothing; after that each attempt waits a
  delay that doubles with every further failure (2 s, 4 s, 8 s ... at most `max_delay_s`). A success
  clears the pair; a pair with no failure for `forget_s` is forgotten. So someone guessing `s3`'s
  password from one PC slows down only `s3` at that PC.
- Per username: `user_ceiling` failures within `window_s`, from any addresses, close the account to
  every address until they age out or an admin unlocks it (POST …/users/{username}/unlock). Ten
  times the free tries: it takes a spread attack to get there.
- Per address: `address_ceiling` failures within `window_s`, whatever the usernames, close that
  address (a script spraying usernames); other addresses go on.
- A burst (`burst` failures within `burst_s` for one username or from one address) is logged once
  and shown on the dashboard (alert `sign_in_guessing`) while it lasts.

Kept in memory per server process (a restart clears it; several processes each keep their own).
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from ..domain.errors import TooMany

log = logging.getLogger("hallq.auth")


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


@dataclass
class _Pair:
    fails: int = 0
    last: float = 0.0


@dataclass
class _Burst:
    kind: str  # "account" | "address"
    who: str
    since: float
    count: int = 0
    last: float = 0.0
    addresses: set = field(default_factory=set)


class SignInGuard:
    def __init__(self, clock=time.monotonic, *, free: int | None = None, first_delay_s: float = 2.0,
                 max_delay_s: float = 900.0, forget_s: float = 3600.0, user_ceiling: int | None = None,
                 address_ceiling: int | None = None, window_s: float = 3600.0, burst: int | None = None,
                 burst_s: float = 900.0):
        self.clock = clock
        self.free = free or _env_int("HALLQ_LOGIN_FAILS", 5)
        self.first_delay_s, self.max_delay_s, self.forget_s = first_delay_s, max_delay_s, forget_s
        self.user_ceiling = user_ceiling or _env_int("HALLQ_LOGIN_USER_CEILING", 50)
        self.address_ceiling = address_ceiling or _env_int("HALLQ_LOGIN_ADDRESS_CEILING", 100)
        self.window_s = window_s
        self.burst = burst or _env_int("HALLQ_LOGIN_BURST", 20)
        self.burst_s = burst_s
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.by_user: dict[str, deque] = {}
        self.by_addr: dict[str, deque] = {}
        self.bursts: dict[tuple[str, str], _Burst] = {}
        self.lock = threading.Lock()

    # ------------------------------------------------------------ rules

    def delay_s(self, fails: int) -> float:
        """How long to wait after the `fails`-th failure of a pair (0 within the free tries)."""
        if fails < self.free:
            return 0.0
        return min(self.first_delay_s * 2 ** (fails - self.free), self.max_delay_s)

    def _recent(self, q: deque | None, now: float, span: float) -> int:
        if not q:
            return 0
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return sum(1 for x in q if x > now - span)

    def check(self, username: str, addr: str) -> None:
        """Raise TooMany (with retry_after seconds) when this attempt must wait."""
        now = self.clock()
        with self.lock:
            q = self.by_user.get(username)
            if self._recent(q, now, self.window_s) >= self.user_ceiling:
                raise _too_many(q[0] + self.window_s - now, "account_locked",
                                "此账号登录失败次数过多，已暂时锁定；请联系管理员解锁 (too many failed "
                                "sign-ins for this account: locked for now; ask an administrator to "
                                "unlock it)")
            q = self.by_addr.get(addr)
            if self._recent(q, now, self.window_s) >= self.address_ceiling:
                raise _too_many(q[0] + self.window_s - now, "rate_limited",
                                "此设备登录失败次数过多,请 {s} 秒后再试 (too many failed sign-ins from "
                                "this device; try again in {s} seconds)")
            pair = self.pairs.get((username, addr))
            if pair is None:
                return
            if now - pair.last > self.forget_s:
                del self.pairs[(username, addr)]
                return
            wait = pair.last + self.delay_s(pair.fails) - now
            if wait > 0:
                raise _too_many(wait, "rate_limited",
                                "登录失败次数过多,请 {s} 秒后再试 (too many failed sign-ins; try again "
                                "in {s} seconds)")

    def failed(self, username: str, addr: str) -> None:
        now = self.clock()
        with self.lock:
            pair = self.pairs.setdefault((username, addr), _Pair())
            if now - pair.last > self.forget_s:
                pair.fails = 0
            pair.fails += 1
            pair.last = now
            self.by_user.setdefault(username, deque()).append(now)
            self.by_addr.setdefault(addr, deque()).append(now)
            self._note_burst("account", username, addr, now)
            self._note_burst("address", addr, addr, now)
            self._bound()

    def succeeded(self, username: str, addr: str) -> None:
        with self.lock:
            self.pairs.pop((username, addr), None)

    def _note_burst(self, kind: str, who: str, addr: str, now: float) -> None:
        q = self.by_user[who] if kind == "account" else self.by_addr[who]
        n = self._recent(q, now, self.burst_s)
        b = self.bursts.get((kind, who))
        if b is not None and now - b.last > self.burst_s:
            del self.bursts[(kind, who)]  # that burst is over; a new one is logged again
            b = None
        if b is None:
            if n < self.burst:
                return
            b = self.bursts[(kind, who)] = _Burst(kind, who, since=now)
            if kind == "account":  # the addresses of the failures that made the burst
                b.addresses.update(a for (u, a), p in self.pairs.items()
                                   if u == who and now - p.last <= self.burst_s)
            log.warning("sign-in guessing: %d failed sign-ins %s within %d min; further failures "
                        "are slowed%s", n,
                        f"for account '{who}'" if kind == "account" else f"from address {who}",
                        self.burst_s // 60,
                        " (unlock: /admin or POST …/users/{username}/unlock)" if kind == "account"
                        else "")
        b.count, b.last = n, now
        b.addresses.add(addr)

    def _bound(self) -> None:
        """Forget idle entries so a flood of made-up usernames cannot fill the memory."""
        if len(self.pairs) + len(self.by_user) + len(self.by_addr) < 30000:
            return
        now = self.clock()
        for key in [k for k, p in self.pairs.items() if now - p.last > self.forget_s or
                    p.fails < self.free][:20000]:
            del self.pairs[key]
        for table in (self.by_user, self.by_addr):
            for key in [k for k, q in table.items() if not self._recent(q, now, self.window_s)]:
                del table[key]
            if len(table) > 10000:  # still full: keep the ones with most failures
                keep = sorted(table, key=lambda k: len(table[k]), reverse=True)[:5000]
                for key in set(table) - set(keep):
                    del table[key]

    # ------------------------------------------------------------ what admins see and do

    def account_locked(self, username: str) -> bool:
        """Whether a sign-in of this account is refused now from somewhere (ceiling or a delay)."""
        now = self.clock()
        with self.lock:
            if self._recent(self.by_user.get(username), now, self.window_s) >= self.user_ceiling:
                return True
            return any(u == username and now - p.last <= self.forget_s
                       and p.last + self.delay_s(p.fails) > now
                       for (u, _a), p in self.pairs.items())

    def unlock(self, username: str) -> int:
        """Clear the account's failures (every address). Returns how many were cleared."""
        with self.lock:
            cleared = len(self.by_user.pop(username, ()))
            for key in [k for k in self.pairs if k[0] == username]:
                del self.pairs[key]
            self.bursts.pop(("account", username), None)
        return cleared

    def alerts(self) -> list[dict]:
        """Guessing bursts still going on, as dashboard alerts."""
        now = self.clock()
        out = []
        with self.lock:
            for b in list(self.bursts.values()):
                if now - b.last > self.burst_s:
                    continue
                minutes = max(1, math.ceil((now - b.since) / 60))
                if b.kind == "account":
                    zh = (f"疑似猜测密码：账号 {b.who} 在 {minutes} 分钟内登录失败 {b.count} 次"
                          f"（来自 {len(b.addresses)} 个地址）")
                    en = (f"Password guessing? {b.count} failed sign-ins for account {b.who} in "
                          f"{minutes} min from {len(b.addresses)} addresses")
                else:
                    zh = f"疑似猜测密码：地址 {b.who} 在 {minutes} 分钟内登录失败 {b.count} 次"
                    en = f"Password guessing? {b.count} failed sign-ins from {b.who} in {minutes} min"
                out.append({"kind": "sign_in_guessing", "level": "error", "target": b.kind,
                            "who": b.who, "count": b.count, "message": zh, "message_en": en})
        return out


def _too_many(wait_s: float, code: str, template: str) -> TooMany:
    s = max(1, math.ceil(round(wait_s, 3)))  # 16.000000001 s is 16 s
    err = TooMany(template.format(s=s), code=code)
    err.retry_after = s
    return err
