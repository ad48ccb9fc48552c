"""The LED strips over the windows, driven over a real pty pair (socat)."""
from __future__ import annotations

from tests.fixtures.display import *  # noqa: F401,F403  (the display fixtures)

import time

from display.led import LedBridge, parse_strip
from hardware.frames import Cmd, SerialLink
from tests.fixtures.display import call, staff_at
from tests.hardware.conftest import PtyPair


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_a_strip_shows_the_call_clears_on_finish_and_recovers_from_a_replug(live, tmp_path):
    api = live.api
    staff_at(api, [3])
    api.issue("public")
    api.issue("public")
    pair = PtyPair(tmp_path, "led").start()
    frames = []
    strips = SerialLink(pair.b, frames.append)  # the strips' side of the bus
    strips.start()
    bridge = LedBridge(live.url, bus=pair.a, refresh_s=0.5, name="窗口屏总线").start()
    try:
        assert strips.wait_connected(5)
        assert bridge.wait_synced(10)
        # its heartbeat: no token, so it is known by its name, as a display device
        api.add_staff("boss", [], role="manager")
        assert wait_for(lambda: any(p["program"] == "led" for p in
                                    api.get(api.hp("/devices/presence"), "boss").body))
        hb = [p for p in api.get(api.hp("/devices/presence"), "boss").body if p["program"] == "led"][0]
        assert (hb["name"], hb["kind"], hb["registered"], hb["online"]) == ("窗口屏总线", "display", False, True)
        # on start every strip is set from the server: nobody is called yet -> all blank
        assert wait_for(lambda: {f.addr for f in frames if f.cmd == Cmd.CLEAR} >= set(range(1, 12)))
        frames.clear()
        t = call(api, 3)
        assert wait_for(lambda: any(f.cmd == Cmd.SHOW_TEXT for f in frames))
        show = [f for f in frames if f.cmd == Cmd.SHOW_TEXT][0]
        assert show.addr == 3 and show.text == f"{t['number']} 请到3号窗口"
        assert show.payload == f"{t['number']} 请到3号窗口".encode("gb18030")
        assert api.act(3, "start", "clerk3").status == 200
        assert api.act(3, "finish", "clerk3", {"outcome": "immediate"}).status == 200
        assert wait_for(lambda: any(f.cmd == Cmd.CLEAR and f.addr == 3 for f in frames))
        frames.clear()
        assert api.act(3, "pause", "clerk3", {"reason": "午休"}).status == 200
        assert wait_for(lambda: any(f.cmd == Cmd.SHOW_TEXT and f.text == "暂停服务" for f in frames))
        assert api.act(3, "resume", "clerk3").status == 200
        api.issue("public")
        t2 = call(api, 3)
        text = f"{t2['number']} 请到3号窗口"
        assert wait_for(lambda: bridge.shown.get(3) == text)
        strips.stop()
        pair.stop()  # the bus adapter unplugged ...
        pair.start()  # ... and plugged back in at the same path: the strip gets its number again
        frames.clear()
        strips = SerialLink(pair.b, frames.append)
        strips.start()
        assert wait_for(lambda: any(f.cmd == Cmd.SHOW_TEXT and f.addr == 3 and f.text == text
                                    for f in frames), 10)
    finally:
        bridge.stop()
        strips.stop()
        pair.stop()


def test_strip_options_parse():
    assert parse_strip("3=/dev/ttyUSB1") == (3, ("/dev/ttyUSB1", 3))
    assert parse_strip("3=/dev/ttyUSB1@7") == (3, ("/dev/ttyUSB1", 7))
    assert parse_strip("11=socket://10.0.0.5:4001") == (11, ("socket://10.0.0.5:4001", 11))


def test_a_stream_reset_redraws_every_strip_from_the_server(live):
    """After a database restore the server says stream.reset: the bridge reads the windows anew."""
    from client import Event
    api = live.api
    staff_at(api, [2])
    api.issue("social")
    t = call(api, 2)
    bridge = LedBridge(live.url, bus="loop://", heartbeat_s=0)
    try:
        assert bridge.shown == {}
        bridge.on_event(Event(3, "stream.reset", {"type": "stream.reset"}))
        assert bridge.wait_synced(5) and bridge.shown[2] == f"{t['number']} 请到2号窗口"
        assert set(bridge.shown) == set(range(1, 12))
    finally:
        bridge.stop()
