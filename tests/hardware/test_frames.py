"""Framed serial protocol of keypads, evaluators and LED strips."""

from __future__ import annotations

import queue
import threading

import pytest
import serial
from hypothesis import given, settings, strategies as st

from hardware import frames
from hardware.frames import Cmd, Frame, FrameReader, Key, MemoryLink, SerialLink, encode


def test_crc16_modbus_check_value():
    assert frames.crc16_modbus(b"123456789") == 0x4B37


def test_encode_layout_matches_the_documented_byte_table():
    data = encode(0x03, Cmd.KEY, bytes((Key.CALL_NEXT,)))
    crc = frames.crc16_modbus(bytes((0x03, 0x10, 0x01, 0x01)))
    assert data == bytes((0x02, 0x03, 0x10, 0x01, 0x01, crc & 0xFF, crc >> 8, 0x03))


def test_encode_refuses_out_of_range_values():
    with pytest.raises(frames.FrameError):
        encode(256, Cmd.KEY)
    with pytest.raises(frames.FrameError):
        encode(1, Cmd.SHOW, b"x" * 251)
    with pytest.raises(frames.FrameError):
        frames.rate_frame(1, 6)


def test_led_text_is_gb18030_and_cut_at_a_character_boundary():
    f = frames.led_text_frame(3, "请A007号到3号窗口")
    assert f.payload == "请A007号到3号窗口".encode("gb18030")
    long = frames.led_text_frame(3, "窗" * 200)  # 400 bytes of text
    assert len(long.payload) == 250 and long.text == "窗" * 125


def test_reader_resyncs_after_garbage_bad_crc_and_wrong_end_byte():
    good = Frame(1, Cmd.RATE, b"\x05")
    bad_crc = bytearray(good.encode())
    bad_crc[5] ^= 0xFF
    bad_end = bytearray(good.encode())
    bad_end[-1] = 0x04
    stream = b"\x00\xff\x02\x02" + bytes(bad_crc) + bytes(bad_end) + good.encode() + b"\x02\x01"
    reader = FrameReader()
    assert reader.feed(stream) == [good]
    assert reader.dropped > 0


def test_reader_assembles_frames_split_byte_by_byte():
    reader = FrameReader()
    wire = frames.show_frame(2, "A007 请到3号窗口").encode() + frames.key_frame(2, Key.FINISH).encode()
    out = []
    for b in wire:
        out += reader.feed(bytes((b,)))
    assert [f.cmd for f in out] == [Cmd.SHOW, Cmd.KEY]
    assert out[0].text == "A007 请到3号窗口" and out[1].payload == b"\x04"


def test_a_false_start_with_a_long_length_does_not_hide_the_next_frame():
    good = frames.key_frame(9, Key.RECALL)
    reader = FrameReader()
    assert reader.feed(b"\x02\x01\x01\xf0" + good.encode()) == [good]


frame_strategy = st.builds(
    Frame,
    addr=st.integers(0, 255),
    cmd=st.integers(0, 255),
    payload=st.binary(max_size=frames.MAX_PAYLOAD),
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.tuples(st.binary(max_size=40), frame_strategy), max_size=8),
    tail=st.binary(max_size=300),
    chunk=st.integers(1, 64),
)
def test_random_bytes_around_valid_frames_never_crash_and_every_frame_is_read(parts, tail, chunk):
    wire = b"".join(g + f.encode() for g, f in parts) + tail
    reader = FrameReader()
    got: list[Frame] = []
    for i in range(0, len(wire), chunk):
        got += reader.feed(wire[i : i + chunk])
        assert reader.pending <= frames.MAX_FRAME
    expected = [f for _, f in parts]
    it = iter(got)  # every sent frame is read, in order (garbage may, rarely, hold a frame too)
    assert all(any(g == f for g in it) for f in expected), (expected, got)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_pure_garbage_never_raises_and_buffer_stays_bounded(data):
    reader = FrameReader()
    reader.feed(data)
    assert reader.pending <= frames.MAX_FRAME


