"""Offline speech for hall calls: pyttsx3 (espeak-ng on Linux, SAPI5 on Windows),
with the espeak-ng binary as a fallback, plus a generated chime and WAV joining.

Which engine renders WAVs: pyttsx3 first. On these machines (pyttsx3 2.99 +
espeak-ng 1.51) repeated save_to_file + runAndWait on one engine works and takes
~20 ms a sentence, so there is no need to shell out. The fallback to
`espeak-ng -w` is used when pyttsx3 cannot start (no driver), raises, or leaves no
file behind; `SpeechEngine(backend="espeak")` forces it. `.backend_used` tells.

pyttsx3's engine is not thread-safe: every call goes through one lock. Only one
save_to_file is queued per runAndWait (two keep only the last). pyttsx3 prints
"Audio saved to ..." on stdout, from a callback that may run in another engine user's turn;
that line is dropped in the driver (`_quiet_driver`), not by redirecting the process's stdout.

Voices: Mandarin on Linux is `sit/cmn-latn-pinyin` (Debian's `sit/cmn` reads tone
numbers in Latin text as English words); English is `en` (gmw/en).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import logging
import math
import os
import shutil
import subprocess
import sys
import threading
import wave
from array import array
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050  # espeak-ng's output rate; the chime matches it so WAVs join without resampling
ZH_VOICES = ("sit/cmn-latn-pinyin", "cmn-latn-pinyin", "sit/cmn", "cmn", "zh")
EN_VOICES = ("gmw/en", "en", "gmw/en-us", "en-us")
ESPEAK_ZH = "cmn-latn-pinyin"
ESPEAK_EN = "en"


class SpeechError(RuntimeError):
    """Speech could not be rendered."""


def _espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


_PYTTSX3_LOCK = threading.Lock()


def _quiet_driver() -> None:
    """pyttsx3's espeak driver prints "Audio saved to PATH" from its synthesis callback, which
    may run after a redirect of stdout has ended: its `print` drops that line instead."""
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is None or getattr(driver, "_hallq_quiet", False):
        return

    def quiet_print(*args, **kwargs):
        if args and str(args[0]).startswith("Audio saved to"):
            return
        print(*args, **kwargs)

    driver.print = quiet_print
    driver._hallq_quiet = True


class SpeechEngine:
    """Text to speech with voice per language, rate (words per minute) and volume (0..1).

    backend: "auto" (pyttsx3, falling back to the espeak-ng binary), "pyttsx3", "espeak".
    """

    def __init__(
        self,
        *,
        backend: str = "auto",
        rate: int = 150,
        volume: float = 1.0,
        zh_voice: str | None = None,
        en_voice: str | None = None,
    ) -> None:
        if backend not in ("auto", "pyttsx3", "espeak"):
            raise ValueError(f"unknown speech backend {backend!r}")
        if not 0.0 <= volume <= 1.0:
            raise ValueError("volume must be between 0 and 1")
        self.backend = backend
        self.rate = rate
        self.volume = volume
        self._voice_pref = {"zh": zh_voice, "en": en_voice}
        # pyttsx3.init() gives every caller in a process the same engine, so every SpeechEngine
        # of the process (a kiosk's and a display's, tests') shares one lock
        self._lock = _PYTTSX3_LOCK
        self._engine = None
        self._engine_failed = False
        self._voice_ids: dict[str, str | None] = {}
        self.backend_used: str | None = None

    # -- pyttsx3
    def _drop_engine(self):
        if self._lock.acquire(timeout=2):  # a daemon thread may be mid-render at exit
            try:
                self._engine = None
            finally:
                self._lock.release()
            gc.collect()

    def _pyttsx3(self):
        if self._engine is None and not self._engine_failed and self.backend != "espeak":
            try:
                import pyttsx3

                with contextlib.redirect_stdout(io.StringIO()):
                    self._engine = pyttsx3.init()
                _quiet_driver()
                self._engine.setProperty("rate", self.rate)
                self._engine.setProperty("volume", self.volume)
                # drop the engine while the interpreter is whole: pyttsx3's driver destructor run
                # at shutdown prints a traceback (its module globals are gone by then)
                atexit.register(self._drop_engine)
            except (ImportError, RuntimeError, OSError) as exc:
                if self.backend == "pyttsx3":
                    raise SpeechError(f"pyttsx3 cannot start: {exc}") from exc
                log.warning("pyttsx3 unavailable (%s); using the espeak-ng binary", exc)
                self._engine_failed = True
        return self._engine

    def voices(self) -> list[tuple[str, str]]:
        """(id, name) of the installed voices."""
        with self._lock:
            engine = self._pyttsx3()
            if engine is None:
                return []
            return [(v.id, v.name) for v in engine.getProperty("voices")]

    def _voice_id(self, lang: str) -> str | None:
        if lang in self._voice_ids:
            return self._voice_ids[lang]
        wanted = [self._voice_pref.get(lang)] if self._voice_pref.get(lang) else []
        wanted += list(ZH_VOICES if lang == "zh" else EN_VOICES)
        available = {v.id.lower(): v.id for v in self._engine.getProperty("voices")}
        names = {}
        for v in self._engine.getProperty("voices"):
            names.setdefault(v.name.lower(), v.id)
        found = None
        for w in wanted:
            w = w.lower()
            if w in available:
                found = available[w]
                break
        if found is None:  # SAPI5 ids are registry paths: match by language in the name
            key = "chinese" if lang == "zh" else "english"
            found = next((vid for name, vid in names.items() if key in name), None)
        if found is None:
            log.warning("no %s voice found; using the default voice", lang)
        self._voice_ids[lang] = found
        return found

    def _render_pyttsx3(self, text: str, path: Path, lang: str) -> bool:
        engine = self._pyttsx3()
        if engine is None:
            return False
        voice = self._voice_id(lang)
        if voice:
            engine.setProperty("voice", voice)
        engine.setProperty("rate", self.rate)
        engine.setProperty("volume", self.volume)
        engine.save_to_file(text, str(path))  # its "Audio saved to ..." is dropped (_quiet_driver)
        engine.runAndWait()  # exactly one save_to_file per runAndWait
        return path.exists() and path.stat().st_size > 44

    # -- espeak-ng binary
    def _espeak_args(self, lang: str) -> list[str]:
        exe = _espeak_binary()
        if exe is None:
            raise SpeechError("espeak-ng is not installed (apt-get install espeak-ng)")
        voice = self._voice_pref.get(lang) or (ESPEAK_ZH if lang == "zh" else ESPEAK_EN)
        voice = voice.split("/")[-1]  # espeak-ng takes the name without the sit/ gmw/ folder
        return [exe, "-v", voice, "-s", str(self.rate), "-a", str(int(self.volume * 200))]

    def _render_espeak(self, text: str, path: Path, lang: str) -> None:
        args = self._espeak_args(lang) + ["-w", str(path), "--", text]
        try:
            proc = subprocess.run(args, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired as exc:
            raise SpeechError("espeak-ng did not finish in 30 s") from exc
        if proc.returncode != 0 or not path.exists():
            raise SpeechError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")

    # -- public
    def render_wav(self, text: str, path: str | os.PathLike, lang: str = "zh") -> Path:
        """Write text spoken in lang ("zh" or "en") to a WAV file; returns its path."""
        if lang not in ("zh", "en"):
            raise ValueError(f"language must be 'zh' or 'en', not {lang!r}")
        if not text.strip():
            raise ValueError("nothing to say")
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if out.exists():
                out.unlink()
            if self.backend != "espeak":
                try:
                    if self._render_pyttsx3(text, out, lang):
                        self.backend_used = "pyttsx3"
                        return out
                    log.warning("pyttsx3 left no audio in %s; retrying with espeak-ng", out)
                except (RuntimeError, OSError) as exc:
                    if self.backend == "pyttsx3":
                        raise SpeechError(f"pyttsx3 failed: {exc}") from exc
                    log.warning("pyttsx3 failed (%s); retrying with espeak-ng", exc)
                if self.backend == "pyttsx3":
                    raise SpeechError("pyttsx3 produced no audio")
            self._render_espeak(text, out, lang)
            self.backend_used = "espeak"
            return out

    def speak(self, text: str, lang: str = "zh") -> None:
        """Say text on the sound card, blocking until done. No sound card: logs, no error."""
        with self._lock:
            engine = self._pyttsx3() if self.backend != "espeak" else None
            if engine is not None:
                voice = self._voice_id(lang)
                if voice:
                    engine.setProperty("voice", voice)
                engine.say(text)
                engine.runAndWait()
                return
            proc = subprocess.run(self._espeak_args(lang) + ["--", text], capture_output=True, timeout=60)
            if proc.returncode != 0:
                log.warning("espeak-ng could not play: %s", proc.stderr.decode(errors="replace").strip())


# ---- WAV helpers (stdlib only) -----------------------------------------------------
def make_chime(
    path: str | os.PathLike,
    *,
    rate: int = SAMPLE_RATE,
    tones: tuple[float, float] = (659.25, 523.25),  # E5 then C5: "ding-dong"
    tone_seconds: float = 0.5,
    volume: float = 0.6,
) -> Path:
    """A two-tone ding-dong, 16-bit mono at rate (matches espeak-ng), ~1 s."""
    out = Path(path)
    samples = array("h")
    n = int(rate * tone_seconds)
    for freq in tones:
        for i in range(n):
            t = i / rate
            attack = min(1.0, i / (0.005 * rate))  # 5 ms fade-in: no click
            env = attack * math.exp(-3.0 * t / tone_seconds)
            # a little second harmonic makes it sound like a bell, not a test tone
            s = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            samples.append(int(max(-1.0, min(1.0, volume * env * s / 1.3)) * 32767))
    _write(out, samples, rate, 1)
    return out


def _write(path: Path, samples: array, rate: int, channels: int) -> None:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def read_wav(path: str | os.PathLike) -> tuple[array, int, int]:
    """(16-bit samples, rate, channels) of a PCM WAV; 8-bit is widened to 16-bit."""
    with wave.open(str(path), "rb") as w:
        width, rate, channels = w.getsampwidth(), w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    if width == 2:
        samples = array("h")
        samples.frombytes(raw)
        if sys.byteorder == "big":
            samples.byteswap()
    elif width == 1:
        samples = array("h", ((b - 128) << 8 for b in raw))
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV not supported (16 or 8 bit)")
    return samples, rate, channels


def _to_mono(samples: array, channels: int) -> array:
    if channels == 1:
        return samples
    return array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))


def resample(samples: array, src_rate: int, dst_rate: int) -> array:
    """Linear-interpolation resampling of mono 16-bit samples."""
    if src_rate == dst_rate or not samples:
        return samples
    n_out = max(1, round(len(samples) * dst_rate / src_rate))
    step = src_rate / dst_rate
    last = len(samples) - 1
    out = array("h")
    for i in range(n_out):
        x = i * step
        j = int(x)
        if j >= last:
            out.append(samples[last])
        else:
            f = x - j
            out.append(int(samples[j] * (1 - f) + samples[j + 1] * f))
    return out


def concat_wavs(paths: Iterable[str | os.PathLike], out: str | os.PathLike, *, gap_seconds: float = 0.0) -> Path:
    """Join WAVs into one. The first file's rate sets the output rate; others are
    mixed down to mono and resampled when their format differs. gap_seconds of
    silence go between files."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no WAV files to join")
    first, rate, channels = read_wav(paths[0])
    parts = [(first, rate, channels)] + [read_wav(p) for p in paths[1:]]
    same = all(r == rate and c == channels for _, r, c in parts)
    out_channels = channels if same else 1
    joined = array("h")
    gap = array("h", bytes(2 * int(rate * gap_seconds) * out_channels))
    for i, (samples, r, c) in enumerate(parts):
        if i and gap_seconds:
            joined.extend(gap)
        if same:
            joined.extend(samples)
        else:
            joined.extend(resample(_to_mono(samples, c), r, rate))
    target = Path(out)
    _write(target, joined, rate, out_channels)
    return target


def wav_seconds(path: str | os.PathLike) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()
