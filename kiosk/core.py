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

import ipaddress
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

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
    duplicate: bool = False  # the server replayed a ticket this kiosk had already printed
    qr_url: str | None = None
    timings: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.ticket is not None


@dataclass
class AssistOutcome:
    request: dict | None = None  # the server's answer (masked name and phone, due date)
    error: ApiError | None = None
    unreachable: bool = False
    printed: bool = False
    fault: str | None = None


def usable_public_url(url: str) -> str | None:
    """url without a trailing slash, or None when empty, malformed or a loopback address
    (a phone on the hall's Wi-Fi cannot open http://127.0.0.1/...)."""
    url = (url or "").strip().rstrip("/")
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified:
            return None
    except ValueError:
        pass  # a host name
    return url


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
        self._printed: deque = deque(maxlen=200)  # ids of tickets this kiosk printed
        self._desk_lock = threading.Lock()  # one round of front-desk print jobs at a time

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
    def priority_for(self, id_number: str | None) -> str | None:
        """The group the hall's rule (from the server) gives this ID, for what the home screen says
        before the ticket; the server decides the ticket's priority itself."""
        from rules import priority
        return priority.from_id_number(
            id_number, self.local_today(), self.hall.get("priority_groups") or priority.DEFAULT_GROUPS,
            self.hall.get("elderly_age") or priority.DEFAULT_ELDERLY_AGE)

    def take_ticket(self, service: str, id_number: str | None = None, on_printing=None,
                    lang: str = "zh") -> Outcome:
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
        return self._print(out, on_printing, lang)

    def check_in(self, code: str | None = None, id_number: str | None = None,
                 on_printing=None, lang: str = "zh") -> Outcome:
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
        return self._print(Outcome(ticket=ticket), on_printing, lang)

    def request_assist(self, form, lang: str = "zh") -> "AssistOutcome":
        """Send a 帮办代办 request (kiosk/assist.py AssistForm) and print its slip. Blocking.
        Sending the same form again after "unreachable" reuses the Idempotency-Key, so a request
        that reached the server before the timeout stays one request."""
        action = ("assist", form.service["code"], form.matter_text(), form.phone)
        key = self.key_for(action)
        try:
            request = self.client.assist(form.body(), key)
        except ServerUnreachable:
            return AssistOutcome(unreachable=True)
        except ApiError as exc:
            self.forget_key(action)
            return AssistOutcome(error=exc)
        self.forget_key(action)
        out = AssistOutcome(request=request)
        if self.printer is not None:
            out.printed, out.fault = self._print_slip(request, form, lang)
        return out

    def _print_slip(self, request: dict, form, lang: str) -> tuple[bool, str | None]:
        from hardware.printer import PrinterFault
        from hardware.slip import print_slip
        from .assist import slip
        try:
            print_slip(self.printer, slip(request, form, self.hall, lang, self.local_time(request.get("created_at"))))
        except PrinterFault as fault:
            log.warning("assist slip %s not printed: %s", request.get("id"), fault)
            self.report_fault(fault.status.value, str(fault))
            return False, fault.status.value
        except Exception as exc:  # a driver bug must not lose the request
            log.exception("printing the assist slip failed")
            self.report_fault("error", f"{exc.__class__.__name__}: {exc}")
            return False, "error"
        if self.open_fault:
            self.clear_fault()
        return True, None

    # ------------------------------------------------------------ printing
    @property
    def public_url(self) -> str | None:
        """Where phones reach the server: the hall's public_url (or this kiosk's override);
        None when unset or a loopback address, and then no QR is printed or shown."""
        return usable_public_url(self.cfg.public_url or self.hall.get("public_url") or "")

    def qr_url(self, ticket: dict) -> str | None:
        base = self.public_url
        path = ticket.get("track_url") or (f"/t/{ticket['token']}" if ticket.get("token") else None)
        return base + path if base and path else None

    def ticket_text(self, ticket: dict, lang: str = "zh"):
        from .ticket_text import ticket_text
        return ticket_text(ticket, self.service(ticket.get("service", "")), self.hall, lang,
                           self.local_time(ticket.get("issued_at")))

    def ticket_print(self, ticket: dict, lang: str = "zh"):
        from hardware.printer import TicketPrint
        tt = self.ticket_text(ticket, lang)
        return TicketPrint(
            hall_name=tt.hall, service_name=tt.service, number=tt.number,
            ahead=int(ticket.get("ahead") or 0), wait_minutes=None, issued_at=tt.issued_at,
            qr_url=self.qr_url(ticket), notice_lines=tt.notice, lang=lang, ahead_text=tt.ahead,
            wait_text=tt.wait, windows_text=tt.windows, priority_mark=tt.priority,
            pass_rule=tt.pass_rule, qr_caption=tt.qr_caption)

    def local_time(self, iso_utc: str | None) -> str:
        """The issue time in the hall's timezone, as printed on the ticket."""
        try:
            from zoneinfo import ZoneInfo
            dt = datetime.fromisoformat((iso_utc or "").replace("Z", "")).replace(tzinfo=timezone.utc)
            dt = dt.astimezone(ZoneInfo(self.hall.get("timezone") or "Asia/Shanghai"))
        except (ValueError, KeyError, ImportError):
            dt = datetime.now()
        return dt.strftime("%Y-%m-%d %H:%M")

    def _print(self, out: Outcome, on_printing=None, lang: str = "zh") -> Outcome:
        out.qr_url = self.qr_url(out.ticket)
        if self.printer is None:
            return out  # no printer fitted: the ticket is shown on screen
        ticket_id = out.ticket.get("id")
        if out.ticket.get("replayed") and ticket_id in self._printed:
            out.duplicate = True  # the same card or tap again: shown, not printed twice
            return out
        from hardware.printer import PrinterFault
        if on_printing:
            on_printing(out.ticket)
        t0 = time.perf_counter()
        try:
            self.printer.print_ticket(self.ticket_print(out.ticket, lang))
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
        self._printed.append(ticket_id)
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

    # ------------------------------------------------------------ tickets sent from the front desk
    def print_desk_jobs(self) -> int:
        """Print the tickets the front desk (导办台) sent here and tell the server each one's fate
        (a failure lets the desk print it another way). Returns how many were printed. Called off
        the UI thread while the kiosk stands idle on its home screen."""
        if not self._desk_lock.acquire(blocking=False):
            return 0
        try:
            try:
                jobs = self.client.print_jobs()
            except (ServerUnreachable, ApiError) as exc:
                log.info("print jobs not fetched: %s", exc)
                return 0
            printed = 0
            for job in jobs or []:
                ok, error = self._print_desk_ticket(job.get("ticket") or {})
                try:
                    self.client.print_job_done(job["id"], ok, error)
                except (ServerUnreachable, ApiError) as exc:
                    log.warning("print job %s: result not sent: %s", job.get("id"), exc)
                    break  # asked again on the next round; the server still holds it pending
                printed += ok
            return printed
        finally:
            self._desk_lock.release()

    def _print_desk_ticket(self, ticket: dict) -> tuple[bool, str | None]:
        if self.printer is None:
            return False, "no printer"
        from hardware.printer import PrinterFault
        try:
            self.printer.print_ticket(self.ticket_print(ticket))
        except PrinterFault as fault:
            self.report_fault(fault.status.value, str(fault))
            return False, fault.status.value
        except Exception as exc:  # a driver bug must not leave the job pending for ever
            log.exception("desk ticket not printed")
            return False, exc.__class__.__name__
        return True, None

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests: wait until queued fault reports were sent."""
        deadline = time.monotonic() + timeout
        while not self._jobs.empty() and time.monotonic() < deadline:
            time.sleep(0.02)
