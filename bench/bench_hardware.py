"""Hardware timings: QR decode per camera frame, ticket rendering for a file:// printer.

    .venv/bin/python bench/bench_hardware.py [--frames 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import segno

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.printer import TicketPrinter, sample_ticket  # noqa: E402
from hardware.scanner import decode_array, shrink  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def camera_frames(n: int, size=(1280, 960)) -> list[np.ndarray]:
    """Noisy camera-like frames with an appointment QR held at varying places."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "qr.png"
        segno.make_qr("HALLQ-APPT-20250318-0042").save(str(path), scale=10, border=4)
        qr = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    rng = np.random.default_rng(7)
    frames = []
    for i in range(n):
        frame = np.full((size[1], size[0]), 190, np.uint8) + rng.integers(0, 30, (size[1], size[0]), dtype=np.uint8)
        x, y = 100 + (i * 37) % 500, 80 + (i * 23) % 300
        frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr
        frames.append(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    return frames


def bench_decode(frames: list[np.ndarray], size: tuple[int, int]) -> tuple[float, float, float]:
    times, hits = [], 0
    for f in frames:
        t = time.perf_counter()
        codes = decode_array(shrink(f, size))
        times.append((time.perf_counter() - t) * 1e3)
        hits += bool(codes)
    return statistics.median(times), pct(times, 99), hits / len(frames)


def bench_ticket(mode: str, runs: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as d:
        tp = TicketPrinter(f"file://{d}/lp0", mode=mode)
        ticket = sample_ticket()
        tp.print_ticket(ticket)  # warm up: fonts, profile
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            tp.print_ticket(ticket)
            times.append((time.perf_counter() - t) * 1e3)
        size = len(tp.render(ticket))
    return statistics.median(times), pct(times, 99), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--tickets", type=int, default=30)
    args = ap.parse_args()
    frames = camera_frames(args.frames)
    print(f"QR decode per frame (pyzbar, QR+Code128 only; {args.frames} frames shrunk from 1280x960)")
    print(f"{'frame size':<12} {'median ms':>10} {'p99 ms':>8} {'decoded':>8}")
    for size in ((320, 240), (640, 480)):
        med, p99, rate = bench_decode(frames, size)
        print(f"{size[0]}x{size[1]:<8} {med:>10.2f} {p99:>8.2f} {rate:>8.0%}")
    print()
    print(f"Ticket to a file:// printer (render + write, {args.tickets} runs)")
    print(f"{'mode':<12} {'median ms':>10} {'p99 ms':>8} {'bytes':>8}")
    for mode in ("text", "image"):
        med, p99, size = bench_ticket(mode, args.tickets)
        print(f"{mode:<12} {med:>10.2f} {p99:>8.2f} {size:>8}")


if __name__ == "__main__":
    main()
