"""ID card reader over a real pty pair against the simulator; ID number rules."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from hardware import idcard
from hardware.idcard import (
    IdCard,
    IdCardError,
    IdCardReader,
    IdCardTimeout,
    SamFrameReader,
    age_on,
    build_command,
    build_response,
    encode_text,
    mask_id_number,
    parse_text,
    validate_id_number,
)
from hardware.idcard_sim import IdCardSimulator, sample_card

ROOT = Path(__file__).resolve().parents[2]


def test_command_frames_match_the_published_bytes():
    assert build_command(idcard.CMD_FIND) == bytes.fromhex("AAAAAA96690003200122")
    assert build_command(idcard.CMD_SELECT) == bytes.fromhex("AAAAAA96690003200221")
    assert build_command(idcard.CMD_READ) == bytes.fromhex("AAAAAA96690003300132")
    assert build_response(0x9F, bytes(4)) == bytes.fromhex("AAAAAA9669000800009F0000000097")
    assert build_response(0x90, bytes(8)) == bytes.fromhex("AAAAAA9669000C00009000000000000000009C")


def test_read_answer_is_1295_bytes():
    sim = IdCardSimulator("loop://", sample_card())
    answer = sim.answer(idcard.CMD_READ, True)
    assert len(answer) == 1295 and answer[5:7] == b"\x05\x08"


def test_text_block_round_trips_and_long_term_validity():
    card = sample_card(name="欧阳娜娜", gender="女", nation="维吾尔", valid_to=date(2035, 6, 1))
    block = encode_text(card)
    assert len(block) == 256
    assert block[:8] == "欧阳娜娜".encode("utf-16-le")
    assert parse_text(block) == card
    assert parse_text(encode_text(sample_card())).valid_to is None  # 长期


def test_garbled_text_is_an_error_not_a_crash():
    block = bytearray(encode_text(sample_card()))
    block[50:66] = "abcdefgh".encode("utf-16-le")  # birth date field
    with pytest.raises(IdCardError):
        parse_text(bytes(block))
    with pytest.raises(IdCardError):
        parse_text(b"\x00" * 10)


def test_frame_reader_skips_garbage_and_flags_bad_check_bytes():
    good = build_response(0x9F, bytes(4))
    bad = bytearray(good)
    bad[-1] ^= 1
    frames = SamFrameReader().feed(b"\x00\xaa\x12" + bytes(bad) + good)
    assert [f.check_ok for f in frames] == [False, True]
    assert frames[1].sw3 == 0x9F


@pytest.mark.parametrize(
    "number, ok",
    [
        ("110101194003071230", True),
        ("11010119900307451x", False),  # wrong check character
        ("110101199003074514", True),
        ("33010219800101123X", True),
        ("110101194003071234", False),  # check digit should be 0
        ("110101190002301234", False),  # 30 February
        ("11010119400307123", False),  # 17 characters
        ("1101011940030712301", False),
        ("11010A194003071230", False),
        ("", False),
    ],
)
def test_validate_id_number(number, ok):
    assert validate_id_number(number) is ok


def test_mask_and_age():
    assert mask_id_number("330102198001011234") == "3301**********1234"
    assert mask_id_number("110101194003071230") == "1101**********1230"
    assert age_on("110101194003071230", date(2025, 3, 6)) == 84
    assert age_on("110101194003071230", date(2025, 3, 7)) == 85


def test_card_repr_and_str_never_show_name_or_id_number_whole():
    card = sample_card()
    for text in (repr(card), str(card), f"{card}", repr([card])):
        assert "110101194003071230" not in text
        assert "张三" not in text
        assert "1101**********1230" in text and "张*" in text
        assert "景山" not in text


@pytest.fixture
def reader_and_sim(pty_pair):
    sim = IdCardSimulator(pty_pair.a, None).start()
    reader = IdCardReader(pty_pair.b, answer_timeout=1.0)
    yield reader, sim
    reader.close()
    sim.stop()


@pytest.mark.serial
def test_card_on_the_reader_is_read_and_parsed_over_a_pty(reader_and_sim):
    reader, sim = reader_and_sim
    assert reader.read_card(timeout=2) is None  # no card
    sim.insert(sample_card())
    card = reader.read_card(timeout=2)
    assert card == sample_card()
    assert card.name == "张三" and card.gender == "男" and card.nation == "汉"
    assert card.birth_date == date(1940, 3, 7) and card.valid_to is None
    assert card.id_number_valid and card.age_on(date(2025, 6, 1)) == 85
    assert sim.commands[-3:] == [idcard.CMD_FIND, idcard.CMD_SELECT, idcard.CMD_READ]
    sim.remove()
    assert reader.read_card(timeout=2) is None


@pytest.mark.serial
def test_corrupted_check_byte_is_an_error_and_the_next_read_works(reader_and_sim):
    reader, sim = reader_and_sim
    sim.insert()
    sim.corrupt_next(1)
    with pytest.raises(IdCardError, match="check byte"):
        reader.read_card(timeout=2)
    assert reader.read_card(timeout=2) == sample_card()


@pytest.mark.serial
def test_corrupted_read_answer_is_an_error(reader_and_sim):
    reader, sim = reader_and_sim
    sim.insert()
    original = sim.answer

    def corrupt_read(body, ok):  # find and select fine, the 1295-byte answer damaged
        out = original(body, ok)
        return out[:-1] + bytes((out[-1] ^ 0xFF,)) if body[:2] == idcard.CMD_READ else out

    sim.answer = corrupt_read
    with pytest.raises(IdCardError):
        reader.read_card(timeout=2)


@pytest.mark.serial
def test_silent_reader_times_out(pty_pair):
    with IdCardReader(pty_pair.b, answer_timeout=0.2) as reader:
        started = time.monotonic()
        with pytest.raises(IdCardTimeout):
            reader.read_card(timeout=0.3)
        assert time.monotonic() - started < 2


@pytest.mark.serial
def test_polling_reports_each_card_once_per_insertion(reader_and_sim):
    reader, sim = reader_and_sim
    cards: "queue.Queue[IdCard]" = queue.Queue()
    removed: "queue.Queue[bool]" = queue.Queue()
    reader.start_polling(cards.put, interval=0.05, on_removed=lambda: removed.put(True))
    sim.insert(sample_card())
    assert cards.get(timeout=3) == sample_card()
    time.sleep(0.4)  # the card stays on the reader: no second report
    assert cards.empty()
    sim.remove()
    assert removed.get(timeout=3)
    other = sample_card(name="李四", id_number="110101199003074514", birth_date=date(1990, 3, 7))
    sim.insert(other)
    assert cards.get(timeout=3).id_number == "110101199003074514"
    reader.stop_polling()


@pytest.mark.serial
def test_polling_outlives_its_line_going_away_and_reads_again_once_it_is_back(pty_pair):
    """The line under a polling reader fails or disappears (a USB adapter pulled). CI saw the
    pty's other end close between a write and its flush: pyserial let termios.error (EIO, not an
    OSError) through, and the polling thread ended. The kiosk is told, the reader keeps polling,
    and it reads the next card once the line works again."""
    sim = IdCardSimulator(pty_pair.a, None).start()
    reader = IdCardReader(pty_pair.b, answer_timeout=0.3)
    cards: "queue.Queue[IdCard]" = queue.Queue()
    errors: "queue.Queue[Exception]" = queue.Queue()
    try:
        reader.start_polling(cards.put, interval=0.05, on_error=errors.put)
        sim.insert(sample_card())
        assert cards.get(timeout=3) == sample_card()
        termios = pytest.importorskip("termios")

        def eio():  # what tcdrain raised in CI, at the moment it raised it
            raise termios.error(5, "Input/output error")
        with reader._lock:
            reader._port.flush = eio
        assert "Input/output error" in str(errors.get(timeout=5))
        sim.remove()
        sim.insert(sample_card(name="王五", id_number="11010519491231002X", birth_date=date(1949, 12, 31)))
        assert cards.get(timeout=5).id_number == "11010519491231002X"  # the same line, opened again
        sim.stop()
        pty_pair.stop()  # the line is gone under the reader
        assert errors.get(timeout=5)
        time.sleep(0.5)
        assert reader._poll_thread is not None and reader._poll_thread.is_alive()
        pty_pair.start()  # plugged back in: the same path again
        sim = IdCardSimulator(pty_pair.a, None).start()
        other = sample_card(name="李四", id_number="110101199003074514", birth_date=date(1990, 3, 7))
        sim.insert(other)
        assert cards.get(timeout=15).id_number == "110101199003074514"
    finally:
        reader.close()
        sim.stop()


def test_reader_on_a_missing_port_is_a_clear_error(tmp_path):
    with pytest.raises(IdCardError, match="cannot open"):
        IdCardReader(str(tmp_path / "no-such-tty")).read_card(timeout=0.5)


@pytest.mark.serial
def test_simulator_command_line_serves_and_takes_insert_remove(pty_pair):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware.idcard_sim", pty_pair.a, "--name", "王五",
         "--id", "110101199003074514", "--gender", "女", "--nation", "回", "--no-card"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with IdCardReader(pty_pair.b) as reader:
            assert reader.read_card(timeout=2) is None
            proc.stdin.write("insert\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "inserted"
            card = reader.read_card(timeout=2)
            assert (card.name, card.gender, card.nation, card.birth_date) == ("王五", "女", "回", date(1990, 3, 7))
            proc.stdin.write("remove\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "removed"
            assert reader.read_card(timeout=2) is None
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
