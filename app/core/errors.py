"""One error shape for the whole API: {"code", "message", "detail"}, localised, never a stack trace.

Services raise `AppError` (or a subclass) with a message key from the catalogue; this module turns it,
and every framework or database exception, into that shape once.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError
from tortoise.exceptions import ValidationError as ModelValidationError

from app.core.i18n import request_language, t
from app.core.pages import page

log = structlog.get_logger("microsink.errors")


class AppError(HTTPException):
    """A broken rule a person can act on. `key` names the message; `params` fill it in.

    It is an HTTPException so handlers can list it in `raises=[...]` and the OpenAPI spec documents
    the status; the response body is always built by `handle_app_error`.
    """

    status_code = 400

    def __init__(self, key: str, *, status_code: int | None = None, detail: Any = None, **params: Any) -> None:
        super().__init__(detail=key, status_code=status_code or type(self).status_code)
        self.key = key
        self.params = params
        self.detail = detail


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class Forbidden(AppError):
    status_code = 403


class Unauthorized(AppError):
    status_code = 401


class TooManyRequests(AppError):
    status_code = 429


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail}


def _wants_page(request: Request) -> bool:
    """Pages get an HTML error page; the API (and anything asking for JSON) gets the JSON shape."""
    if request.url.path.startswith(("/api/", "/schema", "/healthz", "/readyz", "/metrics")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> Response:
    if request is not None and _wants_page(request):
        return page(request, "error.html", status_code=status, headers=headers, status=status, message=message)
    return Response(
        content=error_body(code, message, detail),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def handle_app_error(request: Request, exc: AppError) -> Response:
    lang = request_language(request)
    headers = None
    if isinstance(exc, TooManyRequests) and "retry_after" in exc.params:
        headers = {"Retry-After": str(exc.params["retry_after"])}
    return _respond(exc.status_code, exc.key, t(exc.key, lang, **exc.params), exc.detail, headers, request)


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN_FIELD = re.compile(r"contains unknown field `([^`]+)`")
_AT_PATH = re.compile(r"- at `\$\.([^`]+)`")


def _field_name(key: str | None, message: str | None = None) -> str:
    """The field a problem is about: msgspec puts it in the message when the key is only the body."""
    name = (key or "").removeprefix("$.")
    if name and name != "data":
        return name
    for pattern in (_MISSING_FIELD, _UNKNOWN_FIELD, _AT_PATH):
        if message and (found := pattern.search(message)):
            return found.group(1)
    return name or "body"


# msgspec's wording of the common problems, said in Chinese for Chinese requests.
_ZH_PROBLEMS = [
    (re.compile(r"^Object missing required field `([^`]+)`"), "缺少必填字段 {0}"),
    (re.compile(r"^Object contains unknown field `([^`]+)`"), "不认识的字段 {0}，请删除它"),
    (re.compile(r"^Expected `([^`]+)`, got `([^`]+)`"), "类型应为 {0}，实际为 {1}"),
    (re.compile(r"^Expected `str` of length >= (\d+)"), "至少 {0} 个字符"),
    (re.compile(r"^Expected `str` of length <= (\d+)"), "最多 {0} 个字符"),
    (re.compile(r"^Expected `(?:int|float)` >= (-?\d+)"), "不能小于 {0}"),
    (re.compile(r"^Expected `(?:int|float)` <= (-?\d+)"), "不能大于 {0}"),
    (re.compile(r"^Expected `str` matching regex"), "格式不符合要求"),
    (re.compile(r"^Invalid enum value '([^']*)'"), "不是可选值之一：{0}"),
]


def _problem_text(message: str | None, key: str | None, lang: str) -> str | None:
    if key in (None, "data") and message in ("'data'", None):
        return "缺少请求体（JSON）" if lang == "zh" else "the request body (JSON) is missing"
    if lang != "zh" or not message:
        return message
    for pattern, text in _ZH_PROBLEMS:
        if found := pattern.search(message):
            return text.format(*found.groups())
    return message


def handle_validation(request: Request, exc: ValidationException) -> Response:
    lang = request_language(request)
    problems = exc.extra if isinstance(exc.extra, list) else []
    detail = [
        {
            "field": _field_name(p.get("key"), p.get("message")),
            "source": p.get("source"),
            "message": _problem_text(p.get("message"), p.get("key"), lang),
        }
        for p in problems
        if isinstance(p, dict)
    ]
    fields = ", ".join(str(d["field"]) for d in detail) or _field_name(None)
    if not detail:
        detail = [{"field": "body", "source": "body", "message": exc.detail}]
    return _respond(400, "error.validation", t("error.validation", lang, fields=fields), detail)


_STATUS_KEYS = {
    400: "error.bad_request",
    401: "error.unauthorized",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.method_not_allowed",
    409: "error.conflict",
    413: "error.too_large",
    429: "error.rate_limited",
    503: "error.unavailable",
}


def handle_http(request: Request, exc: HTTPException) -> Response:
    lang = request_language(request)
    status = exc.status_code
    if status >= 500:
        return handle_internal(request, exc)
    key = _STATUS_KEYS.get(status, "error.bad_request")
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        key = "error.bad_json"
    if status == 403 and "csrf" in str(exc.detail).lower():
        key = "error.csrf"
    headers = dict(exc.headers or {})
    return _respond(status, key, t(key, lang), None, headers or None, request)


def handle_integrity(request: Request, exc: IntegrityError) -> Response:
    lang = request_language(request)
    log.info("integrity_error", error=str(exc))
    return _respond(409, "error.conflict", t("error.conflict", lang))


def handle_bad_body(request: Request, exc: Exception) -> Response:
    """Bytes that are not UTF-8, or JSON nested past any sane depth: the client's fault, not ours."""
    lang = request_language(request)
    key = "error.too_deep" if isinstance(exc, RecursionError) else "error.bad_encoding"
    return _respond(400, key, t(key, lang), None, None, request)


