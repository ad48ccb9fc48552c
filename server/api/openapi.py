"""GET /api/openapi.json, generated from the routes and their @openapi annotations."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from .. import __version__
from . import schemas as S

bp = Blueprint("api_openapi", __name__)


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build(app) -> dict:
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "_openapi", None)
        if meta is None:
            continue
        params = []
        for name in rule.arguments:
            typ = "integer" if re.search(rf"<int:{name}>", rule.rule) else "string"
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": typ}})
        params += [q for q in meta["query"] if q.get("in") == "query"]
        params += meta["headers"]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {"summary": meta["summary"], "operationId": f"{rule.endpoint}_{method.lower()}",
                  "tags": meta["tags"], "description": f"Access: {meta['access']}.",
                  "parameters": params, "responses": {}}
            for code, resp in meta["responses"].items():
                r = dict(resp)
                if code.startswith("4"):
                    r["content"] = {"application/json": {"schema": S.ERROR}}
                else:
                    types = meta["content_type"]
                    types = [types] if isinstance(types, str) else types
                    r["content"] = {ct: {"schema": {"type": "string"} if ct.startswith("text/") else {}}
                                    for ct in types}
                op["responses"][code] = r
            if meta["body"] is not None:
                op["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": meta["body"]}}}
            if meta["access"] != "anyone":
                op["security"] = [{"bearer": []}]
            paths.setdefault(_path(rule.rule), {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "hallq API", "version": __version__,
                 "description": "Queue calling for government service halls. Errors are "
                                "{\"error\", \"message\"} with a 4xx."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": S.ERROR, "Ticket": S.TICKET}},
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(build(current_app))
