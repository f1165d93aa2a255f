"""Sending SMS: the provider protocol, the in-app sandbox provider, and choosing one from settings.

A provider sends one templated message and returns the provider's message id, or raises
`SmsSendError`. `sandbox` (the embedded default) sends nothing: it keeps the messages in memory for
the development-only outbox page and logs them, and is refused in production by `Settings.check`.
Real adapters (e.g. Tencent Cloud SMS) live in their own modules and register themselves with
`register_sms_provider(name, factory)`; `SMS_PROVIDER=<name>` then selects them (the module
`app/notifications/<name>_sms.py` is imported on first use if nothing imported it yet).
"""

from __future__ import annotations

import importlib
import secrets
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import structlog

from app.settings import Settings, SettingsError

log = structlog.get_logger("microsink.sms")


class SmsSendError(Exception):
    """The provider did not accept the message; `retryable` says whether trying later may help."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@runtime_checkable
class SmsProvider(Protocol):
    async def send(self, phone: str, template_id: str, params: Sequence[str]) -> str:
        """Send template `template_id` filled with `params` to `phone` (11 digits); return the message id."""
        ...


@dataclass(frozen=True)
class SentSms:
    phone: str
    template_id: str
    params: tuple[str, ...]
    message_id: str
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class SandboxSms:
    """Sends nothing: remembers the last messages for the development outbox page and logs them."""

    def __init__(self, settings: Settings, keep: int = 100) -> None:
        self._log_messages = not settings.is_production
        self._sent: deque[SentSms] = deque(maxlen=keep)

    async def send(self, phone: str, template_id: str, params: Sequence[str]) -> str:
        message = SentSms(
            phone=phone, template_id=template_id, params=tuple(params), message_id=f"sandbox-{secrets.token_hex(8)}"
        )
        self._sent.append(message)
        if self._log_messages:
            log.info(
                "sandbox_sms", phone=phone, template_id=template_id, params=list(params), message_id=message.message_id
            )
        return message.message_id

    def outbox(self) -> list[SentSms]:
        """The remembered messages, newest first."""
        return list(reversed(self._sent))

    def last_to(self, phone: str) -> SentSms | None:
        return next((m for m in reversed(self._sent) if m.phone == phone), None)


SmsProviderFactory = Callable[[Settings], SmsProvider]
_FACTORIES: dict[str, SmsProviderFactory] = {"sandbox": SandboxSms}


def register_sms_provider(name: str, factory: SmsProviderFactory) -> None:
    _FACTORIES[name] = factory


def sms_provider_for(settings: Settings) -> SmsProvider:
    name = settings.sms_provider
    if name not in _FACTORIES and name.isidentifier():
        try:
            importlib.import_module(f"app.notifications.{name}_sms")  # registers itself on import
        except ModuleNotFoundError:
            pass
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise SettingsError(f"SMS_PROVIDER {settings.sms_provider!r} is not known here; known: {known}")
    return factory(settings)
