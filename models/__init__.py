"""Tortoise models, one module per domain. Tortoise discovers every model imported here."""

from models.accounts import AuthSession, Membership, Organisation, User
from models.audit import AuditEvent
from models.core import IdempotencyRecord
from models.coupons import Coupon, CouponOffer
from models.ledger import Hold, LedgerAccount, Transfer
from models.notifications import Notification, NotificationPreference, OutboxMessage
from models.points import AwardCounter
from models.portable import ImportedEntry, PortableClaim, PortableImport, PortableMoveOut
from models.signin import SmsCode

__all__ = [
    "AuditEvent",
    "AuthSession",
    "AwardCounter",
    "Coupon",
    "CouponOffer",
    "Hold",
    "IdempotencyRecord",
    "ImportedEntry",
    "LedgerAccount",
    "Membership",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "PortableClaim",
    "PortableImport",
    "PortableMoveOut",
    "SmsCode",
    "Transfer",
    "User",
]
