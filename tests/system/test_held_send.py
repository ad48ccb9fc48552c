"""The fan-out's send (serving/streams.py `send_now`) keeps the interpreter: in a pass over a hall's
screens a worker thread no longer takes it at each send and keeps it for the switch interval
(a 2-3 ms pass took 8-16 ms in a burst of calls). Real sockets, a real busy thread."""
from __future__ import annotations

import os
import socket
import struct
import threading
import time

import pytest

from server.serving.streams import _held_send, _socket_send, send_now

pytestmark = pytest.mark.skipif(os.name != "posix", reason="libc's send(2): POSIX only")


def test_the_held_send_is_used_here():
    assert _held_send() is not None
    assert send_now is not _socket_send


def test_it_sends_all_bytes_says_0_when_full_and_raises_when_closed():
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        assert send_now(a, b"id: 7\n\x00data: {}\n\n") == 17
        assert b.recv(100) == b"id: 7\n\x00data: {}\n\n"
        sent = 0
        while (n := send_now(a, b"x" * 65536)) > 0:
            sent += n
        assert sent > 0 and send_now(a, b"y") == 0  # the buffer is full: nothing sent, no error
        b.close()
        with pytest.raises(OSError):  # the peer went away (no SIGPIPE: this process lives on)
            for _ in range(100):
                send_now(a, b"z" * 65536)
    finally:
        a.close()
    with pytest.raises(OSError):  # a closed socket's fileno() is -1: EBADF, never another socket
        send_now(a, b"z")


def longest_wait_of_a_busy_thread_during_a_send_that_blocks(send) -> float:
    """A thread spinning in Python notes the longest it had to wait for the interpreter while
    this thread made one send that blocks for 0.5 s (a full socket in blocking mode with a send
    timeout; the server's sockets never block, so this only makes the hand-over plain to see)."""
    a, b = socket.socketpair()  # a local socket: its buffer stays the size it is
    a.setblocking(False)
    for size in (65536, 1024, 64, 1):  # fill the socket's buffers, to the last byte
        while _socket_send(a, b"x" * size) > 0:
            pass
        time.sleep(0.01)
    a.setblocking(True)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 500_000))
    longest, stop = [0.0], threading.Event()

    def spin():
        last = time.perf_counter()
        while not stop.is_set():
            now = time.perf_counter()
            longest[0] = max(longest[0], now - last)
            last = now

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        longest[0] = 0.0
        started = time.perf_counter()
        assert send(a, b"event: ticket.called\ndata: {}\n\n") == 0  # full: nothing sent
        assert time.perf_counter() - started >= 0.45  # the send did block
        time.sleep(0.05)
    finally:
        stop.set()
        t.join()
        a.close()
        b.close()
    return longest[0]


def test_a_send_keeps_the_interpreter_so_no_thread_takes_it_in_a_pass():
    # Python's socket.send lets go: the spinning thread ran on through the blocked send, waiting
    # at most a switch interval (5 ms) at a time
    assert longest_wait_of_a_busy_thread_during_a_send_that_blocks(_socket_send) < 0.25
    # the fan-out's send keeps it: the spinning thread waited the whole 0.5 s
    assert longest_wait_of_a_busy_thread_during_a_send_that_blocks(send_now) >= 0.45
