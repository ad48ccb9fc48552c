"""Errors the domain and the services raise; the API maps each to a JSON error and a 4xx."""


class HallqError(Exception):
    """Base: `code` is the machine name, `message` the human text (Chinese first, English after)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class Invalid(HallqError):
    status = 400
    code = "invalid"


class NotFound(HallqError):
    status = 404
    code = "not_found"


class Unauthorized(HallqError):
    status = 401
    code = "unauthorized"


class Forbidden(HallqError):
    status = 403
    code = "forbidden"


class Conflict(HallqError):
    status = 409
    code = "conflict"


class WrongState(Conflict):
    """An action that the ticket's or window's current state does not allow."""

    code = "wrong_state"


class TooMany(HallqError):
    status = 429
    code = "rate_limited"
