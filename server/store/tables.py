"""The tables. Timestamps are naive UTC; `day` columns are hall-local dates (YYYY-MM-DD)."""
from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index,
                        Integer, MetaData, String, Table, Text, UniqueConstraint)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer, "sqlite")

halls = Table(
    "halls", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("config", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

services = Table(
    "services", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("prefix", String(4), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("config", JSON, nullable=False),
    UniqueConstraint("hall_id", "code", name="uq_services_hall_code"),
)

windows = Table(
    "windows", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("services", JSON, nullable=False),
    Column("policy", String(20), nullable=False, default="ordered"),
    Column("active", Boolean, nullable=False, default=True),
    # closed (nobody signed in) | open | paused
    Column("status", String(16), nullable=False, default="closed"),
    Column("pause_reason", String(200)),
    Column("paused_at", DateTime),
    Column("staff_id", Integer, ForeignKey("users.id")),
    Column("signed_in_at", DateTime),
    Column("current_ticket_id", BigId),
    Column("priority_streak", Integer, nullable=False, default=0),
    UniqueConstraint("hall_id", "number", name="uq_windows_hall_number"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # staff | manager | admin
    Column("password_hash", String(200), nullable=False),
    Column("hall_id", Integer, ForeignKey("halls.id")),  # None: every hall (admin)
    Column("windows", JSON, nullable=False),  # window numbers where a staff member may sign in
    Column("staff_no", String(32)),
    Column("duties", String(200)),
    Column("photo", String(200)),  # file name under var/photos or assets/images
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # kiosk | display | evaluator | keypad
    Column("windows", JSON, nullable=False),  # evaluator/keypad: the windows it stands at ([] = any)
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("hall_id", "name", name="uq_devices_hall_name"),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the bearer token
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("device_id", Integer, ForeignKey("devices.id")),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime),  # None: until revoked (devices)
    Column("revoked_at", DateTime),
)

tickets = Table(
    "tickets", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("day", String(10), nullable=False),  # hall-local date of issue
    Column("service", String(32), nullable=False),  # current service code (changes on transfer)
    Column("first_service", String(32), nullable=False),
    Column("number", String(12), nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(16), nullable=False),  # kiosk | staff | appointment | phone
    Column("priority", String(32)),  # elderly | disabled | ... (None: ordinary)
    Column("appointment_id", Integer),
    Column("id_hash", String(64)),  # keyed hash of the ID number (never the number itself)
    Column("id_masked", String(24)),
    Column("token", String(32), nullable=False, unique=True),  # for /t/{token} (status on a phone)
    Column("idempotency_key", String(128)),
    Column("issued_by", String(80)),
    Column("queued_at", DateTime, nullable=False),  # place in line; kept on transfer
    Column("issued_at", DateTime, nullable=False),
    Column("called_at", DateTime),  # first call
    Column("last_called_at", DateTime),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    Column("window", Integer),
    Column("staff_id", Integer),
    Column("recalls", Integer, nullable=False, default=0),
    Column("transfers", Integer, nullable=False, default=0),
    Column("outcome", String(16)),
    Column("due_date", Date),  # 承诺件: promised date
    Column("delivered_at", DateTime),
    Column("delivered_by", Integer),
    Column("note", Text),
    # The wait estimate given at issue (printed, shown), kept to measure its accuracy (docs/kpis.md).
    Column("estimated_wait_s", Integer),
    Column("estimated_wait_low_s", Integer),
    Column("estimated_wait_high_s", Integer),
    # 首问负责: the window (and who was at it) that first called the ticket; kept across transfers.
    Column("first_window", Integer),
    Column("first_staff_id", Integer),
    UniqueConstraint("hall_id", "day", "number", name="uq_tickets_hall_day_number"),
    UniqueConstraint("hall_id", "idempotency_key", name="uq_tickets_hall_idem"),
)
Index("ix_tickets_queue", tickets.c.hall_id, tickets.c.status, tickets.c.service, tickets.c.queued_at)
Index("ix_tickets_hall_issued", tickets.c.hall_id, tickets.c.issued_at)
Index("ix_tickets_hall_day", tickets.c.hall_id, tickets.c.day)
Index("ix_tickets_promised", tickets.c.hall_id, tickets.c.outcome, tickets.c.due_date)

counters = Table(
    "counters", metadata,
    Column("hall_id", Integer, primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("prefix", String(4), primary_key=True),
    Column("last", Integer, nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("type", String(40), nullable=False),
    Column("ticket_id", BigId),
    Column("window", Integer),
    Column("actor", String(80)),  # user:12, device:3, system
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_events_hall_id", events.c.hall_id, events.c.id)
Index("ix_events_ticket", events.c.ticket_id)

ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    # 一次一评: one rating per visit. None: a complaint or rating staff recorded (12345 hotline,
    # 意见箱, 现场) that names no visit, only what is known (service, window, staff, visit_day)
    Column("ticket_id", BigId, nullable=True, unique=True),
    Column("window", Integer),
    Column("staff_id", Integer),
    Column("service", String(32)),
    Column("level", Integer),  # 1..5; None: a complaint (投诉), which is no rating level
    Column("reasons", JSON, nullable=False),
    Column("comment", Text),
    Column("source", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("visit_day", Date),  # the visit's hall-local day, when known
    Column("recorded_by", Integer),  # the member of staff who wrote a recorded one down
    # a recorded one's Idempotency-Key (scoped to the sender, hashed): a retry is not a second record
    Column("idempotency_key", String(64)),
)
Index("ix_ratings_hall_created", ratings.c.hall_id, ratings.c.created_at)
Index("uq_ratings_idempotency_key", ratings.c.idempotency_key, unique=True)

review_cases = Table(
    "review_cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("rating_id", Integer, nullable=False, unique=True),
    Column("ticket_id", BigId),  # None: the complaint named no visit
    Column("status", String(16), nullable=False),  # open | closed | voided
    Column("opened_at", DateTime, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("closed_at", DateTime),
    Column("void_reason", Text),
)

review_steps = Table(
    "review_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("review_cases.id"), nullable=False),
    Column("step", String(16), nullable=False),  # verify | rectify | callback | void
    Column("text", Text, nullable=False),
    Column("user_id", Integer),
    Column("created_at", DateTime, nullable=False),
)

appointments = Table(
    "appointments", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("service", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot", String(11), nullable=False),  # 09:00-09:30
    Column("name_masked", String(40)),
    Column("name_enc", Text),  # kept for the hall to call the resident; purged after retention
    Column("phone_masked", String(20)),
    Column("phone_enc", Text),
    Column("id_hash", String(64), nullable=False),
    Column("id_masked", String(24), nullable=False),
    Column("status", String(16), nullable=False),  # booked | cancelled | checked_in | no_show
    Column("ticket_id", BigId),
    Column("created_at", DateTime, nullable=False),
    Column("cancelled_at", DateTime),
    Column("checked_in_at", DateTime),
    # keyed hashes (HMAC with the secret key) of the phone number and the booking's address, for
    # the hourly booking limits only; erased with the other personal data after retention
    Column("phone_hash", String(64)),
    Column("addr_hash", String(64)),
)
Index("ix_appointments_phone", appointments.c.hall_id, appointments.c.phone_hash,
      appointments.c.created_at)
Index("ix_appointments_addr", appointments.c.hall_id, appointments.c.addr_hash,
      appointments.c.created_at)
Index("ix_appointments_slot", appointments.c.hall_id, appointments.c.service, appointments.c.day,
      appointments.c.slot, appointments.c.status)

device_faults = Table(
    "device_faults", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("device_id", Integer),
    Column("device_name", String(64)),
    Column("kind", String(32), nullable=False),  # paper_out | cover_open | offline | ...
    Column("message", Text),
    Column("created_at", DateTime, nullable=False),
    Column("cleared_at", DateTime),
)

# Statistics (docs/kpis.md): one roll-up per hall and closed day, so a month's report reads ~30 rows
# instead of ~100,000 tickets. `data` holds per-service/window/staff aggregates and wait lists.
stats_daily = Table(
    "stats_daily", metadata,
    Column("hall_id", Integer, ForeignKey("halls.id"), primary_key=True),
    Column("day", String(10), primary_key=True),  # hall-local date
    Column("version", Integer, nullable=False),  # bumped when a definition changes: recomputed
    Column("rating_watermark", BigInteger, nullable=False),  # ratings with a higher id are added live
    Column("data", JSON, nullable=False),
    Column("computed_at", DateTime, nullable=False),
)
Index("ix_events_hall_created", events.c.hall_id, events.c.created_at)
# covering: a month's 承诺件 counts are read from the index alone
Index("ix_tickets_hall_outcome_day", tickets.c.hall_id, tickets.c.outcome, tickets.c.day, tickets.c.due_date,
      tickets.c.delivered_at, tickets.c.service, tickets.c.window, tickets.c.staff_id)
Index("ix_review_cases_ticket", review_cases.c.ticket_id)

# A hall's own holidays and make-up workdays (放假/调休) for years the chinese-calendar package does
# not know yet, entered on /admin (docs/operations.md: the yearly calendar procedure).
calendar_days = Table(
    "calendar_days", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # holiday | workday
    Column("name", String(64)),
    Column("created_by", Integer),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("hall_id", "day", name="uq_calendar_days_hall_day"),
)

# 帮办代办: requests the hall handles on a resident's behalf (docs/window.md). The resident's phone
# is kept masked for lists and sealed (Fernet, var/contact.key) for the agent who must reach them.
assist_requests = Table(
    "assist_requests", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("service", String(32), nullable=False),
    Column("matter", String(200), nullable=False),  # what is to be done (事项)
    Column("source", String(16), nullable=False),  # desk | kiosk | phone | hotline
    Column("status", String(16), nullable=False),
    Column("name_masked", String(32)),
    Column("phone_masked", String(16)),
    Column("phone_sealed", Text),
    Column("village", String(100)),  # where a home visit goes (村/社区), no street address
    Column("delivery", String(16), nullable=False),  # pickup | home | post
    Column("note", Text),
    Column("agent_id", Integer, ForeignKey("users.id")),
    Column("created_by", String(32)),
    Column("created_at", DateTime, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("started_at", DateTime),
    Column("done_at", DateTime),
    Column("delivered_at", DateTime),
    Column("cancelled_at", DateTime),
    Column("cancel_reason", Text),
    Column("idempotency_key", String(128)),  # scoped to the sender (a kiosk's retry is one request)
)
Index("ix_assist_requests_hall_status", assist_requests.c.hall_id, assist_requests.c.status)
Index("uq_assist_requests_hall_idem", assist_requests.c.hall_id, assist_requests.c.idempotency_key,
      unique=True)

# Device heartbeats (last seen): one row per device program (kiosk, announcer, LED bridge, keypad
# bridge, display page, evaluator page). `key` is "device:<id>:<program>" for a device with a
# token, "name:<program>:<name>" for a page or bridge without one (display kind only).
device_presence = Table(
    "device_presence", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("key", String(120), nullable=False),
    Column("device_id", Integer, ForeignKey("devices.id")),
    Column("name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # kiosk | display | evaluator | keypad
    Column("program", String(32), nullable=False),  # kiosk | announcer | led | keypads | display-page | ...
    Column("version", String(32)),
    Column("status", String(16), nullable=False),  # ok | degraded (the device's own word)
    Column("detail", String(200)),
    Column("address", String(64)),  # the device's IP address as the server saw it
    Column("first_seen_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("beats", Integer, nullable=False),
    UniqueConstraint("hall_id", "key", name="uq_device_presence_hall_key"),
)

# A ticket the front desk (导办台) asked a kiosk to print: the kiosk fetches its pending jobs and
# says when each was printed (or failed, so the desk can print it another way).
print_jobs = Table(
    "print_jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False),
    Column("ticket_id", BigId, ForeignKey("tickets.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | printed | failed
    Column("requested_by", String(80)),
    Column("created_at", DateTime, nullable=False),
    Column("done_at", DateTime),
    Column("error", String(200)),
)
Index("ix_print_jobs_device", print_jobs.c.device_id, print_jobs.c.status)

# 一次性告知单: the one written list of missing papers a resident takes away when a case is returned
# (退回/补正), so no second trip is wasted. One per ticket; the ticket's token opens it on a phone.
notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("ticket_id", BigId, ForeignKey("tickets.id"), nullable=False),
    Column("missing", JSON, nullable=False),  # material names, from the service's guide
    Column("note", Text),
    Column("window", Integer),
    Column("created_by", String(32)),
    Column("created_at", DateTime, nullable=False),
    Column("printed_at", DateTime),
    UniqueConstraint("ticket_id", name="uq_notices_ticket"),
)

# The window's case system (一窗受理/办件系统) ties a visit to the case it accepted: 办件编号,
# 事项编码, 事项名称; the rating of that visit is reported to the province with them.
visit_cases = Table(
    "visit_cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("ticket_id", BigId, ForeignKey("tickets.id"), nullable=False),
    Column("window", Integer),
    Column("case_no", String(64), nullable=False),  # 办件编号
    Column("item_code", String(64)),  # 事项编码
    Column("item_name", String(200)),  # 事项名称
    Column("device", String(64)),
    Column("attached_at", DateTime, nullable=False),
    UniqueConstraint("ticket_id", name="uq_visit_cases_ticket"),
)

# Records for the province's 好差评 system, written in the same transaction as the rating or the
# review-case step they report; a worker posts them (server/services/outbox.py). `record_id` is
# stable, so a record sent twice is the same record to the receiver.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("record_id", String(96), nullable=False),
    Column("kind", String(16), nullable=False),  # rating | case | step
    Column("rating_id", Integer),
    Column("record", JSON, nullable=False),  # the hall's own field names; mapped when sent
    Column("status", String(16), nullable=False),  # pending | sent
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", DateTime, nullable=False),
    Column("last_error", String(300)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("record_id", name="uq_outbox_record_id"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_try_at)

# 回访: the phone number a resident who rated badly chose to leave (consent given on screen), sealed
# with Fernet (services/contact.py); shown whole only to a manager working the case (each look an
# event), erased with the case's personal data at retention (services/privacy.py).
case_contacts = Table(
    "case_contacts", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("case_id", Integer, ForeignKey("review_cases.id"), nullable=False),
    Column("phone_masked", String(16)),
    Column("phone_sealed", Text),
    Column("consent_at", DateTime, nullable=False),
    Column("erased_at", DateTime),
    UniqueConstraint("case_id", name="uq_case_contacts_case"),
)

# 回访: how the call back of a bad review went (the callback step's structured record).
callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("case_id", Integer, ForeignKey("review_cases.id"), nullable=False),
    Column("step_id", Integer, ForeignKey("review_steps.id"), nullable=False),
    Column("channel", String(16), nullable=False),  # phone | sms | visit | wechat | other
    Column("called_at", DateTime, nullable=False),
    Column("result", String(16), nullable=False),  # reached | unreachable | declined
    Column("satisfaction", String(16)),  # satisfied | basically | dissatisfied (with the rectification)
)

# 模拟排班: a manager's what-if staffing runs (services/simulations.py). In the database, so any server
# process answers the dashboard's polls; a run is played by a child of the process that started it.
# Rows go after a day.
simulation_runs = Table(
    "simulation_runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("hall_id", Integer, ForeignKey("halls.id"), nullable=False),
    Column("started_by", String(40), nullable=False),  # the manager's actor ("user:12")
    Column("status", String(12), nullable=False),  # running | done | failed
    Column("progress", Float, nullable=False),  # 0..1: the share of the residents issued so far
    Column("request", JSON, nullable=False),  # {day: {kind, date | sample, name}, changes, seed}
    Column("result", JSON),  # the comparison (simulation/whatif.py)
    Column("sheets", JSON),  # the xlsx's sheets: title -> [columns, rows]
    Column("error", JSON),  # {error, message, message_zh, message_en}
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
)
Index("ix_simulation_runs_hall_created", simulation_runs.c.hall_id, simulation_runs.c.created_at)
# One run "running" per hall, kept by the database: two server processes starting a run for one hall at
# the same instant cannot both pass the limit (migration 0022).
Index("uq_simulation_runs_hall_running", simulation_runs.c.hall_id, unique=True,
      postgresql_where=simulation_runs.c.status == "running", sqlite_where=simulation_runs.c.status == "running")
