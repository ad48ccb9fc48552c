"""What the kiosk does when a resident acts, with no UI in it (the Kivy screens call this on a
worker thread and show the Outcome).

The rules it keeps:
- one tap is one ticket: every action gets an Idempotency-Key, and every retry of that action
  (after a timeout, after "server unreachable", after the resident tapped the same service again
  within a couple of minutes) sends the same key, so the server answers with the same ticket;
- nothing is printed that the server did not record: printing starts only after the 2xx;
- a printer that cannot print (paper out, cover open, offline) never loses the ticket: the
  Outcome says so and the screen shows the ticket with its QR; the fault is reported to the
  server for the hall manager, and cleared when the printer prints (or answers fine) again.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from .client import ApiError, KioskClient, ServerUnreachable, new_key
from .config import KioskConfig

log = logging.getLogger(__name__)

PENDING_KEY_S = 120.0  # a re-tap of the same action within this time reuses its key
FAULT_KINDS = {"paper_out", "cover_open", "offline"}


@dataclass
class Outcome:
    ticket: dict | None = None
    error: ApiError | None = None
    unreachable: bool = False
    printed: bool = False
    fault: str | None = None  # printer status value when the ticket was not printed
    qr_url: str | None = None
    timings: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.ticket is not None


class KioskCore:
    def __init__(self, cfg: KioskConfig, client: KioskClient, printer=None, clock=time.monotonic):
        self.cfg, self.client, self.printer, self.clock = cfg, client, printer, clock
        self.hall: dict = {}
        self.services: list[dict] = []
        self._lock = threading.Lock()
        self._keys: dict[tuple, tuple[str, float]] = {}
        self.open_fault: str | None = None
        self._jobs: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="kiosk-faults", daemon=True)
        self._worker.start()
        self._last_printer_check = 0.0

    # ------------------------------------------------------------ hall data
    def refresh(self) -> bool:
        """Reload hall info and services; False when the server is unreachable."""
        try:
            hall = self.client.hall_info()
            services = self.client.services()
        except (ServerUnreachable, ApiError) as exc:
            log.info("refresh failed: %s", exc)
            return False
        with self._lock:
            self.hall, self.services = hall or {}, list(services or [])
        return True

    def service(self, code: str) -> dict | None:
        with self._lock:
            return next((s for s in self.services if s.get("code") == code), None)

    def apply_waiting(self, waiting: dict) -> None:
        """Waiting counts carried by ticket events: tiles update before the next refresh."""
        with self._lock:
            for s in self.services:
                if s.get("code") in waiting:
                    s["waiting"] = waiting[s["code"]]

    def local_today(self) -> date:
        lt = self.hall.get("local_time")
        try:
            return datetime.fromisoformat(lt).date() if lt else date.today()
        except ValueError:
            return date.today()

    # ------------------------------------------------------------ idempotency keys
    def key_for(self, action: tuple) -> str:
        now = self.clock()
        with self._lock:
            self._keys = {a: kv for a, kv in self._keys.items() if now - kv[1] < PENDING_KEY_S}
            if action in self._keys:
                key = self._keys[action][0]
            else:
                key = new_key()
            self._keys[action] = (key, now)
            return key

    def forget_key(self, action: tuple) -> None:
        with self._lock:
            self._keys.pop(action, None)

    # ------------------------------------------------------------ actions
    def take_ticket(self, service: str, id_number: str | None = None, on_printing=None) -> Outcome:
        """Issue a ticket for `service` (with the resident's ID when given) and print it. The server
        puts the resident in a priority group by the hall's rule (rules/priority.py), not the kiosk.
        Blocking: call from a worker thread. ServerUnreachable is reported in the Outcome;
        calling again retries with the same Idempotency-Key."""
        action = ("issue", service, bool(id_number))
        key = self.key_for(action)
        t0 = time.perf_counter()
        try:
            ticket = self.client.issue(service, key, id_number=id_number)
        except ServerUnreachable:
            return Outcome(unreachable=True)
        except ApiError as exc:
            self.forget_key(action)
            return Outcome(error=exc)
        self.forget_key(action)
        out = Outcome(ticket=ticket, timings={"issue_s": time.perf_counter() - t0})
        return self._print(out, on_printing)

    def check_in(self, code: str | None = None, id_number: str | None = None,
                 on_printing=None) -> Outcome:
        """Check an appointment in by its booking code (the QR text) or by the ID number."""
        action = ("checkin", code or "", bool(id_number))
        key = self.key_for(action)
        try:
            ticket = self.client.check_in(key, code=code, id_number=id_number)
        except ServerUnreachable:
            return Outcome(unreachable=True)
        except ApiError as exc:
            self.forget_key(action)
            return Outcome(error=exc)
        self.forget_key(action)
        return self._print(Outcome(ticket=ticket), on_printing)

    # ------------------------------------------------------------ printing
    def qr_url(self, ticket: dict) -> str | None:
        path = ticket.get("track_url") or (f"/t/{ticket['token']}" if ticket.get("token") else None)
        return self.cfg.qr_base + path if path else None

    def ticket_print(self, ticket: dict):
        from hardware.printer import TicketPrint
        svc = self.service(ticket.get("service", "")) or {}
        wait_s = ticket.get("estimated_wait_s")
        notice = [s for s in (self.hall.get("notice") or "").split("。") if s.strip()]
        english = [f"Ticket {ticket['number']} - {ticket.get('ahead', 0)} ahead"
                   + (f", about {round(wait_s / 60)} min." if wait_s else ".")]
        if ticket.get("note_en"):
            english.append(ticket["note_en"])
        return TicketPrint(
            hall_name=ticket.get("hall_name") or self.hall.get("name") or "",
            service_name=ticket.get("service_name") or svc.get("name") or ticket.get("service", ""),
            number=ticket["number"], ahead=int(ticket.get("ahead") or 0),
            wait_minutes=round(wait_s / 60) if wait_s is not None else None,
            issued_at=self.local_time(ticket.get("issued_at")),
            qr_url=self.qr_url(ticket),
            notice_lines=([ticket["note"]] if ticket.get("note") else []) + [s + "。" for s in notice],
            english_lines=english)

    def local_time(self, iso_utc: str | None) -> str:
        """The issue time in the hall's timezone, as printed on the ticket."""
        try:
            from zoneinfo import ZoneInfo
            dt = datetime.fromisoformat((iso_utc or "").replace("Z", "")).replace(tzinfo=timezone.utc)
            dt = dt.astimezone(ZoneInfo(self.hall.get("timezone") or "Asia/Shanghai"))
        except (ValueError, KeyError, ImportError):
            dt = datetime.now()
        return dt.strftime("%Y-%m-%d %H:%M")

    def _print(self, out: Outcome, on_printing=None) -> Outcome:
        out.qr_url = self.qr_url(out.ticket)
        if self.printer is None:
            return out  # no printer fitted: the ticket is shown on screen
        from hardware.printer import PrinterFault
        if on_printing:
            on_printing(out.ticket)
        t0 = time.perf_counter()
        try:
            self.printer.print_ticket(self.ticket_print(out.ticket))
        except PrinterFault as fault:
            out.fault = fault.status.value
            log.warning("ticket %s not printed: %s", out.ticket.get("number"), fault)
            self.report_fault(fault.status.value, str(fault))
            return out
        except Exception as exc:  # a driver bug must not lose the ticket either
            log.exception("printing failed")
            out.fault = "error"
            self.report_fault("error", f"{exc.__class__.__name__}: {exc}")
            return out
        out.printed = True
        out.timings["print_s"] = time.perf_counter() - t0
        if self.open_fault:
            self.clear_fault()
        return out

    # ------------------------------------------------------------ faults (reported off the UI thread)
    def report_fault(self, status: str, message: str) -> None:
        kind = status if status in FAULT_KINDS else "error"
        if self.open_fault == kind:
            return
        self.open_fault = kind
        self._jobs.put(("report", kind, message))

    def clear_fault(self) -> None:
        self.open_fault = None
        self._jobs.put(("clear",))

    def check_printer(self, every_s: float = 20.0) -> None:
        """While a fault is open, ask the printer now and then; clear when it can print."""
        if not self.open_fault or self.printer is None:
            return
        now = self.clock()
        if now - self._last_printer_check < every_s:
            return
        self._last_printer_check = now
        self._jobs.put(("probe",))

    def _work(self) -> None:
        pending: list = []
        while True:
            try:
                job = self._jobs.get(timeout=5.0)
            except queue.Empty:
                job = None
            if job is not None:
                pending.append(job)
            while pending:
                job = pending[0]
                try:
                    if job[0] == "report":
                        self.client.report_fault(job[1], job[2])
                    elif job[0] == "clear":
                        self.client.clear_faults()
                    elif job[0] == "probe":
                        if self.printer.status().can_print and self.open_fault:
                            self.clear_fault()
                except ServerUnreachable:
                    break  # keep it; try again on the next job or in 5 s
                except ApiError as exc:
                    log.warning("fault report refused: %s", exc)
                except Exception:
                    log.exception("fault job failed")
                pending.pop(0)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests: wait until queued fault reports were sent."""
        deadline = time.monotonic() + timeout
        while not self._jobs.empty() and time.monotonic() < deadline:
            time.sleep(0.02)