def handle_model_validation(request: Request, exc: ModelValidationError) -> Response:
    """A value no stored record could have (e.g. an id longer than any id): nothing matches it."""
    lang = request_language(request)
    log.info("model_validation_error", error=str(exc))
    return _respond(404, "error.not_found", t("error.not_found", lang), None, None, request)


# PostgreSQL refuses text no UTF-8 column can hold (a NUL byte: 22021; untranslatable: 22P05). The text
# came from the request (a path like /teams/x%00, a JSON string with \u0000): the client's fault, a 400.
_UNSTORABLE_TEXT = {"22021", "22P05"}


def handle_operational(request: Request, exc: OperationalError) -> Response:
    if getattr(exc.__cause__, "sqlstate", None) in _UNSTORABLE_TEXT:
        lang = request_language(request)
        log.info("unstorable_text", error=str(exc))
        return _respond(400, "error.bad_text", t("error.bad_text", lang), None, None, request)
    return handle_internal(request, exc)


def handle_unservable_path(request: Request, exc: ValueError) -> Response:
    """A file path no file can have (the static router's stat() refuses a NUL byte): nothing is there."""
    lang = request_language(request)
    log.info("unservable_path", error=str(exc))
    return _respond(404, "error.not_found", t("error.not_found", lang), None, None, request)


# The database cannot be reached or went away mid-request (a restart, a failover, a full connection
# limit): the request did not happen, and asking again shortly will work. Said as 503 + Retry-After,
# never 500 (issue 9, bench/faults.py). A transaction cut off this way was rolled back by PostgreSQL.
_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    DBConnectionError,
    ConnectionError,  # refused, reset: the socket's own errors
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,  # starting up, shutting down
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown (class 57)
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
)
RETRY_AFTER_S = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc`, or what it was raised from, says the database is unreachable right now."""
    for _ in range(6):  # the ORM and asyncpg wrap each other a few levels deep at most
        if exc is None:
            return False
        if isinstance(exc, _DATABASE_DOWN):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "connection" in str(exc) and "closed" in str(exc):
            return True  # "connection is closed": it broke while the pool held it
        if isinstance(exc, asyncpg.exceptions.InternalClientError) and "cannot switch to state" in str(exc):
            # A pooled connection that received the server's FATAL (shutting down) while idle is still
            # consuming that error when the next query arrives (seen by bench/faults.py).
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def handle_internal(request: Request, exc: Exception) -> Response:
    rid = _request_id(request)
    if database_unavailable(exc):
        log.warning("database_unavailable", error=repr(exc)[:200], path=request.url.path, request_id=rid)
        lang = request_language(request)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return _respond(503, "error.unavailable", t("error.unavailable", lang), None, headers, request)
    log.error("unhandled_error", exc_info=exc, path=request.url.path, request_id=rid)
    lang = request_language(request)
    message = t("error.internal", lang, request_id=rid)
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, "error.internal", message, None, None, request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: handle_app_error,
    ValidationException: handle_validation,
    NotAuthorizedException: handle_http,
    PermissionDeniedException: handle_http,
    NotFoundException: handle_http,
    HTTPException: handle_http,
    IntegrityError: handle_integrity,
    OperationalError: handle_operational,
    ModelValidationError: handle_model_validation,
    UnicodeDecodeError: handle_bad_body,
    RecursionError: handle_bad_body,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_internal,
    Exception: handle_internal,
}
