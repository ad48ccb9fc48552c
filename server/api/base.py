"""Helpers every blueprint uses: OpenAPI annotations, JSON bodies checked by JSON Schema,
the caller's principal, and JSON errors."""
from __future__ import annotations

from flask import current_app, g, jsonify, request
from jsonschema import Draft202012Validator

from ..domain.errors import HallqError, Invalid
from ..services import auth


def hallq():
    return current_app.extensions["hallq"]


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


_validators: dict[int, Draft202012Validator] = {}


def json_body(schema: dict | None = None, required: bool = True) -> dict:
    """The request's JSON object, checked against `schema`; Invalid (400) with the first problem."""
    data = request.get_json(silent=True, force=True) if request.data else None
    if data is None:
        if request.data:
            raise Invalid("请求体不是有效的 JSON (body is not valid JSON)", code="invalid_json")
        if required:
            raise Invalid("缺少 JSON 请求体 (a JSON body is required)", code="invalid_json")
        data = {}
    if not isinstance(data, dict):
        raise Invalid("请求体应为 JSON 对象 (body must be a JSON object)", code="invalid_json")
    if schema:
        v = _validators.get(id(schema))
        if v is None:
            v = _validators[id(schema)] = Draft202012Validator(schema)
        errors = sorted(v.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = ".".join(str(p) for p in e.path) or "body"
            raise Invalid(f"{where}: {e.message}", code="invalid")
    return data


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def principal():
    if "principal" not in g:
        g.principal = auth.principal_for(hallq(), bearer_token())
    return g.principal


def error_response(err: HallqError):
    resp = jsonify({"error": err.code, "message": err.message, "message_zh": err.message_zh,
                    "message_en": err.message_en})
    resp.status_code = err.status
    return resp
