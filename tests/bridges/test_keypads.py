"""Keypads and 5-key evaluators over a socat pty pair, through `python -m caller.keypads`,
against a running server."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

import os
import queue
import random
import subprocess
import sys
import time

import pytest

from caller.keypads import Devices, display_text
from hardware.frames import (Cmd, Frame, FrameReader, Key, SerialLink, key_frame, rate_frame,
                             wait_for)
from tests.hardware.conftest import PtyPair
from tests.support import ROOT

KEYPAD, EVALUATOR = 1, 101  # window 1 in assets/halls/main.toml [keypads]


def test_the_hall_config_maps_every_window_to_a_keypad_and_an_evaluator():
    d = Devices.load(ROOT / "assets" / "halls" / "main.toml")
    assert d.keypads[KEYPAD] == 1 and d.evaluators[EVALUATOR] == 1
    assert sorted(d.keypads.values()) == list(range(1, 12))
    assert d.port
    with pytest.raises(ValueError):
        Devices.from_config({"keypads": {"devices": [{"window": 1, "keypad": 5}, {"window": 2, "keypad": 5}]}})
    with pytest.raises(ValueError):
        Devices.from_config({"keypads": {"devices": [{"window": 1, "keypad": 300}]}})


def test_keypad_display_texts():
    assert display_text(None, None) == "离线"
    assert display_text({"status": "paused"}, 2) == "暂停中 等2"
    assert display_text({"status": "open", "staff": {"id": 1}, "current": None}, 0) == "---- 等0"
    assert display_text({"status": "open", "staff": {"id": 1},
                         "current": {"number": "A007", "status": "serving"}}, 3) == "A007 办理中 等3"


def test_random_bytes_around_keypad_frames_never_crash_the_reader_and_every_frame_is_read():
    rng = random.Random(20251001)
    for _ in range(200):
        frames = [key_frame(rng.randrange(1, 12), rng.choice(list(Key))) if rng.random() < 0.5
                  else rate_frame(rng.randrange(101, 112), rng.randrange(1, 6)) for _ in range(5)]
        stream = b""
        for f in frames:
            garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
            stream += garbage + f.encode()
        reader, got, i = FrameReader(), [], 0
        while i < len(stream):  # fed in random pieces, as a serial port delivers them
            n = rng.randrange(1, 20)
            got += reader.feed(stream[i:i + n])
            i += n
        # garbage may by chance hold a frame of its own; ours all arrive, in order
        it = iter(got)
        assert all(any(g == f for g in it) for f in frames), (frames, got)


class Bus:
    """The device side of the pty pair: what the keypads and evaluators send and receive."""

    def __init__(self, path):
        self.got: queue.Queue = queue.Queue()
        self.link = SerialLink(path, self.got.put)
        self.link.start()
        assert self.link.wait_connected(5)

    def press(self, addr, key, extra=b""):
        self.link.send(Frame(addr, Cmd.KEY, bytes((int(key),)) + extra))

    def rate(self, addr, level):
        self.link.send(rate_frame(addr, level))

    def expect(self, addr, cmd, text=None, timeout=10.0):
        """The next frame to addr with cmd (others to that address in between are skipped)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                f = self.got.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(f)
            if f.addr == addr and f.cmd == cmd and (text is None or text in f.text):
                return f
        raise AssertionError(f"no {Cmd(cmd).name} {text or ''} for {addr}; got {seen}")

    def drain(self):
        while not self.got.empty():
            self.got.get_nowait()


