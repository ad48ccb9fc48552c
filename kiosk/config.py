"""The kiosk's configuration: a TOML file (path by --config or HALLQ_KIOSK_CONFIG) and the
environment overrides HALLQ_SERVER, HALLQ_HALL, HALLQ_DEVICE_TOKEN, HALLQ_PRINTER, HALLQ_CAMERA,
HALLQ_IDREADER, HALLQ_FULLSCREEN, HALLQ_PUBLIC_URL, HALLQ_KIOSK_PIN.

An empty printer, camera or reader setting means that device is absent and its feature steps
aside (no printer: tickets are shown on screen; no camera/reader: those prompts are hidden)."""
from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@dataclass
class KioskConfig:
    server: str = "http://127.0.0.1:8080"
    hall: str = "main"
    device_token: str = ""
    public_url: str = ""  # overrides the hall's public_url (what phones reach); loopback/empty: no QR
    # hardware (empty: not fitted)
    printer: str = ""  # usb://VID:PID, serial:///dev/ttyS0?baudrate=9600, tcp://HOST:9100, file:///PATH, cups://NAME, dummy://
    print_mode: str = "text"  # text (GB18030 in Chinese mode) | image (rendered bitmap)
    paper_mm: int = 80
    printer_profile: str = ""
    printer_check_status: bool = True
    camera: str = ""  # camera index ("0") or a video file path
    camera_loop: bool = False  # replay a video file from the start when it ends (demos)
    camera_size: tuple[int, int] = (320, 240)
    idreader: str = ""  # pyserial URL of the ID-card reader
    idreader_baudrate: int = 115200
    # screen
    fullscreen: bool = False
    width: int = 1280
    height: int = 800
    language: str = "zh"  # zh | en at start and after every idle return
    font: str = FONT
    show_guide: bool = True  # a tile opens the service guide (办事指南) before the ticket
    identify: dict[str, str] = field(default_factory=dict)  # service code -> required|optional|skip
    idle_timeout_s: float = 45.0  # back to home after this long without a touch
    ticket_screen_s: float = 15.0  # the ticket screen stays this long
    speech: bool = True  # elder mode speaks prompts (offline, espeak-ng)
    admin_pin: str = ""  # the hidden admin screen; empty: admin screen disabled
    # network
    request_timeout_s: float = 4.0
    retry_every_s: float = 3.0  # automatic retry while the server is unreachable
    source_path: str = ""  # where this config was read from (the admin screen saves there)

    def identify_mode(self, service: dict) -> str:
        mode = self.identify.get(service.get("code", ""), service.get("identify") or "optional")
        return mode if mode in ("required", "optional", "skip") else "optional"


_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
         "off": False, "": False}


def _coerce(name: str, value, kind):
    if kind is bool or kind == "bool":
        if isinstance(value, str):
            if value.strip().lower() not in _BOOL:
                raise ValueError(f"kiosk config {name}: expected true/false, got {value!r}")
            return _BOOL[value.strip().lower()]
        return bool(value)
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    if name == "camera_size":
        w, h = value if isinstance(value, (list, tuple)) else str(value).lower().split("x")
        return (int(w), int(h))
    if name == "identify":
        if not isinstance(value, dict):
            raise ValueError("kiosk config identify: a table of service = required|optional|skip")
        return {str(k): str(v) for k, v in value.items()}
    return "" if value is None else str(value)


log = logging.getLogger(__name__)

# Keys older configs may carry that no longer do anything: (section, key) -> why.
RETIRED = {("screen", "elderly_age"): "the hall's rule decides who is elderly (server [rules] elderly_age)"}

ENV = {"HALLQ_SERVER": "server", "HALLQ_HALL": "hall", "HALLQ_DEVICE_TOKEN": "device_token",
       "HALLQ_PRINTER": "printer", "HALLQ_CAMERA": "camera", "HALLQ_IDREADER": "idreader",
       "HALLQ_FULLSCREEN": "fullscreen", "HALLQ_PUBLIC_URL": "public_url",
       "HALLQ_KIOSK_PIN": "admin_pin", "HALLQ_PRINT_MODE": "print_mode"}


