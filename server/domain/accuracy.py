"""How good the wait estimates were (预计等候准确度): pairs of (estimate at issue, actual wait).

Definitions (docs/kpis.md): error = estimate - actual wait (negative: the resident waited longer
than told). MAE = mean |error|; bias = mean error; within 5 min = share with |error| <= 300 s; range
held = share of tickets given a range whose actual wait fell inside it (both ends included).
"""
from __future__ import annotations

from dataclasses import dataclass

WITHIN_S = 300


@dataclass(frozen=True)
class Accuracy:
    n: int
    mae_s: float | None
    bias_s: float | None
    within_5min: float | None  # share 0..1
    range_n: int
    range_held: float | None  # share 0..1 of the tickets given a range

    def as_dict(self) -> dict:
        return {"n": self.n, "mae_s": _round(self.mae_s), "bias_s": _round(self.bias_s),
                "within_5min": _round(self.within_5min, 4), "range_n": self.range_n,
                "range_held": _round(self.range_held, 4)}


def from_sums(n: int, abs_s: float, error_s: float, within: int, ranged: int, held: int) -> Accuracy:
    """The figures from running sums (a day's roll-up keeps the sums, so days add up)."""
    if not n:
        return Accuracy(0, None, None, None, ranged, None)
    return Accuracy(n, abs_s / n, error_s / n, within / n, ranged, held / ranged if ranged else None)


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def accuracy(rows) -> Accuracy:
    """`rows`: (estimate_s, actual_wait_s, low_s | None, high_s | None) of called tickets."""
    sums = Sums()
    for estimate_s, actual_s, low_s, high_s in rows:
        sums.count(estimate_s, actual_s, low_s, high_s)
    return sums.figures()


class Sums:
    """Running sums of estimates against actual waits."""

    __slots__ = ("n", "abs_s", "error_s", "within", "ranged", "held")

    def __init__(self):
        self.n = self.within = self.ranged = self.held = 0
        self.abs_s = self.error_s = 0

    def count(self, estimate_s, actual_s, low_s=None, high_s=None) -> None:
        if estimate_s is None or actual_s is None:
            return
        error = estimate_s - actual_s
        self.n += 1
        self.abs_s += abs(error)
        self.error_s += error
        self.within += abs(error) <= WITHIN_S
        if low_s is not None and high_s is not None:
            self.ranged += 1
            self.held += low_s <= actual_s <= high_s

    def figures(self) -> Accuracy:
        return from_sums(self.n, self.abs_s, self.error_s, self.within, self.ranged, self.held)
