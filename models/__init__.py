"""Tortoise models, one module per domain. Tortoise discovers every model imported here."""

from models.accounts import AuthSession, Membership, Organisation, User
from models.audit import AuditEvent
from models.core import IdempotencyRecord
from models.coupons import Coupon, CouponOffer
from models.credits import (
    CreditSupply,
    Issuance,
    LossEvent,
    MonitoringReport,
    Reservation,
    Retirement,
    SerialBlock,
    SerialCounter,
)
from models.ledger import Hold, LedgerAccount, Transfer
from models.notifications import Notification, NotificationPreference, OutboxMessage
from models.points import AwardCounter
from models.registry import ExternalParcel, Parcel, Project, StandMeasurement
from models.signin import SmsCode

__all__ = [
    "AuditEvent",
    "AuthSession",
    "AwardCounter",
    "Coupon",
    "CouponOffer",
    "CreditSupply",
    "ExternalParcel",
    "Hold",
    "IdempotencyRecord",
    "Issuance",
    "LedgerAccount",
    "LossEvent",
    "Membership",
    "MonitoringReport",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "Parcel",
    "Project",
    "Reservation",
    "Retirement",
    "SerialBlock",
    "SerialCounter",
    "SmsCode",
    "StandMeasurement",
    "Transfer",
    "User",
]
