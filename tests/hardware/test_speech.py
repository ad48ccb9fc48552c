"""Offline speech: real espeak-ng audio measured with sox; the chime and WAV joining."""

from __future__ import annotations

import re
import subprocess
import threading
import wave

import pytest

from hardware.speech import SAMPLE_RATE, SpeechEngine, concat_wavs, make_chime, resample, wav_seconds

CALL = "请 A 零零七 号 到 3 号窗口 办理"


def sox_stat(sox: str, path) -> dict[str, float]:
    proc = subprocess.run([sox, str(path), "-n", "stat"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    stats = {}
    for line in proc.stderr.splitlines():  # sox writes stat to stderr
        m = re.match(r"^(.+?):\s+(-?[\d.]+)", line)
        if m:
            stats[m.group(1).strip()] = float(m.group(2))
    return stats


@pytest.fixture(scope="module")
def engine(espeak):
    return SpeechEngine()


def test_chinese_call_renders_to_audible_speech(engine, tmp_path, capsys, sox):
    path = engine.render_wav(CALL, tmp_path / "call.wav", lang="zh")
    stats = sox_stat(sox, path)
    assert stats["Length (seconds)"] > 1.0
    assert stats["RMS     amplitude"] > 0.02  # silence is ~0
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels()) == (SAMPLE_RATE, 1)
    assert "Audio saved" not in capsys.readouterr().out


def test_mandarin_voice_is_the_pinyin_one(engine, tmp_path):
    engine.render_wav("号", tmp_path / "hao.wav")
    assert engine.backend_used in ("pyttsx3", "espeak")
    if engine.backend_used == "pyttsx3":
        assert engine._voice_id("zh").lower().endswith("cmn-latn-pinyin")


def test_repeated_renders_each_keep_their_own_text(engine, tmp_path):
    short = engine.render_wav("好", tmp_path / "short.wav")
    long = engine.render_wav(CALL + "，" + CALL, tmp_path / "long.wav")
    again = engine.render_wav("好", tmp_path / "again.wav")
    assert wav_seconds(long) > 3 * wav_seconds(short)
    assert abs(wav_seconds(again) - wav_seconds(short)) < 0.05


def test_english_renders(engine, tmp_path, sox):
    stats = sox_stat(sox, engine.render_wav("Number A007, please go to window 3.", tmp_path / "en.wav", lang="en"))
    assert stats["Length (seconds)"] > 1.0 and stats["RMS     amplitude"] > 0.02


def test_renders_from_several_threads_are_serialised(engine, tmp_path):
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            engine.render_wav(f"请 A00{i} 号", tmp_path / f"t{i}.wav")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert all(wav_seconds(tmp_path / f"t{i}.wav") > 0.5 for i in range(4))


def test_espeak_binary_backend_renders_too(tmp_path, sox, espeak):
    eng = SpeechEngine(backend="espeak")
    stats = sox_stat(sox, eng.render_wav(CALL, tmp_path / "es.wav"))
    assert eng.backend_used == "espeak"
    assert stats["Length (seconds)"] > 1.0 and stats["RMS     amplitude"] > 0.02


def test_bad_arguments_are_clear():
    eng = SpeechEngine(backend="espeak")
    with pytest.raises(ValueError):
        eng.render_wav("", "/tmp/x.wav")
    with pytest.raises(ValueError):
        eng.render_wav("hi", "/tmp/x.wav", lang="fr")
    with pytest.raises(ValueError):
        SpeechEngine(backend="cloud")


def test_chime_is_about_a_second_and_not_silent(tmp_path, sox):
    path = make_chime(tmp_path / "chime.wav")
    stats = sox_stat(sox, path)
    assert 0.9 <= stats["Length (seconds)"] <= 1.1
    assert stats["RMS     amplitude"] > 0.05
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)


def test_concat_length_is_the_sum(engine, tmp_path, sox):
    chime = make_chime(tmp_path / "chime.wav")
    call = engine.render_wav(CALL, tmp_path / "call.wav")
    out = concat_wavs([chime, call, chime], tmp_path / "all.wav")
    expected = 2 * wav_seconds(chime) + wav_seconds(call)
    assert abs(sox_stat(sox, out)["Length (seconds)"] - expected) < 0.01


def test_concat_resamples_a_different_rate(tmp_path, sox):
    a = make_chime(tmp_path / "a.wav")  # 22050 Hz
    b = make_chime(tmp_path / "b.wav", rate=44100)
    out = concat_wavs([a, b], tmp_path / "ab.wav")
    with wave.open(str(out)) as w:
        assert w.getframerate() == SAMPLE_RATE
    assert abs(wav_seconds(out) - 2 * wav_seconds(a)) < 0.01
    assert sox_stat(sox, out)["RMS     amplitude"] > 0.05
    assert len(resample(__import__("array").array("h", range(100)), 100, 50)) == 50


def _phonemes(engine, text: str) -> str:
    proc = subprocess.run(engine._espeak_args("zh") + ["-q", "-x", "--", text], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return re.sub(r"[\s_|:]+", " ", proc.stdout).strip()  # pauses and clause breaks aside


def test_full_width_punctuation_is_a_pause_never_a_spoken_word(engine, tmp_path):
    # Chinese UI text takes full-width punctuation (docs/contributing.md); a hall that writes its
    # call template with it must hear the same words, with a pause at the comma.
    plain = "请 A 零零七 号 到 三 号窗口 办理"
    marked = "请 A 零零七 号，到 三 号窗口 办理。"
    assert _phonemes(engine, marked) == _phonemes(engine, plain)
    # the same syllables (a third tone before a pause is said in full, so tones may differ)
    syllables = lambda text: re.sub(r"\d", "", _phonemes(engine, text))  # noqa: E731
    assert syllables("请（老年人优先）到三号窗口！请稍候：谢谢；好吗？") == \
        syllables("请 老年人优先 到三号窗口 请稍候 谢谢 好吗")
    with_pause = wav_seconds(engine.render_wav(marked, tmp_path / "marked.wav"))
    without = wav_seconds(engine.render_wav(plain, tmp_path / "plain.wav"))
    assert without < with_pause < without + 1.0  # a short pause, nothing read out
