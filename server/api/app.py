"""The application factory: the Flask app serving REST + SSE under /api and pages under /, around a
running hallq (services/context.py)."""
from __future__ import annotations

import logging

from flask import Flask, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..domain.errors import HallqError
from ..services.context import Hallq, create_hallq
from .base import error_response

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: data:; "
       "style-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'")


class BoundedInt(IntegerConverter):
    """<int:…> path parts fit the database's INTEGER columns (ids, window numbers); a larger
    number is an unknown thing (404), not an overflow inside the database driver (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(app_ctx: Hallq | None = None, **kw) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = BoundedInt  # before any rule: every <int:…> is bounded
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    ctx = app_ctx or create_hallq(**kw)
    app.extensions["hallq"] = ctx

    from . import openapi, stream, v1
    app.register_blueprint(v1.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(openapi.bp)
    _register_parts(app)
    from ..web import bp as web_bp
    app.register_blueprint(web_bp)

    @app.errorhandler(HallqError)
    def _hallq_error(err):
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err):
        code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request",
                413: "too_large", 415: "unsupported_media_type"}.get(err.code, "http_error")
        return error_response(HallqError(err.description or err.name, code=code, status=err.code))

    @app.errorhandler(OperationalError)
    def _db_busy(err):
        log.error("database error: %s", err.__class__.__name__)
        return error_response(HallqError("数据库繁忙，请重试 (database busy, retry)", code="busy",
                                         status=503))

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", CSP)
            resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024
    return app


def _register_parts(app):
    """Blueprints of the other parts: review/promised cases, statistics, appointments,
    announcements, devices."""
    from . import (admin, announcements, appointments, assist, cases, desk, devices, estimates, notices, province,
                   recorded, simulations, stats)
    for mod in (cases, stats, appointments, announcements, devices, admin, assist, estimates, desk, notices, province,
                recorded, simulations):
        app.register_blueprint(mod.bp)
