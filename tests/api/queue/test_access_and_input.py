"""Who may do what (an authorization matrix over every core endpoint), bad input on every
endpoint (always a JSON 4xx, never a 500), and the OpenAPI document kept true to the routes."""
from __future__ import annotations

import pytest

ROLES = ["anonymous", "kiosk", "display", "evaluator", "keypad", "staff", "other_staff", "manager",
         "admin"]
EVERYONE = set(ROLES)


@pytest.fixture
def hall(api):
    api.add_device("display", "display")
    api.add_device("evaluator", "evaluator", [1])
    api.add_device("keypad", "keypad", [1])
    api.add_staff("staff", [1])
    api.add_staff("other_staff", [2])
    api.add_staff("manager", [], role="manager")
    api.add_staff("admin", [], role="admin")
    assert api.act(1, "sign-in", "staff").status == 200
    assert api.act(2, "sign-in", "other_staff").status == 200
    done = api.issue("social").body
    api.act(1, "call-next", "staff")
    api.act(1, "finish", "staff", {"outcome": "immediate"})
    api.done_id = done["id"]
    api.track_token = done["token"]
    return api


def _token(role):
    return None if role == "anonymous" else role


def matrix(api):
    hp = api.hp
    return [
        ("GET", "/api/v1/health", None, EVERYONE),
        ("GET", hp("/services"), None, EVERYONE),
        ("GET", hp("/windows"), None, EVERYONE),
        ("GET", hp("/windows/1"), None, EVERYONE),
        ("GET", f"/api/v1/track/{api.track_token}", None, EVERYONE),
        ("GET", "/api/openapi.json", None, EVERYONE),
        ("POST", hp("/tickets"), {"service": "agri"}, {"kiosk", "staff", "other_staff", "manager", "admin"}),
        ("GET", hp(f"/tickets/{api.done_id}"), None, {"staff", "other_staff", "manager", "admin"}),
        # the evaluator at window 1 rates its latest visit; others need the ticket's token (below)
        ("POST", hp(f"/tickets/{api.done_id}/rating"), {"level": 4}, {"evaluator"}),
        ("POST", hp("/windows/1/sign-in"), None, {"staff"}),
        ("POST", hp("/windows/1/call-next"), None, {"staff", "keypad"}),
        ("POST", hp("/windows/1/recall"), None, {"staff", "keypad"}),
        ("POST", hp("/windows/1/start"), None, {"staff", "keypad"}),
        ("POST", hp("/windows/1/finish"), {"outcome": "immediate"}, {"staff", "keypad"}),
        ("POST", hp("/windows/1/no-show"), None, {"staff", "keypad"}),
        ("POST", hp("/windows/1/transfer"), {"service": "agri"}, {"staff", "keypad"}),
        ("POST", hp("/windows/1/pause"), {"reason": "会议"}, {"staff", "keypad"}),
        ("POST", hp("/windows/1/resume"), None, {"staff", "keypad"}),
        # the admin page (/admin): managers read, only admins change; rows act on their own account
        # and device, made by the first of them, so the roles above keep their tokens
        ("GET", hp("/users"), None, {"manager", "admin"}),
        ("POST", hp("/users"), {"username": "matrix", "password": "Matrix-2026", "role": "staff"},
         {"admin"}),
        ("PATCH", hp("/users/matrix"), {"duties": "综合受理"}, {"admin"}),
        ("POST", hp("/users/matrix/password"), {"password": "Matrix-2027"}, {"admin"}),
        ("POST", hp("/users/matrix/photo"), {"image": _PNG}, {"admin"}),
        ("POST", hp("/users/matrix/disable"), None, {"admin"}),
        ("POST", hp("/users/matrix/enable"), None, {"admin"}),
        ("GET", hp("/devices"), None, {"manager", "admin"}),
        ("POST", hp("/devices"), {"name": "matrix-kiosk", "kind": "kiosk"}, {"admin"}),
        ("POST", hp("/devices/matrix-kiosk/revoke"), None, {"admin"}),
        ("POST", hp("/devices/matrix-kiosk/token"), None, {"admin"}),
    ]


_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElF"
        "TkSuQmCC")  # a 1×1 PNG


def test_every_role_against_every_endpoint(hall):
    failures = []
    for method, path, body, allowed in matrix(hall):
        for role in ROLES:
            r = hall.request(method, path, _token(role), json=body)
            assert r.status < 500, (method, path, role, r)
            if role in allowed:
                ok = r.status not in (401, 403)
            elif role == "anonymous":
                ok = r.status == 401 and r.body["error"] == "unauthorized"
            else:
                ok = r.status == 403
            if not ok:
                failures.append((method, path, role, r.status, r.body))
            if method == "POST" and r.status < 400 and path.endswith("/pause"):
                hall.act(1, "resume", "staff")  # keep the window usable for the next role
    assert not failures, failures


def test_expired_and_revoked_tokens_are_refused(hall, ctx):
    from datetime import timedelta
    from server.services import auth
    r = hall.post("/api/v1/auth/logout", "manager")
    assert r.status == 200
    again = hall.get(hall.hp(f"/tickets/{hall.done_id}"), "manager")
    assert again.status == 401 and again.body["error"] == "bad_token"
    real_now = ctx.now()
    ctx.clock = lambda: real_now + timedelta(hours=13)
    auth.forget_cached()
    late = hall.get(hall.hp(f"/tickets/{hall.done_id}"), "admin")
    assert late.status == 401
    assert hall.get(hall.hp(f"/tickets/{hall.done_id}"), "not-a-token").status == 401


