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


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def accuracy(rows) -> Accuracy:
    """`rows`: (estimate_s, actual_wait_s, low_s | None, high_s | None) of called tickets."""
    n = within = ranged = held = 0
    abs_sum = err_sum = 0.0
    for estimate_s, actual_s, low_s, high_s in rows:
        if estimate_s is None or actual_s is None:
            continue
        error = estimate_s - actual_s
        n += 1
        abs_sum += abs(error)
        err_sum += error
        within += abs(error) <= WITHIN_S
        if low_s is not None and high_s is not None:
            ranged += 1
            held += low_s <= actual_s <= high_s
    if not n:
        return Accuracy(0, None, None, None, 0, None)
    return Accuracy(n, abs_sum / n, err_sum / n, within / n, ranged, held / ranged if ranged else None)
