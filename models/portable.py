"""Portable records between platforms: claim codes, points moved out, imports and imported entries.

A person moving their record from another platform to this one first asks us for a one-time claim
code, gives it to the other platform when exporting, and brings the signed record back. What the
record lists is stored once per (issuer, entry): the same tree in two exports counts once.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import User


class PortableClaim(models.Model):
    """A one-time code we issued to a person, to be written into a record exported for them elsewhere.

    Only a keyed hash of the code is stored. A record naming the code can be imported once, by the
    person it was issued to, if the other platform exported it before the code expired.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    code_hash = fields.CharField(max_length=64, unique=True, description="keyed SHA-256 of the normalised code")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(description="records exported after this (their issued_at) are refused (UTC)")
    used_at = fields.DatetimeField(null=True, description="when an import used it, set exactly once")

    class Meta:
        table = "portable_claim"
        indexes = (("user_id", "used_at", "expires_at"),)


class PortableMoveOut(models.Model):
    """Points a person moved out of their wallet here, to be credited once on another platform.

    Its id is the ledger transfer's id (the person's idempotency key), which the signed record names.
    """

    id = fields.UUIDField(primary_key=True, description="the ledger transfer from the wallet to the moved-out account")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    audience = fields.CharField(max_length=255, description="base URL of the platform the points go to")
    claim_code = fields.CharField(max_length=32, description="the destination's claim code, as given (not ours)")
    amount = fields.BigIntField(description="points moved out, > 0")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "portable_move_out"


class PortableImport(models.Model):
    """One signed record from a trusted platform, imported once: what it listed and what it added here."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    claim: fields.OneToOneRelation[PortableClaim] = fields.OneToOneField(
        "models.PortableClaim", related_name=False, on_delete=fields.RESTRICT, description="the claim code it used"
    )
    issuer = fields.CharField(max_length=255, description="the issuing platform's base URL, normalised")
    subject = fields.CharField(max_length=128, description="the person's id at the issuer (blank after erasure)")
    document_sha256 = fields.CharField(max_length=64, description="hash of the signed document's canonical form")
    issued_at = fields.DatetimeField(description="when the issuer signed the record (UTC)")
    planting_listed = fields.IntField(default=0, description="planting entries in the record")
    planting_new = fields.IntField(default=0, description="of those, counted here for the first time by this import")
    retirements_listed = fields.IntField(default=0, description="retirement entries in the record")
    retirements_new = fields.IntField(default=0, description="of those, counted here for the first time")
    moved_out_transfer_id = fields.CharField(
        max_length=64, null=True, description="the issuer's transfer that took the points out of its wallet"
    )
    moved_out_amount = fields.BigIntField(default=0, description="points the issuer moved out, in its points")
    rate = fields.CharField(max_length=24, default="", description="the points rate applied, as numerator/denominator")
    points_credited = fields.BigIntField(default=0, description="points this import credited here, >= 0")
    credit_transfer_id = fields.UUIDField(
        null=True,
        unique=True,
        description="uuid5 of (issuer, moved-out transfer id): set on the one import that redeemed the move-out",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "portable_import"
        unique_together = (("issuer", "document_sha256"),)


class ImportedEntry(models.Model):
    """A planting or a retirement listed by another platform, counted here once whoever imports it."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    portable_import: fields.ForeignKeyRelation[PortableImport] = fields.ForeignKeyField(
        "models.PortableImport", related_name=False, on_delete=fields.RESTRICT, description="the import that added it"
    )
    issuer = fields.CharField(max_length=255, description="the issuing platform's base URL, normalised")
    kind = fields.CharField(max_length=12, description="planting | retirement")
    entry_id = fields.CharField(max_length=128, description="the entry's id at the issuer, stable across exports")
    occurred_on = fields.DateField(description="planting date or retirement date, Beijing time")
    trees = fields.IntField(default=0, description="trees planted (planting), else 0")
    kg = fields.BigIntField(default=0, description="kg CO2e retired (retirement), else 0")
    details: dict[str, Any] = fields.JSONField(
        default=dict, description="species, region, campaign, serials, purpose, certificate"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "portable_imported_entry"
        unique_together = (("issuer", "kind", "entry_id"),)
        indexes = (("user_id", "occurred_on"),)
