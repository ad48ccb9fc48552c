"""The announcer: every call spoken, in order, one after another, none cut off or dropped;
resumes after the server drops. WAVs measured with sox."""
from __future__ import annotations

from tests.fixtures.display import *  # noqa: F401,F403  (the display fixtures)

import json
import re
import threading
import time
from pathlib import Path

import pytest

from display.announcer import Announcer, Player
from tests.fixtures.display import call, sox_stats, staff_at
from tests.support import need_binary


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def spoken(out: Path) -> list[dict]:
    path = out / "announcements.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class RecordingPlayer(Player):
    """A loudspeaker that takes `seconds` per announcement and notes when each played."""

    def __init__(self, seconds=0.25):
        super().__init__("none")
        self.seconds, self.played, self.busy = seconds, [], threading.Lock()

    def play(self, path):
        assert self.busy.acquire(blocking=False), "two announcements played at once"
        try:
            start = time.monotonic()
            time.sleep(self.seconds)
            self.played.append((path.stat().st_size, start, time.monotonic()))
        finally:
            self.busy.release()


def test_five_calls_in_100_ms_are_five_announcements_in_order(live, tmp_path):
    need_binary("espeak-ng")
    api = live.api
    windows = [1, 2, 4, 7, 9]
    staff_at(api, windows)
    for service in ("social", "social", "agri", "market", "hukou"):
        api.issue(service)
    out = tmp_path / "spoken"
    ann = Announcer(live.url, out_dir=out, player=Player("none")).start()
    try:
        wait_for(lambda: ann.stream.connects >= 1, 10, "the event stream")
        wait_for(lambda: ann.heartbeat.sent >= 1, 10, "the first heartbeat")
        api.add_staff("boss", [], role="manager")
        hb = [p for p in api.get(api.hp("/devices/presence"), "boss").body if p["program"] == "announcer"]
        assert len(hb) == 1 and hb[0]["name"].startswith("announcer@") and hb[0]["status"] == "ok"
        barrier = threading.Barrier(len(windows))
        done: dict[int, tuple[float, dict]] = {}

        def press(n):
            barrier.wait()
            done[n] = (time.monotonic(), call(api, n))

        threads = [threading.Thread(target=press, args=(n,)) for n in windows]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        burst = max(t for t, _ in done.values()) - t0
        assert len(done) == 5 and burst < 2.0, burst  # ~0.1 s on an idle machine
        wait_for(lambda: len(spoken(out)) >= 5, 60, "five announcements")
    finally:
        ann.stop()
    recs = spoken(out)
    tickets = {t["number"]: t for _, t in done.values()}
    assert sorted(r["number"] for r in recs) == sorted(tickets)
    assert [r["event_id"] for r in recs] == sorted(r["event_id"] for r in recs)  # in call order
    assert [r["seq"] for r in recs] == [1, 2, 3, 4, 5]
    digits = "零一二三四五六七八九"
    window_zh = {1: "一", 2: "二", 4: "四", 7: "七", 9: "九"}
    for rec in recs:
        t = tickets[rec["number"]]
        assert rec["window"] == t["window"]
        n = t["number"]
        number_zh = n[0] + " " + "".join(digits[int(d)] for d in n[1:])
        assert rec["text_zh"] == f"请 {number_zh} 号 到 {window_zh[t['window']]} 号窗口 办理"
        assert rec["error"] is None
    files = sorted(out.glob("*.wav"))
    assert [f.name.split("-")[2][:-4] for f in files] == [r["number"] for r in recs]
    for f in files:
        stats = sox_stats(f)
        assert 4.0 < stats["Length (seconds)"] < 20.0, (f.name, stats)  # chime + sentence twice
        assert stats["RMS     amplitude"] > 0.02, (f.name, stats)  # not silence


def test_announcements_play_one_after_another_and_a_recall_is_spoken_again(live, tmp_path):
    """Rendered here from the server's text (--render local), played by a slow loudspeaker."""
    need_binary("espeak-ng")
    api = live.api
    staff_at(api, [1, 2])
    api.issue("social")
    api.issue("social")
    player = RecordingPlayer(0.3)
    out = tmp_path / "spoken"
    ann = Announcer(live.url, out_dir=out, player=player, render="local").start()
    try:
        wait_for(lambda: ann.stream.connects >= 1, 10, "the event stream")
        a = call(api, 1)
        b = call(api, 2)
        assert api.act(1, "recall", "clerk1").status == 200
        wait_for(lambda: len(spoken(out)) >= 3, 60, "three announcements")
    finally:
        ann.stop()
    recs = spoken(out)
    assert [(r["number"], r["type"]) for r in recs] == [
        (a["number"], "ticket.called"), (b["number"], "ticket.called"), (a["number"], "ticket.recalled")]
    assert recs[2]["text_zh"] == recs[0]["text_zh"]
    assert len(player.played) == 3
    for (_, _, end), (_, start, _) in zip(player.played, player.played[1:]):
        assert start >= end  # the next starts only after the previous played to its end
    for prev, nxt in zip(recs, recs[1:]):
        assert nxt["started_at"] >= prev["ended_at"]
    assert recs[0]["text_zh"] == "请 A 零零一 号 到 一 号窗口 办理"
    stats = sox_stats(out / recs[0]["file"])
    assert stats["Length (seconds)"] > 4.0 and stats["RMS     amplitude"] > 0.02


def test_after_a_stream_reset_a_call_with_an_id_seen_before_is_spoken():
    """ids start again after a database restore: an id the announcer saw before is a new call."""
    from client import Event
    ann = Announcer("http://127.0.0.1:9", player=Player("none"), heartbeat_s=0)
    try:
        call_ev = Event(5, "ticket.called", {"window": 1, "ticket": {"number": "A001"}})
        ann.on_event(call_ev)
        ann.on_event(call_ev)  # a replay: once
        assert ann.pending.qsize() == 1
        ann.on_event(Event(3, "stream.reset", {}))
        ann.on_event(Event(5, "ticket.called", {"window": 2, "ticket": {"number": "B001"}}))
        items = [ann.pending.get_nowait() for _ in range(2)]
        assert [(i.number, i.window) for i in items] == [("A001", 1), ("B001", 2)]
    finally:
        ann.stop()
