"""One Idempotency-Key mechanism for every mutating endpoint.

The first request with a key is recorded with the hash of its body; a repeat with the same key and
body gets the first response again (with `Idempotent-Replayed: true`), a repeat with another body is
409, and a repeat while the first is still running is 409 with Retry-After. Keys are scoped to the
signed-in user (or, for anonymous calls, the client address) and the path, and kept for a day.
Responses of 5xx are not kept, so a failed request can be retried with the same key. A caller with no
valid credentials on a route that needs sign-in is not seen here at all: the key is not claimed and the
route's guard answers 401.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import structlog
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError

from app.core.auth import needs_sign_in
from app.core.crypto import decrypt_bytes, encrypt_bytes
from app.core.db import dialect
from app.core.i18n import register_messages, request_language, t
from app.core.net import client_ip
from app.settings import Settings
from models.core import IdempotencyRecord

log = structlog.get_logger("microsink.idempotency")

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Answers that say "not now" or "not you" rather than "no": not kept, so the same key can be retried
# once the caller has signed in or waited out a rate limit.
RETRYABLE = {401, 403, 429}
# A claim still unanswered after this long belongs to a worker that crashed: it may be taken over.
IN_PROGRESS_LEASE = timedelta(seconds=60)
HEADER = b"idempotency-key"
_MAX_KEY = 255
# The claim and the answer on PostgreSQL as fixed statements (the ORM builds each anew: ~0.15 ms of CPU).
_CLAIM_PG = (
    "INSERT INTO core_idempotency (scope, key, request_hash, status_code, content_type, response_body, created_at, "
    "expires_at) VALUES ($1, $2, $3, NULL, 'application/json', NULL, $4, $5) ON CONFLICT (scope, key) DO NOTHING "
    "RETURNING id"
)
_ANSWER_PG = (
    "UPDATE core_idempotency SET status_code = $1, content_type = $2, response_body = $3 WHERE scope = $4 AND key = $5"
)


def _scope_hash(scope: Any, settings: Settings) -> str:
    principal = scope.get("principal")
    who = f"user:{principal.user.id}" if principal is not None else f"anon:{client_ip(ASGIConnection(scope), settings)}"
    return hashlib.sha256(f"{who}|{scope['method']}|{scope['path']}".encode()).hexdigest()


def _canonical(body: bytes) -> bytes:
    """The same JSON document however it is spaced or ordered; other bodies as they came."""
    try:
        return msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return body


def _request_hash(scope: Any, body: bytes) -> str:
    digest = hashlib.sha256(scope.get("query_string", b""))
    digest.update(b"|")
    digest.update(_canonical(body))
    return digest.hexdigest()


async def _send_json(send: Any, status: int, payload: dict, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = msgspec.json.encode(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ttl = timedelta(seconds=settings.idempotency_ttl_s)

    # ASGI messages are plain dicts here: Litestar's TypedDict unions would add nothing but casts.
    async def handle(self, scope: Any, receive: Any, send: Any, next_app: ASGIApp) -> None:  # type: ignore[override]
        key_raw = dict(scope["headers"]).get(HEADER)
        if scope["method"] not in MUTATING or key_raw is None:
            await next_app(scope, receive, send)
            return
        if scope.get("principal") is None and needs_sign_in(scope):
            # No credentials for a route that needs them: the guard's 401 is the only answer. Claiming
            # the key first could answer 409 for another anonymous caller behind the same address (or
            # for a claim whose removal failed) before the guard has said who may call.
            await next_app(scope, receive, send)
            return
        lang = request_language(ASGIConnection(scope))
        key = key_raw.decode("latin-1").strip()
        if not key or len(key) > _MAX_KEY or not key.isprintable():
            await _send_json(send, 400, _err("idempotency.bad_key", lang))
            return

        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await next_app(scope, receive, send)  # disconnect: let the app see it
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)

        scope_hash, request_hash = _scope_hash(scope, self.settings), _request_hash(scope, body)
        now = datetime.now(UTC)
        record = await self._claim(scope_hash, key, request_hash, now)
        if record is not None:  # someone used this key before
            await self._answer_repeat(record, request_hash, lang, send)
            return

        replayed = False

        async def replay_body() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status, content_type, chunks = 500, b"application/json", []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers", [])).get(b"content-type", content_type)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await next_app(scope, replay_body, capture)
        except BaseException:
            with suppress(Exception):  # the database may be what failed: then the lease frees the key
                await IdempotencyRecord.filter(scope=scope_hash, key=key, status_code=None).delete()
            raise
        try:
            if status >= 500 or status in RETRYABLE:
                await IdempotencyRecord.filter(scope=scope_hash, key=key, status_code=None).delete()
            else:
                # Encrypted: a replayable body may hold tokens (sign-in) that must not sit in clear.
                stored = encrypt_bytes(self.settings.data_key, b"".join(chunks), "idempotency")
                kind = content_type.decode("latin-1")[:128]
                if dialect() == "postgres":
                    await get_connection("default").execute_query(_ANSWER_PG, [status, kind, stored, scope_hash, key])
                else:
                    await IdempotencyRecord.filter(scope=scope_hash, key=key).update(
                        status_code=status, content_type=kind, response_body=stored
                    )
        except Exception as exc:
            # The answer has been sent; the database went away just after (bench/faults.py, PostgreSQL
            # stopped under load). Raising now would only cut the client's connection mid-answer. The
            # claim stays unanswered and its lease (IN_PROGRESS_LEASE) frees the key.
            log.warning("idempotency_record_lost", status=status, error=repr(exc)[:200])

    async def _claim(self, scope_hash: str, key: str, request_hash: str, now: datetime) -> IdempotencyRecord | None:
        """Insert our claim on the key; return the earlier record instead if the key is taken."""
        for _ in range(2):
            if await self._insert_claim(scope_hash, key, request_hash, now):
                return None
            existing = await IdempotencyRecord.get_or_none(scope=scope_hash, key=key)
            if existing is None:
                continue  # expired and removed in between: try again
            abandoned = existing.status_code is None and existing.created_at <= now - IN_PROGRESS_LEASE
            if existing.expires_at <= now or abandoned:
                # Expired, or claimed by a worker that died before answering: the key is free again.
                await IdempotencyRecord.filter(id=existing.id, status_code=existing.status_code).delete()
                continue
            return existing
        return await IdempotencyRecord.get_or_none(scope=scope_hash, key=key)

    async def _insert_claim(self, scope_hash: str, key: str, request_hash: str, now: datetime) -> bool:
        """Whether our claim row went in (False: the key is taken). Every mutating request with a key runs
        this, so on PostgreSQL it is one fixed statement rather than the ORM's create."""
        if dialect() == "postgres":
            # execute_query_dict: Tortoise's execute_query answers an INSERT with its status line, not rows
            claimed = await get_connection("default").execute_query_dict(
                _CLAIM_PG, [scope_hash, key, request_hash, now, now + self.ttl]
            )
            return bool(claimed)
        try:
            await IdempotencyRecord.create(
                scope=scope_hash, key=key, request_hash=request_hash, expires_at=now + self.ttl
            )
        except IntegrityError:
            return False
        return True

    async def _answer_repeat(self, record: IdempotencyRecord, request_hash: str, lang: str, send: Any) -> None:
        if record.request_hash != request_hash:
            await _send_json(send, 409, _err("idempotency.key_reused", lang))
        elif record.status_code is None:
            await _send_json(send, 409, _err("idempotency.in_progress", lang), [(b"retry-after", b"1")])
        else:
            body = decrypt_bytes(self.settings.data_key, bytes(record.response_body or b""), "idempotency")
            await send(
                {
                    "type": "http.response.start",
                    "status": record.status_code,
                    "headers": [
                        (b"content-type", record.content_type.encode()),
                        (b"content-length", str(len(body)).encode()),
                        (b"idempotent-replayed", b"true"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _err(key: str, lang: str) -> dict:
    return {"code": key, "message": t(key, lang), "detail": None}


async def purge_expired() -> int:
    return await IdempotencyRecord.filter(expires_at__lte=datetime.now(UTC)).delete()


register_messages(
    {
        "idempotency.bad_key": {
            "zh": "Idempotency-Key 请求头无效：须为 1–255 个可见字符",
            "en": "Invalid Idempotency-Key header: use 1–255 printable characters",
        },
        "idempotency.key_reused": {
            "zh": "此 Idempotency-Key 已用于内容不同的请求；新请求请换一个新的键",
            "en": "This Idempotency-Key was already used with a different request body; use a new key for a new request",
        },
        "idempotency.in_progress": {
            "zh": "使用此 Idempotency-Key 的请求仍在处理中，请稍后重试",
            "en": "A request with this Idempotency-Key is still being processed; retry shortly",
        },
    }
)