def test_failed_sign_ins_are_rate_limited(api):
    api.add_staff("victim", [3])
    for _ in range(5):
        assert api.post("/api/v1/auth/login", json={"username": "victim", "password": "wrong-1"}).status == 401
    r = api.post("/api/v1/auth/login", json={"username": "victim", "password": "Passw0rd-demo"})
    assert r.status == 429 and r.body["error"] == "rate_limited"


def test_weak_passwords_are_refused(ctx):
    from server.domain.errors import Invalid
    from server.services import auth
    with pytest.raises(Invalid, match="8"):
        auth.add_user(ctx, "weak", "弱", "staff", "12345678", hall_code="main", windows=[1])


BAD_BODIES = ["{not json", "[1, 2]", '"text"', "null"]


def test_bad_input_on_every_endpoint_is_a_json_4xx(hall):
    hp = hall.hp
    cases = [
        # (method, path, token, json body or raw string, expected status)
        ("POST", "/api/v1/auth/login", None, {"username": 5, "password": []}, 400),
        ("POST", "/api/v1/auth/login", None, {}, 400),
        ("POST", hp("/tickets"), "kiosk", {}, 400),
        ("POST", hp("/tickets"), "kiosk", {"service": 7}, 400),
        ("POST", hp("/tickets"), "kiosk", {"service": "nope"}, 404),
        ("POST", hp("/tickets"), "kiosk", {"service": "social", "id_number": "123"}, 400),
        ("POST", hp("/tickets"), "kiosk", {"service": "social", "id_number": 110}, 400),
        ("POST", hp("/tickets"), "kiosk", {"service": "social", "priority": "vip"}, 400),
        ("POST", hp("/tickets"), "kiosk", {"service": "social", "source": "moon"}, 400),
        ("POST", "/api/v1/halls/nope/tickets", "kiosk", {"service": "social"}, 404),
        ("GET", hp("/tickets/999999"), "staff", None, 404),
        ("GET", hp("/tickets/abc"), "staff", None, 404),
        ("POST", hp(f"/tickets/{hall.done_id}/rating"), "evaluator", {"level": 9}, 400),
        ("POST", hp(f"/tickets/{hall.done_id}/rating"), "evaluator", {"level": "5"}, 400),
        ("POST", hp(f"/tickets/{hall.done_id}/rating"), "evaluator", {"level": 5, "reasons": ["x"]}, 400),
        ("POST", hp("/tickets/424242/rating"), "evaluator", {"level": 5}, 404),
        ("POST", hp("/windows/99/call-next"), "staff", None, 404),
        ("POST", hp("/windows/x/call-next"), "staff", None, 404),
        ("POST", hp("/windows/1/finish"), "staff", {"outcome": "vanished"}, 400),
        ("POST", hp("/windows/1/finish"), "staff", {}, 400),
        ("POST", hp("/windows/1/finish"), "staff", {"outcome": "immediate"}, 409),  # nothing current
        ("POST", hp("/windows/1/transfer"), "staff", {"service": None}, 400),
        ("POST", hp("/windows/1/pause"), "staff", {"reason": ""}, 400),
        ("POST", hp("/windows/1/pause"), "staff", {"reason": "x" * 500}, 400),
        ("POST", hp("/windows/1/resume"), "staff", None, 409),
        ("POST", hp("/windows/1/start"), "staff", None, 409),
        ("GET", "/api/v1/track/unknown-token", None, None, 404),
        ("GET", "/api/v1/halls/nope/services", None, None, 404),
        ("GET", "/api/v1/no/such/path", None, None, 404),
        ("DELETE", hp("/services"), None, None, 405),
    ]
    for method, path, token, body, expected in cases:
        r = hall.request(method, path, token, json=body)
        assert r.status == expected, (method, path, body, r)
        assert set(r.body) == {"error", "message", "message_zh", "message_en"} and r.body["message"], (path, r.body)
    for raw in BAD_BODIES:
        for path, token in [(hp("/tickets"), "kiosk"), (hp("/windows/1/finish"), "staff"),
                            (hp(f"/tickets/{hall.done_id}/rating"), "evaluator"),
                            ("/api/v1/auth/login", None)]:
            r = hall.client.open(path, method="POST", data=raw, content_type="application/json",
                                 headers={"Authorization": f"Bearer {hall.tokens[token]}"} if token else {})
            assert r.status_code == 400, (path, raw, r.status_code)
            assert r.get_json()["error"] in ("invalid_json", "invalid")


def test_a_name_with_markup_is_stored_as_text(api):
    tok = api.add_staff("markup", [5], name="<script>alert(1)</script>")
    api.act(5, "sign-in", tok)
    w = api.get(api.hp("/windows/5")).body
    assert w["staff"]["name"] == "<script>alert(1)</script>"  # data, escaped by every page


def test_openapi_describes_every_api_route(app):
    from openapi_spec_validator import validate
    doc = app.test_client().get("/api/openapi.json").get_json()
    validate(doc)
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    import re
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule == "/api/openapi.json":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, m) not in documented:
                missing.append((m, path))
    assert not missing, f"routes without an @openapi description: {missing}"
    for needed in ["/api/v1/health", "/api/v1/auth/login", "/api/v1/halls/{hall}/services",
                   "/api/v1/halls/{hall}/windows", "/api/v1/halls/{hall}/tickets",
                   "/api/v1/halls/{hall}/tickets/{ticket_id}", "/api/v1/track/{token}",
                   "/api/v1/halls/{hall}/windows/{n}/call-next", "/api/v1/halls/{hall}/events",
                   "/api/v1/halls/{hall}/tickets/{ticket_id}/rating"]:
        assert needed in doc["paths"], needed
