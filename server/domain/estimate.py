"""Wait estimates from recent service times and the windows open for a service."""
from __future__ import annotations

import math
import statistics


def mean_service_s(recent_durations_s: list[float], default_s: float) -> float:
    """Mean of today's recent service times; the hall's default until there are some.

    With few samples, blend toward the default so the first quick case does not promise 1 minute.
    """
    samples = [d for d in recent_durations_s if d > 0]
    if not samples:
        return float(default_s)
    weight = min(len(samples), 5) / 5
    return weight * statistics.fmean(samples) + (1 - weight) * default_s


def wait_s(ahead: int, service_s: float, open_windows: int) -> int:
    """Seconds until a ticket with `ahead` people before it is likely called."""
    if ahead <= 0:
        return 0
    return int(math.ceil(ahead * service_s / max(open_windows, 1)))
