"""Tortoise models, one module per domain. Tortoise discovers every model imported here."""

from models.accounts import AuthSession, Membership, Organisation, User
from models.audit import AuditEvent
from models.campaigns import Booking, Campaign, CheckIn, Site, Slot
from models.citylink import CityDelivery, CityLink, SandboxGrant, SandboxReceipt, SandboxToken
from models.core import IdempotencyRecord
from models.coupons import Coupon, CouponOffer
from models.credits import (
    CreditSupply,
    Issuance,
    LossEvent,
    MonitoringReport,
    ReportEstimate,
    Reservation,
    Retirement,
    SerialBlock,
    SerialCounter,
)
from models.donations import Donation, DonationReceipt, DonationTally, PointsDonation
from models.events import Event, EventOrder, EventRetirement
from models.evidence import Photo
from models.judicial import CaseOrder, CasePlanting, CaseRetirement, CaseTending, RestorationCase
from models.ledger import Hold, LedgerAccount, Transfer
from models.market import Listing, Order, OrderLine
from models.money import InvoiceOrder, InvoiceRequest, OrgOrder, Payee, Payout, PayoutNotification, SandboxPayout
from models.notifications import Notification, NotificationPreference, OutboxMessage
from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade
from models.planting import CheckInDay, DutyCertificate, DutyProfile, PlantingLog
from models.points import AwardCounter
from models.portable import ImportedEntry, PortableClaim, PortableImport, PortableMoveOut
from models.registry import ExternalParcel, Parcel, ParcelEstimate, Project, StandMeasurement
from models.signin import SmsCode
from models.teams import Team, TeamMember
from models.tourism import Redemption, ScenicSpot, SpotOrder

__all__ = [
    "AuditEvent",
    "AuthSession",
    "AwardCounter",
    "Booking",
    "Campaign",
    "CaseOrder",
    "CasePlanting",
    "CaseRetirement",
    "CaseTending",
    "CheckIn",
    "CheckInDay",
    "CityDelivery",
    "CityLink",
    "Coupon",
    "CouponOffer",
    "CreditSupply",
    "Donation",
    "DonationReceipt",
    "DonationTally",
    "DutyCertificate",
    "DutyProfile",
    "Event",
    "EventOrder",
    "EventRetirement",
    "ExternalParcel",
    "Hold",
    "IdempotencyRecord",
    "ImportedEntry",
    "InvoiceOrder",
    "InvoiceRequest",
    "Issuance",
    "LedgerAccount",
    "Listing",
    "LossEvent",
    "Membership",
    "MonitoringReport",
    "Notification",
    "NotificationPreference",
    "Order",
    "OrderLine",
    "OrgOrder",
    "Organisation",
    "OutboxMessage",
    "Parcel",
    "ParcelEstimate",
    "Payee",
    "PaymentAttempt",
    "PaymentNotification",
    "Payout",
    "PayoutNotification",
    "Photo",
    "PlantingLog",
    "PointsDonation",
    "PortableClaim",
    "PortableImport",
    "PortableMoveOut",
    "Project",
    "Redemption",
    "ReportEstimate",
    "Reservation",
    "RestorationCase",
    "Retirement",
    "SandboxGrant",
    "SandboxPayout",
    "SandboxReceipt",
    "SandboxToken",
    "SandboxTrade",
    "ScenicSpot",
    "SerialBlock",
    "SerialCounter",
    "Site",
    "Slot",
    "SmsCode",
    "SpotOrder",
    "StandMeasurement",
    "Team",
    "TeamMember",
    "Transfer",
    "User",
]
