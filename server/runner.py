"""Serving the app on waitress (Linux and Windows), sized for many event-stream clients.

Each SSE client holds one waitress thread, so the pool is large (HALLQ_THREADS, default 700) and
the connection limit above it; idle threads cost little memory.
"""
from __future__ import annotations

import logging
import os
import signal
import threading

from .services import maintenance

log = logging.getLogger("hallq")


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return (host or "0.0.0.0"), int(port)


def serve(app, listen: str | None = None, threads: int | None = None):
    from waitress import serve as waitress_serve
    host, port = parse_listen(listen or os.environ.get("HALLQ_LISTEN", "0.0.0.0:8080"))
    threads = threads or int(os.environ.get("HALLQ_THREADS", "700"))
    ctx = app.extensions["hallq"]
    stop = threading.Event()
    threading.Thread(target=maintenance.loop, args=(ctx, stop), daemon=True,
                     name="hallq-maintenance").start()
    log.info("hallq listening on http://%s:%d (%s, %d threads)", host, port, ctx.db.kind, threads)
    print(f"hallq: serving on http://{host}:{port}/ ({ctx.db.kind})", flush=True)
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C and a service manager's stop (systemd, the demo's parent) shut down cleanly: open
        # event streams end first (else waitress waits for their threads), then the server stops
        # and the demo stops its kiosk and announcer
        def _interrupt(signum, frame):
            if ctx.bus:
                ctx.bus.stop()
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
    try:
        waitress_serve(app, host=host, port=port, threads=threads,
                       connection_limit=threads + 300, channel_timeout=120, ident="hallq",
                       asyncore_use_poll=True, clear_untrusted_proxy_headers=True)
    finally:
        stop.set()
        if ctx.bus:
            ctx.bus.stop()
