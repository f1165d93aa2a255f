"""Tortoise models, one module per domain. Tortoise discovers every model imported here."""

from models.accounts import AuthSession, Membership, Organisation, User
from models.audit import AuditEvent
from models.core import IdempotencyRecord

__all__ = ["AuditEvent", "AuthSession", "IdempotencyRecord", "Membership", "Organisation", "User"]
