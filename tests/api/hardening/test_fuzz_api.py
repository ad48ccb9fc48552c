"""Fuzzing the API from its own OpenAPI document (schemathesis 4): for every operation, valid and
invalid requests generated from the schema, sent with a token of the role the operation is for,
never get a 5xx, and answers conform to what the document declares (error bodies, content types).
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.api.hardening.helpers import staffed

EXAMPLES = int(os.environ.get("HALLQ_FUZZ_EXAMPLES", "12"))  # per operation and mode (CI: ~40 s)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SKIP = {"/api/v1/halls/{hall}/events"}  # an endless stream: covered by tests/api/queue/test_events.py


def _role_for(op) -> str | None:
    """The token to send: the role the operation's documented access names first."""
    access = (op.definition.raw.get("description") or "").lower()
    path = op.path
    if path == "/api/v1/auth/logout":
        return None  # would revoke the token the other operations use
    if "evaluator" in access:
        return "evaluator"
    if "kiosk" in access:
        return "kiosk"
    if "signed in at the window" in access or "/windows/{n}/" in path:
        return "staff"
    if "admin" in access and "manager" not in access:
        return "admin"
    if "manager" in access:
        return "manager"
    if "staff" in access or "signed-in" in access:
        return "staff"
    return None


@pytest.fixture
def fuzz_hall(api, app):
    staff = staffed(api, (1,))
    api.add_device("evaluator", "evaluator", [1])
    api.add_staff("manager", [], role="manager")
    api.add_staff("admin", [], role="admin")
    for svc in ("social", "agri", "social"):
        api.issue(svc)
    api.act(1, "call-next", staff[1])
    api.act(1, "finish", staff[1], {"outcome": "immediate"})
    api.issue("social")
    api.staff_token = staff[1]
    return api


def test_no_operation_answers_5xx_or_breaks_its_schema(fuzz_hall, app):
    api = fuzz_hall
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    tokens = {"staff": api.tokens[api.staff_token], "kiosk": api.tokens["kiosk"],
              "evaluator": api.tokens["evaluator"], "manager": api.tokens["manager"],
              "admin": api.tokens["admin"]}
    failures, ran = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path in SKIP:
            continue
        role = _role_for(op)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        fixed = {"hall": "main"} if "{hall}" in op.path else {}
        if "/windows/{n}" in op.path:
            fixed["n"] = 1  # the window its staff is signed in at: gets past 403 into the logic
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = op.as_strategy(generation_mode=mode, path_parameters=fixed or None)

            @settings(max_examples=EXAMPLES if mode == GenerationMode.POSITIVE else EXAMPLES // 2, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck),
                      phases=[Phase.explicit, Phase.generate, Phase.shrink])
            @given(case=strategy)
            def run(case):
                if "/windows/{n}/" in op.path and not op.path.endswith("sign-in"):
                    api.act(1, "sign-in", api.staff_token)  # fuzzed sign-outs must not end the run
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
                ran += 1
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's problem, then fail once
                failures.append(f"{op.method.upper()} {op.path} [{mode.value}]: {_describe(exc)}"[:3000])
    assert ran > 50, f"only {ran} operation runs: the schema lost operations?"
    assert not failures, "\n\n".join(failures)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return " | ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def test_what_the_fuzzer_found_stays_fixed(api):
    """Regressions: huge ids in paths overflowed the database driver (500); a quarter in year 0
    or 9999 overflowed date() (500)."""
    api.add_staff("boss", [], role="manager")
    api.add_staff("clerk", [1])
    for path, token in [(api.hp("/tickets/9223372036854775808"), "clerk"),
                        (api.hp("/tickets/2147483648"), "clerk"),
                        (api.hp("/announcements/9223372036854775808.wav"), None),
                        (api.hp("/windows/99999999999999999999"), None)]:
        r = api.get(path, token)
        assert r.status == 404, (path, r)
    for quarter in ("0000Q1", "9999Q4"):
        r = api.get(api.hp(f"/league?quarter={quarter}"), "boss")
        assert r.status == 400 and r.body["error"] == "invalid_quarter", r
