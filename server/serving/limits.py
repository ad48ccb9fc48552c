"""Who may hold how much of the server: per-address caps on connections and event streams for
anonymous clients, a total time to send a request, and a global stream ceiling that keeps room for
staff and devices. Every figure is an environment variable (docs/operations.md)."""
from __future__ import annotations

import ipaddress
import os
from collections import Counter
from dataclasses import dataclass, field


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class Limits:
    request_timeout_s: float = 20.0   # request line + headers + body must all arrive within this
    max_body: int = 32 * 1024 * 1024  # the largest request body (a photo, a backup upload)
    connections_per_address: int = 200  # anonymous connections from one address
    over_cap_timeout_s: float = 2.0   # beyond it a connection must show a staff/device token, fast
    streams_per_address: int = 60     # anonymous event streams from one address
    max_streams: int = 20000          # all event streams of this process
    staff_reserve: int = 1000         # of max_streams, kept for staff and devices
    max_connections: int = 25000      # all connections of this process
    trusted_proxies: frozenset = field(default_factory=frozenset)  # their X-Real-IP is believed
    calls_ahead_s: float = 0.1        # other requests wait up to this while windows' calls run

    @classmethod
    def from_env(cls) -> "Limits":
        proxies = os.environ.get("HALLQ_TRUSTED_PROXIES", "")
        return cls(
            request_timeout_s=_env_float("HALLQ_REQUEST_TIMEOUT_S", cls.request_timeout_s),
            max_body=_env_int("HALLQ_MAX_BODY", cls.max_body),
            connections_per_address=_env_int("HALLQ_CONNECTIONS_PER_ADDRESS", cls.connections_per_address),
            over_cap_timeout_s=_env_float("HALLQ_OVER_CAP_TIMEOUT_S", cls.over_cap_timeout_s),
            streams_per_address=_env_int("HALLQ_STREAMS_PER_ADDRESS", cls.streams_per_address),
            max_streams=_env_int("HALLQ_MAX_STREAMS", cls.max_streams),
            staff_reserve=_env_int("HALLQ_STREAM_STAFF_RESERVE", cls.staff_reserve),
            max_connections=_env_int("HALLQ_MAX_CONNECTIONS", cls.max_connections),
            calls_ahead_s=_env_float("HALLQ_CALLS_AHEAD_MS", cls.calls_ahead_s * 1000) / 1000,
            trusted_proxies=frozenset(str(ipaddress.ip_address(p.strip()))
                                      for p in proxies.split(",") if p.strip()),
        )


class Ledger:
    """Counts per address, kept in the server's loop (one thread: no locks)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.anonymous_connections: Counter = Counter()
        self.connections = 0
        self.anonymous_streams: Counter = Counter()
        self.streams = 0
        self.staff_streams = 0
        self.refused = Counter()  # reason -> count, for the log and the bench

    # ---------------------------------------------------------- connections
    def open_connection(self, address: str) -> str:
        """"ok"; "over" when the address has all its anonymous connections (this one may serve
        only a request with a staff/device token, sent quickly); "full" when the server is."""
        lim = self.limits
        if self.connections >= lim.max_connections:
            self.refused["connection"] += 1
            return "full"
        self.connections += 1
        if (address not in lim.trusted_proxies
                and self.anonymous_connections[address] >= lim.connections_per_address):
            return "over"
        self.anonymous_connections[address] += 1
        return "ok"

    def trust_connection(self, address: str) -> None:
        """The connection carried a staff or device token: it no longer counts as anonymous."""
        self._drop(self.anonymous_connections, address)

    def close_connection(self, address: str, counted: bool) -> None:
        """counted: the connection still counts as one of the address's anonymous ones."""
        self.connections -= 1
        if counted:
            self._drop(self.anonymous_connections, address)

    # ---------------------------------------------------------- event streams
    def open_stream(self, address: str, staff: bool) -> str | None:
        """None when the stream may open, else why not (too_many_streams / server_full)."""
        lim = self.limits
        if self.streams >= lim.max_streams:
            self.refused["server_full"] += 1
            return "server_full"
        if not staff:
            if self.streams - self.staff_streams >= lim.max_streams - lim.staff_reserve:
                self.refused["server_full"] += 1
                return "server_full"
            if self.anonymous_streams[address] >= lim.streams_per_address:
                self.refused["too_many_streams"] += 1
                return "too_many_streams"
            self.anonymous_streams[address] += 1
        else:
            self.staff_streams += 1
        self.streams += 1
        return None

    def close_stream(self, address: str, staff: bool) -> None:
        self.streams -= 1
        if staff:
            self.staff_streams -= 1
        else:
            self._drop(self.anonymous_streams, address)

    @staticmethod
    def _drop(counter: Counter, key) -> None:
        n = counter[key] - 1
        if n > 0:
            counter[key] = n
        else:
            counter.pop(key, None)
