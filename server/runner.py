"""Serving the app (Linux and Windows): gevent's WSGI server with the hall's limits, the Flask app
in a pool of worker threads, event streams held by one loop (server/serving), and the maintenance
loop beside it."""
from __future__ import annotations

import logging
import os
import signal
import threading

from .services import maintenance, outbox

log = logging.getLogger("hallq")


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return (host or "0.0.0.0"), int(port)


def raise_open_files_limit() -> int | None:
    """Each event stream is a socket: lift the soft limit on open files to the hard one (POSIX)."""
    try:
        import resource
    except ImportError:  # Windows: no per-process descriptor limit to lift
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def freeze_startup_objects() -> int:
    """Move everything alive after start-up (modules, the app, SQLAlchemy's tables and compiled
    statements, ~100,000 objects) out of the cyclic garbage collector's reach. They live as long
    as the process; without this, each full collection walked them all and stopped the server
    for 50-90 ms, a hall's calls queueing behind it (bench_events.py's busy hall). Returns how
    many objects were frozen."""
    import gc
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def serve(app, listen: str | None = None, threads: int | None = None):
    """Serve until SIGTERM/Ctrl-C: gevent's WSGI server (server/serving), the app in `threads`
    worker threads (HALLQ_THREADS, default 32), every event stream held by the loop."""
    import gevent
    from gevent import signal_handler

    from .serving.http import HallServer
    from .serving.limits import Limits
    from .serving.streams import StreamHub

    host, port = parse_listen(listen or os.environ.get("HALLQ_LISTEN", "0.0.0.0:8080"))
    threads = threads or int(os.environ.get("HALLQ_THREADS", "32"))
    ctx = app.extensions["hallq"]
    stop = threading.Event()
    threading.Thread(target=maintenance.loop, args=(ctx, stop), daemon=True,
                     name="hallq-maintenance").start()
    outbox.start(ctx, stop)  # posts the 好差评 records to the province (a hall with a [province] url)
    ctx.db.checkpoint_in_background(stop)
    files = raise_open_files_limit()
    limits = Limits.from_env()
    ctx.bus.refresh_in_background = True  # answers do not wait for the bus to read the new rows
    hub = StreamHub(ctx.bus, heartbeat_s=float(os.environ.get("HALLQ_SSE_HEARTBEAT_S", "15")),
                    later_s=float(os.environ.get("HALLQ_SSE_LATER_MS", "30")) / 1000)
    server = HallServer((host, port), app, limits=limits, hub=hub, threads=threads)
    server.init_socket()
    log.info("hallq listening on http://%s:%d (%s, %d threads, open-files limit %s)",
             host, port, ctx.db.kind, threads, files)
    print(f"hallq: serving on http://{host}:{port}/ ({ctx.db.kind})", flush=True)

    def _shutdown(*_args):
        # open event streams end first, then the server stops (clients reconnect elsewhere)
        if ctx.bus:
            ctx.bus.stop()
        gevent.spawn(server.stop, 5)

    if threading.current_thread() is threading.main_thread():
        try:  # POSIX: a signal handled inside the loop
            handlers = [signal_handler(signal.SIGTERM, _shutdown), signal_handler(signal.SIGINT, _shutdown)]
        except (AttributeError, ValueError, OSError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            handlers = []
    else:
        handlers = []
    freeze_startup_objects()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for h in handlers:
            h.cancel()
        stop.set()
        if ctx.bus:
            ctx.bus.stop()
