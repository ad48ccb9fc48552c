"""The server's maintenance: the jobs `server.py run` (and the demo) repeat every few minutes in a
background thread. Each job decides for itself whether anything is due, so running it often is
cheap: once per hall-local day, or only when there is something to close, erase or roll up."""
from __future__ import annotations

import logging
import threading

from . import appointments, backup, privacy, queue
from .stats import daily_rollup

log = logging.getLogger("hallq")

EVERY_S = 600

DAILY_JOBS = (
    queue.close_stale_days,  # tickets left open from earlier days are closed (cancelled / no-show)
    appointments.mark_no_shows,  # bookings nobody checked in become no-shows after their day
    privacy.daily_purge,  # residents' personal data past the hall's retention is erased
    backup.daily_backup,  # one automatic backup per day, the newest HALLQ_BACKUP_KEEP kept
    daily_rollup,  # closed days rolled up before the morning's first report reads them
)


def install(ctx) -> None:
    """Give the running server its maintenance jobs (ctx.daily_jobs)."""
    ctx.daily_jobs = list(DAILY_JOBS)


def run_jobs(ctx) -> None:
    """Each job once; one failing job (e.g. a backup disk full) does not stop the others."""
    for job in list(ctx.daily_jobs):
        try:
            result = job(ctx)
            if job is queue.close_stale_days and result:
                log.info("closed %d tickets left from earlier days", result)
        except Exception:
            log.exception("daily job %s failed", getattr(job, "__name__", job))


def loop(ctx, stop: threading.Event, every_s: float = EVERY_S) -> None:
    """Run the jobs until `stop` is set (the server's maintenance thread)."""
    while not stop.is_set():
        run_jobs(ctx)
        stop.wait(every_s)