def _flatten(data: dict) -> dict:
    """Accept the sectioned file ([server], [printer], ...) as well as flat keys."""
    out: dict = {}
    sections = {"server": {"url": "server", "hall": "hall", "token": "device_token",
                           "public_url": "public_url", "timeout_s": "request_timeout_s",
                           "retry_every_s": "retry_every_s"},
                "printer": {"url": "printer", "mode": "print_mode", "paper_mm": "paper_mm",
                            "profile": "printer_profile", "check_status": "printer_check_status"},
                "camera": {"source": "camera", "loop": "camera_loop", "size": "camera_size"},
                "idreader": {"url": "idreader", "baudrate": "idreader_baudrate"},
                "screen": {"fullscreen": "fullscreen", "width": "width", "height": "height",
                           "language": "language", "font": "font", "show_guide": "show_guide",
                           "idle_timeout_s": "idle_timeout_s", "ticket_screen_s": "ticket_screen_s",
                           "speech": "speech"},
                "admin": {"pin": "admin_pin"}}
    for key, value in data.items():
        if key in sections and isinstance(value, dict):
            for k, v in value.items():
                if (key, k) in RETIRED:
                    log.warning("kiosk config: [%s] %s is ignored (%s)", key, k, RETIRED[key, k])
                    continue
                if k not in sections[key]:
                    raise ValueError(f"kiosk config: unknown key [{key}] {k}")
                out[sections[key][k]] = v
        else:
            out[key] = value
    return out


def load(path: str | os.PathLike | None = None, env: dict | None = None) -> KioskConfig:
    """The config from `path` (or HALLQ_KIOSK_CONFIG), then the environment on top."""
    env = os.environ if env is None else env
    path = path or env.get("HALLQ_KIOSK_CONFIG") or ""
    values: dict = {}
    if path:
        with open(path, "rb") as f:
            values = _flatten(tomllib.load(f))
    for var, name in ENV.items():
        if var in env:
            values[name] = env[var]
    kinds = {f.name: f.type for f in fields(KioskConfig)}
    unknown = set(values) - set(kinds)
    if unknown:
        raise ValueError(f"kiosk config: unknown keys {', '.join(sorted(unknown))}")
    cfg = KioskConfig(**{k: _coerce(k, v, kinds[k]) for k, v in values.items()})
    cfg.source_path = str(Path(path).resolve()) if path else ""
    if cfg.print_mode not in ("text", "image"):
        raise ValueError("kiosk config print_mode: text or image")
    if cfg.language not in ("zh", "en"):
        raise ValueError("kiosk config language: zh or en")
    cfg.server = cfg.server.rstrip("/")
    return cfg


def save_connection(cfg: KioskConfig) -> str | None:
    """Write server URL and token (changed on the admin screen) back to the config file.
    Only the [server] url/token lines are replaced; the rest of the file is kept."""
    if not cfg.source_path:
        return None
    p = Path(cfg.source_path)
    lines = p.read_text(encoding="utf-8").splitlines()
    out, section, done = [], "", set()
    for line in lines:
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            if section == "server":
                out += [f'{k} = "{v}"' for k, v in (("url", cfg.server), ("token", cfg.device_token))
                        if k not in done]
                done.update(("url", "token"))
            section = s.strip("[]").strip()
        key = s.split("=", 1)[0].strip() if "=" in s else ""
        if section == "server" and key in ("url", "token"):
            out.append(f'{key} = "{cfg.server if key == "url" else cfg.device_token}"')
            done.add(key)
            continue
        out.append(line)
    if "url" not in done or "token" not in done:
        if section != "server":
            out += ["", "[server]"]
        out += [f'{k} = "{v}"' for k, v in (("url", cfg.server), ("token", cfg.device_token))
                if k not in done]
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return str(p)
