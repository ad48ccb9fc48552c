"""Rate limits kept in memory per server process: failed sign-ins (services/sign_in_guard.py),
ticket issue per device, public booking requests per address."""
from __future__ import annotations

import os
import threading
import time
from collections import defaultdict, deque

from ..domain.errors import TooMany
from .sign_in_guard import SignInGuard


class SlidingWindow:
    def __init__(self, limit: int, per_s: float):
        self.limit, self.per_s = limit, per_s
        self.hits: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def _trim(self, q: deque, now: float):
        while q and q[0] <= now - self.per_s:
            q.popleft()

    def count(self, key: str) -> int:
        now = time.monotonic()
        with self.lock:
            q = self.hits[key]
            self._trim(q, now)
            return len(q)

    def hit(self, key: str) -> int:
        now = time.monotonic()
        with self.lock:
            q = self.hits[key]
            self._trim(q, now)
            q.append(now)
            if len(self.hits) > 10000:  # forget idle keys so memory stays bounded
                for k in [k for k, v in self.hits.items() if not v][:5000]:
                    del self.hits[k]
            return len(q)


class Limiter:
    def __init__(self, clock=None):
        self.sign_ins = SignInGuard(clock or time.monotonic)
        self.issues = SlidingWindow(int(os.environ.get("HALLQ_ISSUE_PER_MIN", "120")), 60)
        self.public = SlidingWindow(int(os.environ.get("HALLQ_PUBLIC_PER_MIN", "30")), 60)

    def check_login(self, addr: str, username: str):
        self.sign_ins.check(username, addr)

    def failed_login(self, addr: str, username: str):
        self.sign_ins.failed(username, addr)

    def succeeded_login(self, addr: str, username: str):
        self.sign_ins.succeeded(username, addr)

    def check_issue(self, actor: str):
        if self.issues.hit(actor) > self.issues.limit:
            raise TooMany("取号过于频繁，请稍候 (too many tickets from this device; wait a moment)",
                          code="rate_limited")

    def check_public(self, key: str):
        if self.public.hit(key) > self.public.limit:
            raise TooMany("操作过于频繁，请稍候 (too many requests; wait a moment)", code="rate_limited")
