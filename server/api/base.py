"""Helpers every blueprint uses: OpenAPI annotations, JSON bodies checked by JSON Schema,
the caller's principal, and JSON errors."""
from __future__ import annotations

import ipaddress
import logging
import os

from flask import current_app, g, jsonify, request
from jsonschema import Draft202012Validator

from ..domain.errors import HallqError, Invalid
from ..services import auth


def hallq():
    return current_app.extensions["hallq"]


def hall_id(code: str) -> int:
    """The id of hall `code` (404 if unknown), from the app's hall cache."""
    return hallq().hall_by_code(code).id


def openapi(summary: str, *, body: dict | None = None, query: list[dict] | None = None,
            responses: dict | None = None, access: str = "anyone", tags: list[str] | None = None,
            headers: list[dict] | None = None,
            content_type: str | list[str] = "application/json"):
    """Describe an endpoint for /api/openapi.json; the body schema is also what the view enforces.
    content_type: the 2xx media type, or a list of them when a query option picks the format."""
    def deco(fn):
        fn._openapi = {"summary": summary, "body": body, "query": query or [], "access": access,
                       "responses": responses or {"200": {"description": "OK"}}, "tags": tags or [],
                       "headers": headers or [], "content_type": content_type}
        return fn
    return deco


log = logging.getLogger("hallq.api")
_validators: dict[int, Draft202012Validator] = {}


def _parse_json():
    """The body parsed, or None when it is not JSON. A body nested deeper than Python's recursion
    limit is bad input too: one log line, never a 500 with a traceback."""
    try:
        return request.get_json(silent=True, force=True)
    except RecursionError:
        log.warning("refused a JSON body nested too deep: %s %s from %s (%d bytes)",
                    request.method, request.path, client_address(), len(request.data))
        raise Invalid("请求体不是有效的 JSON (body is not valid JSON: nested too deep)",
                      code="invalid_json") from None


SAFE_INT = 2**53  # JavaScript's exact range; no count, id or number in a hall comes near it


def _check_numbers(data) -> None:
    """Integers a database column cannot hold are bad input (400), not an overflow inside the
    driver (500). Iterative: the depth is whatever the parser accepted."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= SAFE_INT:
            raise Invalid("数字过大 (a number in the body is too large)", code="invalid_number")


def _problem(e) -> str:
    """A schema error said without the value that was sent: a too-long password, an ID number or a
    name must not come back in the answer (or in a log that keeps answers)."""
    where = ".".join(str(p) for p in e.path) or "body"
    v, arg = e.validator, e.validator_value
    if v == "maxLength":
        return f"{where}: longer than {arg} characters"
    if v == "minLength":
        return f"{where}: shorter than {arg} characters" if arg > 1 else f"{where}: must not be empty"
    if v == "type":
        return f"{where}: must be of type {arg if isinstance(arg, str) else ' or '.join(arg)}"
    if v == "enum":
        return f"{where}: must be one of {', '.join(map(str, arg))}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                "exclusiveMaximum": "less than"}[v]
        return f"{where}: must be {word} {arg}"
    if v in ("required", "additionalProperties", "minProperties", "maxProperties"):
        return f"{where}: {e.message}"[:300]  # names of fields, not values
    if v in ("maxItems", "minItems"):
        return f"{where}: {'at most' if v == 'maxItems' else 'at least'} {arg} items"
    return f"{where}: not valid ({v})"


def json_body(schema: dict | None = None, required: bool = True) -> dict:
    """The request's JSON object, checked against `schema`; Invalid (400) with the first problem."""
    data = _parse_json() if request.data else None
    if data is None:
        if request.data:
            raise Invalid("请求体不是有效的 JSON (body is not valid JSON)", code="invalid_json")
        if required:
            raise Invalid("缺少 JSON 请求体 (a JSON body is required)", code="invalid_json")
        data = {}
    if not isinstance(data, dict):
        raise Invalid("请求体应为 JSON 对象 (body must be a JSON object)", code="invalid_json")
    _check_numbers(data)
    if schema:
        v = _validators.get(id(schema))
        if v is None:
            v = _validators[id(schema)] = Draft202012Validator(schema)
        errors = sorted(v.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            raise Invalid(_problem(errors[0]), code="invalid")
    return data


def _trusted_proxies() -> frozenset[str]:
    out = set()
    for p in os.environ.get("HALLQ_TRUSTED_PROXIES", "").split(","):
        try:
            out.add(str(ipaddress.ip_address(p.strip())))
        except ValueError:
            pass
    return frozenset(out)


def client_address() -> str:
    """Who is asking, for per-address limits: the socket's address, or behind a trusted proxy
    (HALLQ_TRUSTED_PROXIES, e.g. nginx on 127.0.0.1) the X-Real-IP it sets. Otherwise every
    booking and sign-in would seem to come from the proxy and share one budget."""
    addr = request.remote_addr or "-"
    if addr in _trusted_proxies():
        real = request.headers.get("X-Real-IP", "").strip()
        try:
            return str(ipaddress.ip_address(real))
        except ValueError:
            return addr
    return addr


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def principal():
    if "principal" not in g:
        g.principal = auth.principal_for(hallq(), bearer_token())
        if g.principal is not None:  # the event server stops counting this connection as anonymous
            request.environ["hallq.trusted"] = True
    return g.principal


def error_response(err: HallqError):
    resp = jsonify({"error": err.code, "message": err.message, "message_zh": err.message_zh,
                    "message_en": err.message_en})
    resp.status_code = err.status
    if getattr(err, "retry_after", None):
        resp.headers["Retry-After"] = str(err.retry_after)
    return resp