def test_memory_link_pair_delivers_both_ways():
    got_a, got_b = [], []
    a, b = MemoryLink.pair(got_a.append, got_b.append)
    with pytest.raises(frames.LinkDownError):
        a.send(frames.key_frame(1, Key.CALL_NEXT))
    a.start()
    b.start()
    a.send(frames.key_frame(1, Key.CALL_NEXT))
    b.send(frames.ack_frame(1, Cmd.KEY))
    assert got_b == [frames.key_frame(1, Key.CALL_NEXT)]
    assert got_a == [frames.ack_frame(1, Cmd.KEY)]


def test_serial_link_over_loop_url_reads_its_own_frames():
    got: "queue.Queue[Frame]" = queue.Queue()
    with SerialLink("loop://", got.put) as link:
        assert link.wait_connected(2)
        link.send(frames.prompt_frame(4, "A007"))
        f = got.get(timeout=2)
    assert f.cmd == Cmd.PROMPT and f.text == "A007"


@pytest.mark.serial
def test_keypad_on_a_pty_pair_reaches_the_host_and_the_host_answers(pty_pair):
    got: "queue.Queue[Frame]" = queue.Queue()
    with SerialLink(pty_pair.a, got.put) as host:
        assert host.wait_connected(3)
        keypad = serial.Serial(pty_pair.b, timeout=1)
        try:
            keypad.write(b"noise" + frames.key_frame(7, Key.CALL_NEXT).encode())
            f = got.get(timeout=3)
            assert f == frames.key_frame(7, Key.CALL_NEXT)
            host.send(frames.show_frame(7, "A007 张*"))
            answer = keypad.read(len(frames.show_frame(7, "A007 张*").encode()))
            assert FrameReader().feed(answer) == [frames.show_frame(7, "A007 张*")]
        finally:
            keypad.close()


@pytest.mark.serial
def test_serial_link_reconnects_when_the_pty_vanishes_and_comes_back(pty_factory):
    pair = pty_factory("keypad").start()
    got: "queue.Queue[Frame]" = queue.Queue()
    states: list[bool] = []
    link = SerialLink(pair.a, got.put, reconnect_min=0.02, reconnect_max=0.2, on_state=states.append)
    link.start()
    try:
        assert link.wait_connected(3)
        pair.stop()  # the device is unplugged: its pty path disappears
        assert frames.wait_for(lambda: not link.connected, 3), "link did not notice the port vanish"
        with pytest.raises(frames.LinkDownError):
            link.send(frames.key_frame(1, Key.CALL_NEXT))
        pair.start()  # plugged back in at the same path
        assert link.wait_connected(5), "link did not reconnect"
        keypad = serial.Serial(pair.b, timeout=1)
        try:
            keypad.write(frames.key_frame(2, Key.PAUSE).encode())
            assert got.get(timeout=3) == frames.key_frame(2, Key.PAUSE)
        finally:
            keypad.close()
        assert link.reconnects >= 1
        assert states[:3] == [True, False, True]
    finally:
        link.stop()


@pytest.mark.serial
def test_a_line_failing_under_a_write_is_a_link_down_error(pty_pair):
    """pyserial's flush lets termios.error (EIO: the line's other end went away between the write
    and the flush) through; the bridge sending a frame is told the link is down, as for any lost
    line, instead of getting an error it does not expect."""
    termios = pytest.importorskip("termios")
    with SerialLink(pty_pair.a, lambda f: None) as link:
        assert link.wait_connected(3)

        def eio():
            raise termios.error(5, "Input/output error")
        link._port.flush = eio
        with pytest.raises(frames.LinkDownError, match="Input/output error"):
            link.send(frames.show_frame(7, "A007"))
        assert not link.connected


def test_a_failing_callback_does_not_stop_the_reader():
    calls: list[Frame] = []
    ready = threading.Event()

    def handler(f: Frame) -> None:
        calls.append(f)
        if len(calls) == 1:
            raise RuntimeError("handler bug")
        ready.set()

    with SerialLink("loop://", handler) as link:
        assert link.wait_connected(2)
        link.send(frames.key_frame(1, Key.CALL_NEXT))
        link.send(frames.key_frame(1, Key.RECALL))
        assert ready.wait(2)
    assert len(calls) == 2
