"""The hall's voice (叫号播报): speaks every call, in order, one after another.

    python -m display.announcer --server http://127.0.0.1:8080 --hall main
    python -m display.announcer --out-dir var/spoken --player none     # no sound card

It listens to the hall's event stream (resuming with Last-Event-ID after any drop), and for each
ticket.called / ticket.recalled event fetches the announcement the server decided: its WAV
(chime, then the hall's sentence repeated as configured, rendered offline with pyttsx3 /
espeak-ng on the server), or with --render local its text, synthesized here with pyttsx3
(SAPI5 on Windows). Calls go through one queue: a fetcher prepares them in order while the
player plays the previous one, and the player plays one at a time to the end, so none is cut
off, none is dropped, however fast they come. A recall is spoken again.

--out-dir keeps every announcement's WAV (00001-<event>-<number>.wav, in speaking order) and a
line per announcement in announcements.jsonl (when it started and ended), for tests, the
benchmark and halls that want a record.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from client import ApiClient, ApiError, Event, EventStream, Heartbeat, ServerUnreachable

log = logging.getLogger("hallq.announcer")

CALL_TYPES = ("ticket.called", "ticket.recalled")
LINUX_PLAYERS = (("aplay", ["-q"]), ("paplay", []), ("pw-play", []), ("play", ["-q"]))


@dataclass
class Item:
    seq: int
    event_id: int
    type: str
    number: str
    window: int | None
    received_at: float
    text: dict = field(default_factory=dict)
    wav: Path | None = None
    error: str | None = None


def wav_seconds(path: Path) -> float:
    import wave
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate() or 1)


class Player:
    """Plays a WAV to the end (blocking). kind: auto | aplay | paplay | pw-play | play |
    winsound | pace (no sound, waits the WAV's length) | none (no sound, no wait)."""

    def __init__(self, kind: str = "auto"):
        self.kind = kind
        self.command: list[str] | None = None
        self._warned = False
        if kind == "auto":
            if sys.platform == "win32":
                self.kind = "winsound"
            else:
                for name, args in LINUX_PLAYERS:
                    exe = shutil.which(name)
                    if exe:
                        self.kind, self.command = name, [exe, *args]
                        break
                else:
                    log.warning("no audio player found (apt-get install alsa-utils); calls are not heard")
                    self.kind = "pace"
        elif kind not in ("winsound", "pace", "none"):
            exe = shutil.which(kind)
            if exe is None:
                raise SystemExit(f"audio player {kind!r} is not installed")
            self.command = [exe, *dict(LINUX_PLAYERS).get(kind, [])]

    def play(self, path: Path) -> None:
        if self.kind == "none":
            return
        if self.kind == "pace":
            time.sleep(wav_seconds(path))
            return
        if self.kind == "winsound":
            import winsound
            winsound.PlaySound(str(path), winsound.SND_FILENAME)  # blocks until the end
            return
        started = time.monotonic()
        proc = subprocess.run(self.command + [str(path)], capture_output=True, timeout=300)
        if proc.returncode != 0:
            if not self._warned:
                log.warning("%s failed (no sound card?): %s", self.command[0],
                            proc.stderr.decode(errors="replace").strip()[:200])
                self._warned = True
            # keep the hall's rhythm even without sound: the next call waits as if this was heard
            time.sleep(max(0.0, wav_seconds(path) - (time.monotonic() - started)))


class Announcer:
    def __init__(self, server: str, hall: str = "main", *, out_dir: Path | None = None,
                 player: Player | None = None, render: str = "server", token: str | None = None,
                 last_event_id: int | None = None, fetch_timeout: float = 30.0,
                 fetch_retry_s: float = 60.0, name: str | None = None, heartbeat_s: float = 30.0):
        self.server = server.rstrip("/")
        self.hall = hall
        self.out_dir = Path(out_dir) if out_dir else None
        self.player = player or Player("auto")
        self.render_mode = render
        self.token = token
        self.fetch_timeout = fetch_timeout
        self.fetch_retry_s = fetch_retry_s
        self.stream = EventStream(self.server, hall, last_event_id=last_event_id, token=token)
        self.pending: queue.Queue[Item | None] = queue.Queue()  # received, not fetched
        self.ready: queue.Queue[Item | None] = queue.Queue()  # fetched, not played
        self.spoken: list[dict] = []
        self._seen: deque[int] = deque(maxlen=5000)
        self._seen_set: set[int] = set()
        self._seq = 0
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._engine = None
        self._tmp = Path(tempfile.mkdtemp(prefix="hallq-announcer-"))
        self.api = ApiClient(self.server, hall, token, timeout=fetch_timeout)
        self.heartbeat = Heartbeat(ApiClient(self.server, hall, token), "announcer", name=name,
                                   every_s=heartbeat_s, state=self._state)
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            existing = sorted(self.out_dir.glob("[0-9]" * 5 + "-*.wav"))
            if existing:  # keep numbering on after a restart
                self._seq = int(existing[-1].name[:5])

    # ------------------------------------------------------------ receiving
    def on_event(self, ev: Event) -> None:
        if ev.type == "stream.reset":  # ids start again after a restore: old ids mean nothing now
            self._seen.clear()
            self._seen_set.clear()
            return
        if ev.type not in CALL_TYPES or ev.id is None or ev.id in self._seen_set:
            return
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(ev.id)
        self._seen_set.add(ev.id)
        ticket = ev.get("ticket") or {}
        self._seq += 1
        item = Item(self._seq, ev.id, ev.type, ticket.get("number", ""), ev.get("window"), time.time())
        log.info("call %s -> window %s (event %s) queued", item.number, item.window, ev.id)
        self.pending.put(item)

    def _listen(self) -> None:
        for ev in self.stream.events():
            self.on_event(ev)
            if self._stop.is_set():
                break

    # ------------------------------------------------------------ fetching
    def _get(self, path: str):
        """GET …/announcements/{path}: the response; retried while the server is unreachable."""
        deadline = time.monotonic() + self.fetch_retry_s
        delay = 0.2
        while True:
            try:
                return self.api.get(f"/announcements/{path}", raw=True)
            except ApiError as exc:
                raise LookupError(f"{path}: {exc}") from exc
            except ServerUnreachable as exc:
                problem = str(exc)
            if time.monotonic() > deadline or self._stop.is_set():
                raise ConnectionError(f"{path}: {problem}")
            log.warning("fetching %s: %s; retrying", path, problem)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _engine_(self):
        if self._engine is None:
            from hardware.speech import SpeechEngine
            self._engine = SpeechEngine(backend=os.environ.get("HALLQ_SPEECH_BACKEND", "auto"))
        return self._engine

    def _render_local(self, item: Item) -> Path:
        from hardware.speech import concat_wavs, make_chime
        chime = self._tmp / "chime.wav"
        if not chime.exists():
            make_chime(chime)
        parts, done = [chime], {}
        langs = item.text.get("languages") or ["zh"]
        for _ in range(int(item.text.get("repeat") or 1)):
            for lang in langs:
                if lang not in done:
                    done[lang] = self._engine_().render_wav(item.text["text_" + lang],
                                                            self._tmp / f"{item.seq}-{lang}.wav", lang)
                parts.append(done[lang])
        out = self._tmp / f"{item.seq}.wav"
        concat_wavs(parts, out, gap_seconds=0.45)
        return out

    def prepare(self, item: Item) -> Item:
        try:
            item.text = self._get(str(item.event_id)).json()
            if self.render_mode == "local":
                item.wav = self._render_local(item)
            else:
                try:
                    resp = self._get(f"{item.event_id}.wav")
                    item.wav = self._tmp / f"{item.seq}.wav"
                    item.wav.write_bytes(resp.content)
                except (ConnectionError, LookupError) as exc:  # the server cannot speak: we can
                    log.warning("server WAV for event %s unavailable (%s); rendering here",
                                item.event_id, exc)
                    item.wav = self._render_local(item)
        except Exception as exc:  # logged and recorded; the queue goes on
            item.error = f"{type(exc).__name__}: {exc}"
            log.error("announcement %s (%s) failed: %s", item.event_id, item.number, item.error)
        return item

    def _fetch_loop(self) -> None:
        while True:
            item = self.pending.get()
            if item is None:
                self.ready.put(None)
                return
            self.ready.put(self.prepare(item))

    # ------------------------------------------------------------ playing
    def _record(self, item: Item, started: float, ended: float, path: Path | None) -> None:
        rec = {"seq": item.seq, "event_id": item.event_id, "type": item.type, "number": item.number,
               "window": item.window, "text_zh": item.text.get("text_zh"),
               "text_en": item.text.get("text_en"), "received_at": item.received_at,
               "started_at": started, "ended_at": ended, "file": path.name if path else None,
               "error": item.error}
        self.spoken.append(rec)
        if len(self.spoken) > 1000:
            del self.spoken[:500]
        if self.out_dir:
            with open(self.out_dir / "announcements.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def _play_loop(self) -> None:
        while True:
            item = self.ready.get()
            if item is None:
                return
            kept = None
            if item.wav is not None and self.out_dir:
                kept = self.out_dir / f"{item.seq:05d}-{item.event_id}-{item.number or 'x'}.wav"
                tmp = kept.with_suffix(".part")
                shutil.copyfile(item.wav, tmp)
                os.replace(tmp, kept)
            started = time.time()
            if item.wav is not None:
                log.info("speaking %s -> window %s: %s", item.number, item.window, item.text.get("text_zh"))
                try:
                    self.player.play(item.wav)
                except Exception:
                    log.exception("playing %s failed", item.wav)
                try:
                    item.wav.unlink()
                except OSError:
                    pass
            self._record(item, started, time.time(), kept)

    # ------------------------------------------------------------ running
    def _state(self) -> tuple[str, str | None]:
        if self.player._warned:
            return "degraded", "audio player failed (no sound card?)"
        return "ok", None

    def start(self) -> "Announcer":
        for target, name in ((self._listen, "listen"), (self._fetch_loop, "fetch"), (self._play_loop, "play")):
            th = threading.Thread(target=target, name=f"announcer-{name}", daemon=True)
            th.start()
            self._threads.append(th)
        if self.heartbeat.every_s > 0:
            self.heartbeat.start()
        return self

    def stop(self, drain: bool = False, timeout: float = 30.0) -> None:
        """Stop listening; with drain=True, what is queued is still spoken first."""
        self._stop.set()
        self.stream.close()
        self.heartbeat.stop()
        if not drain:
            for q in (self.pending, self.ready):
                try:
                    while True:
                        q.get_nowait()
                except queue.Empty:
                    pass
        self.pending.put(None)
        for th in self._threads[1:]:
            th.join(timeout)
        shutil.rmtree(self._tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m display.announcer", description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("HALLQ_SERVER", "http://127.0.0.1:8080"))
    p.add_argument("--hall", default=os.environ.get("HALLQ_HALL", "main"))
    p.add_argument("--out-dir", type=Path, help="keep each announcement's WAV here, in order")
    p.add_argument("--player", default=os.environ.get("HALLQ_PLAYER", "auto"),
                   help="auto | aplay | paplay | pw-play | play | winsound | pace | none")
    p.add_argument("--render", choices=("server", "local"), default="server",
                   help="server: play the server's WAV; local: synthesize the server's text here")
    p.add_argument("--last-event-id", type=int, help="start after this event (default: from now)")
    p.add_argument("--name", default=os.environ.get("HALLQ_DEVICE_NAME"),
                   help="name in /admin's heartbeat list when there is no HALLQ_DEVICE_TOKEN "
                        "(default: announcer@HOSTNAME)")
    p.add_argument("--log", default=os.environ.get("HALLQ_LOG", "INFO"))
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ann = Announcer(args.server, args.hall, out_dir=args.out_dir, player=Player(args.player),
                    render=args.render, token=os.environ.get("HALLQ_DEVICE_TOKEN"),
                    last_event_id=args.last_event_id, name=args.name)
    ann.stream.on_status = lambda up: log.info("event stream %s", "connected" if up else "down")
    log.info("announcer for hall %s at %s (player %s, render %s)", args.hall, args.server,
             ann.player.kind, args.render)
    ann.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        ann.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