@pytest.fixture
def keypad_bridge(live, tmp_path):
    api = live.api
    api.add_staff("clerk1", [1], name="王小明")
    keypad = api.add_device("keypad-bus", "keypad")
    evaluator = api.add_device("evaluator-bus", "evaluator", [1])  # the windows it stands at
    pair = PtyPair(tmp_path, "bus").start()
    log = open(tmp_path / "bridge.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "caller.keypads", "--server", live.url, "--hall", "main",
         "--token", keypad, "--evaluator-token", evaluator, "--port", pair.a, "--log", "INFO",
         "--heartbeat-seconds", "0.3"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    bus = Bus(pair.b)
    try:
        bus.expect(KEYPAD, Cmd.SHOW, "未签到")  # the first sync: the window is closed
        yield api, bus, pair, tmp_path
    finally:
        bus.link.stop()
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        pair.stop()
        log.close()
        if os.environ.get("HALLQ_BRIDGE_LOG"):
            print((tmp_path / "bridge.log").read_text())


def test_keypad_calls_starts_and_finishes_and_the_evaluator_rates_that_ticket(keypad_bridge):
    api, bus, _, _ = keypad_bridge
    api.act(1, "sign-in", "clerk1")
    t1 = api.issue("social").body
    bus.expect(KEYPAD, Cmd.SHOW, "---- 等1")  # the stream told the bridge: staff here, one waiting
    bus.press(KEYPAD, Key.CALL_NEXT)
    bus.expect(KEYPAD, Cmd.ACK)
    bus.expect(KEYPAD, Cmd.SHOW, "A001")
    assert api.get(api.hp("/windows/1")).body["current"]["number"] == "A001"
    bus.press(KEYPAD, Key.START)
    bus.expect(KEYPAD, Cmd.SHOW, "A001 办理中")
    bus.rate(EVALUATOR, 5)  # nothing finished yet: refused, nothing rated
    bus.expect(EVALUATOR, Cmd.NAK)
    bus.press(KEYPAD, Key.FINISH)
    bus.expect(EVALUATOR, Cmd.PROMPT, "A001")
    tk = api.get(api.hp(f"/tickets/{t1['id']}"), "clerk1").body
    assert tk["status"] == "done" and tk["outcome"] == "immediate" and tk["rating"] is None
    bus.rate(EVALUATOR, 2)
    bus.expect(EVALUATOR, Cmd.ACK)
    bus.expect(EVALUATOR, Cmd.IDLE)
    tk = api.get(api.hp(f"/tickets/{t1['id']}"), "clerk1").body
    assert tk["rating"]["level"] == 2
    assert [c["ticket"]["id"] for c in api.get(api.hp("/review-cases"), "clerk1").body] == [t1["id"]]
    bus.rate(EVALUATOR, 5)  # one rating per visit: the prompt is gone
    bus.expect(EVALUATOR, Cmd.NAK)
    # staff working on the caller page: the keypad follows, the serial evaluator is asked
    api.issue("social")
    api.act(1, "call-next", "clerk1")
    bus.expect(KEYPAD, Cmd.SHOW, "A002 已呼叫")
    api.act(1, "finish", "clerk1", {"outcome": "proxy"})
    bus.expect(EVALUATOR, Cmd.PROMPT, "A002")


def test_refused_keys_answer_nak_with_the_servers_reason(keypad_bridge):
    api, bus, _, _ = keypad_bridge
    bus.press(KEYPAD, Key.CALL_NEXT)  # nobody signed in at window 1
    bus.expect(KEYPAD, Cmd.NAK)
    bus.expect(KEYPAD, Cmd.SHOW, "无人签到")
    api.act(1, "sign-in", "clerk1")
    bus.drain()
    bus.press(KEYPAD, Key.RECALL)  # no current ticket
    bus.expect(KEYPAD, Cmd.NAK)
    bus.expect(KEYPAD, Cmd.SHOW, "没有号票")
    bus.press(KEYPAD, Key.PAUSE)
    bus.expect(KEYPAD, Cmd.ACK)
    bus.expect(KEYPAD, Cmd.SHOW, "暂停中")
    assert api.get(api.hp("/windows/1")).body["pause_reason"] == "呼叫器暂停"
    bus.press(KEYPAD, Key.RESUME)
    bus.expect(KEYPAD, Cmd.ACK)
    api.issue("social")
    bus.press(KEYPAD, Key.CALL_NEXT)
    bus.expect(KEYPAD, Cmd.ACK)
    bus.press(KEYPAD, Key.TRANSFER)  # no target service byte: do it on the page
    bus.expect(KEYPAD, Cmd.NAK)
    bus.press(KEYPAD, Key.TRANSFER, bytes((8,)))  # 8th service of the hall: public
    bus.expect(KEYPAD, Cmd.ACK)
    assert api.get(api.hp("/windows/1")).body["current"] is None


def heartbeat_of_the_bridge(api) -> dict | None:
    rows = [p for p in api.get(api.hp("/devices/presence"), "boss").body if p["program"] == "keypads"]
    return rows[0] if rows else None


def wait_heartbeat(api, status, timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hb = heartbeat_of_the_bridge(api)
        if hb and hb["status"] == status:
            return hb
        time.sleep(0.1)
    raise AssertionError(f"the bridge's heartbeat never said {status}: {heartbeat_of_the_bridge(api)}")


def test_the_bridge_comes_back_when_the_port_vanishes_and_returns(keypad_bridge):
    api, bus, pair, tmp_path = keypad_bridge
    api.add_staff("boss", [], role="manager")
    hb = wait_heartbeat(api, "ok")  # known by its keypad token, seen just now
    assert (hb["name"], hb["kind"], hb["registered"], hb["online"]) == ("keypad-bus", "keypad", True, True)
    api.act(1, "sign-in", "clerk1")
    bus.link.stop()
    pair.stop()  # unplugged
    hb = wait_heartbeat(api, "degraded")  # still beating, and saying what is wrong
    assert hb["detail"] == "serial bus down" and hb["online"]
    api.issue("social")
    pair.start()  # plugged back in at the same path
    bus2 = Bus(pair.b)
    try:
        wait_heartbeat(api, "ok")
        bus2.expect(KEYPAD, Cmd.SHOW, "等1")  # resynced on reconnect
        bus2.press(KEYPAD, Key.CALL_NEXT)
        bus2.expect(KEYPAD, Cmd.ACK)
        shown = bus2.expect(KEYPAD, Cmd.SHOW, "A001")
        assert "已呼叫" in shown.text, shown
        # the key press reached the server: window 1 holds the ticket it called
        assert api.get(api.hp("/windows/1")).body["current"]["number"] == "A001"
    finally:
        bus2.link.stop()
