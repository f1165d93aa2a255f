"""Credits: what units exist and where they are (the registry says what land exists).

A verified monitoring report becomes one issuance of a vintage. Its units are numbered serials held
in blocks of consecutive integers; a block moves tradable → reserved → retired (or back to tradable),
and is split when only part of it moves: the parent is superseded and its children exactly cover its
range. Per issuance a supply row counts the units by state, kept equal to the blocks by the service
and summing to the issued quantity by a database CHECK. Carbon is integer kg CO2e, 1 unit = 1 kg.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import User
from models.registry import Parcel, ParcelEstimate, Project

BUFFER_POOL = "buffer_pool"  # the holder of every buffer-share block: the platform's pool, never sold


class MonitoringReport(models.Model):
    """A smallholder's report of one monitoring period of a project, reviewed by a verifier.

    The quantity is computed by the server at submission from the covered parcels' stored estimates
    (credits_report_estimate links each one): kg/yr summed over the parcels times the period as an
    exact fraction of a year (actual/actual), floored once. Nobody types it.
    """

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name=False, on_delete=fields.RESTRICT
    )
    parcel_public_ids: list[str] = fields.JSONField(
        default=list, description="public ids of the project parcels it covers"
    )
    period_start = fields.DateField(description="first day of the monitoring period (inclusive)")
    period_end = fields.DateField(description="last day of the monitoring period (inclusive)")
    evidence: list[dict[str, Any]] = fields.JSONField(
        default=list, description='evidence items as [{"kind": "photo", "ref": "sha256 or URL", "note": ""}]'
    )
    # Since 0018: the measurements sent with the report, per parcel public id (description as in 0017).
    measured_values: dict[str, Any] = fields.JSONField(
        default=dict, description="what was measured, as the calculator's inputs"
    )
    methodology_id = fields.CharField(max_length=32, description="e.g. SC-LCP-AFF")
    methodology_version = fields.CharField(max_length=16, description="semantic version, e.g. 0.1.0")
    parameter_sha256 = fields.CharField(max_length=64, description="SHA-256 of the parameter file, hex")
    kg_issued = fields.BigIntField(description="kg CO2e for the owner, floored, buffer withheld")
    buffer_kg = fields.BigIntField(description="kg CO2e withheld for the buffer pool")
    # Since 0018 it holds how the server computed the quantity (day count, year fraction, sums, estimate
    # ids). The column description is left as 0017 wrote it: altering it rebuilds the SQLite table and
    # drops its CHECK constraints.
    estimate: dict[str, Any] = fields.JSONField(
        default=dict, description="the calculator's whole estimate record, as submitted"
    )
    status = fields.CharField(
        max_length=16, default="submitted", db_index=True, description="submitted | under_review | approved | returned"
    )
    return_reasons: list[str] = fields.JSONField(
        default=list, description="reason codes of a return, e.g. evidence_missing"
    )
    return_note = fields.TextField(default="", description="the verifier's note on a return")
    submitted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    verifier: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.RESTRICT, description="who reviewed it"
    )
    submitted_at = fields.DatetimeField(auto_now_add=True)
    review_started_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True, description="when it was approved or returned")

    class Meta:
        table = "credits_monitoring_report"
        indexes = (("project_id", "status"),)


class ReportEstimate(models.Model):
    """One parcel estimate a monitoring report's quantity was computed from (the traceability link).

    `estimate` is the registry row used at submission. `approved_estimate` is the row the issuance rests
    on: the same row, or its ex-post twin recorded when the verifier approved the report's measurements
    (same inputs, release and kg). The copied numbers and hashes never change, like the rows they copy.
    """

    id = fields.BigIntField(primary_key=True)
    report: fields.ForeignKeyRelation[MonitoringReport] = fields.ForeignKeyField(
        "models.MonitoringReport", related_name="estimates", on_delete=fields.RESTRICT
    )
    parcel: fields.ForeignKeyRelation[Parcel] = fields.ForeignKeyField(
        "models.Parcel", related_name=False, on_delete=fields.RESTRICT
    )
    parcel_public_id = fields.CharField(max_length=26, description="the parcel's public id, for the public chain")
    estimate: fields.ForeignKeyRelation[ParcelEstimate] = fields.ForeignKeyField(
        "models.ParcelEstimate", related_name=False, on_delete=fields.RESTRICT, description="used at submission"
    )
    approved_estimate: fields.ForeignKeyNullableRelation[ParcelEstimate] = fields.ForeignKeyField(
        "models.ParcelEstimate",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="the row the issuance rests on, set at approval",
    )
    methodology_id = fields.CharField(max_length=32)
    methodology_version = fields.CharField(max_length=16)
    parameter_set_sha256 = fields.CharField(max_length=64, description="SHA-256 of the parameter file, hex")
    inputs_sha256 = fields.CharField(max_length=64, description="SHA-256 of the parcel geometry and calculator inputs")
    basis = fields.CharField(max_length=8, description="ex_ante or ex_post, as of approval once approved")
    kg_per_year = fields.BigIntField(description="kg CO2e per year, buffer withheld, as the estimate says")
    buffer_kg_per_year = fields.BigIntField(description="kg CO2e per year for the buffer pool")

    class Meta:
        table = "credits_report_estimate"
        unique_together = (("report", "parcel"),)


class Issuance(models.Model):
    """The units created from one approved monitoring report: one vintage, one serial range."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs and serials")
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name=False, on_delete=fields.RESTRICT
    )
    monitoring_report: fields.OneToOneRelation[MonitoringReport] = fields.OneToOneField(
        "models.MonitoringReport", related_name=False, on_delete=fields.RESTRICT
    )
    origin_key = fields.CharField(
        max_length=128, unique=True, description="project and monitoring period: one period is never issued twice"
    )
    vintage = fields.SmallIntField(description="calendar year of the end of the monitoring period")
    period_start = fields.DateField()
    period_end = fields.DateField()
    class_code = fields.CharField(max_length=8, description="credit class of the methodology, e.g. AFF")
    county_code = fields.CharField(max_length=6, description="GB/T 2260 county code of the project")
    methodology_id = fields.CharField(max_length=32)
    methodology_version = fields.CharField(max_length=16)
    parameter_sha256 = fields.CharField(max_length=64, description="SHA-256 of the parameter file, hex")
    parcel_public_ids: list[str] = fields.JSONField(
        default=list, description="public ids of the parcels behind the units"
    )
    quantity = fields.BigIntField(description="kg CO2e issued in all = owner_kg + buffer_kg")
    owner_kg = fields.BigIntField(description="kg CO2e issued to the owner (the net share)")
    buffer_kg = fields.BigIntField(description="kg CO2e issued to the buffer pool")
    serial_start = fields.BigIntField(description="first serial number (inclusive)")
    serial_end = fields.BigIntField(description="last serial number (inclusive)")
    owner_holder = fields.CharField(max_length=64, description="user:<public id> or org:<public id>")
    issued_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT, description="the approving verifier"
    )
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credits_issuance"


class CreditSupply(models.Model):
    """How many units of one issuance are in each state: tradable + reserved + retired + cancelled = issued."""

    id = fields.BigIntField(primary_key=True)
    issuance: fields.OneToOneRelation[Issuance] = fields.OneToOneField(
        "models.Issuance", related_name="supply", on_delete=fields.RESTRICT
    )
    issued = fields.BigIntField(description="kg CO2e")
    tradable = fields.BigIntField(description="kg CO2e in tradable blocks, buffer-pool blocks included")
    reserved = fields.BigIntField(default=0, description="kg CO2e in reserved blocks")
    retired = fields.BigIntField(default=0, description="kg CO2e in retired blocks")
    cancelled = fields.BigIntField(default=0, description="kg CO2e in cancelled blocks")
    buffer = fields.BigIntField(default=0, description="of the tradable kg, those held by the buffer pool (never sold)")
    updated_at = fields.DatetimeField(auto_now=True, description="touched by every inventory change (the row lock)")

    class Meta:
        table = "credits_supply"


class SerialBlock(models.Model):
    """Consecutive serials [serial_start, serial_end] of one issuance in one state with one holder."""

    id = fields.BigIntField(primary_key=True)
    issuance: fields.ForeignKeyRelation[Issuance] = fields.ForeignKeyField(
        "models.Issuance", related_name=False, on_delete=fields.RESTRICT
    )
    serial_start = fields.BigIntField(description="first serial (inclusive)")
    serial_end = fields.BigIntField(description="last serial (inclusive)")
    quantity = fields.BigIntField(description="serial_end - serial_start + 1, kg CO2e")
    display = fields.CharField(
        max_length=96,
        unique=True,
        description="{class}-{county}-{project}-{vintage}-{start}-{end}, derived at creation, never parsed",
    )
    status = fields.CharField(max_length=12, description="tradable | reserved | retired | cancelled | superseded")
    holder = fields.CharField(max_length=64, description="user:<public id>, org:<public id> or buffer_pool")
    parent: fields.ForeignKeyNullableRelation["SerialBlock"] = fields.ForeignKeyField(
        "models.SerialBlock", related_name=False, null=True, on_delete=fields.RESTRICT, description="the split block"
    )
    reservation_ref = fields.CharField(
        max_length=64, null=True, db_index=True, description="the reservation holding or retiring it"
    )
    reserved_until = fields.DatetimeField(null=True, description="a reservation stops holding at this moment")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "credits_serial_block"
        indexes = (("issuance_id", "status", "serial_start"), ("status", "reserved_until"))


class Reservation(models.Model):
    """Units held for a caller's reference (a market order) until a moment: retired, released or expired once."""

    id = fields.BigIntField(primary_key=True)
    reference = fields.CharField(max_length=64, unique=True, description="the caller's key, e.g. order:<id>")
    kg = fields.BigIntField(description="kg CO2e reserved")
    reserved_until = fields.DatetimeField(description="it stops holding at this moment, sweep or no sweep")
    status = fields.CharField(
        max_length=10, default="held", db_index=True, description="held | released | expired | retired"
    )
    request_hash = fields.CharField(max_length=64, description="what was asked, to tell a replay from a reuse")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "credits_reservation"


class LossEvent(models.Model):
    """A reversal: carbon lost on a project (fire, pests, land conversion), made good by cancelling units."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name=False, on_delete=fields.RESTRICT
    )
    parcel_public_ids: list[str] = fields.JSONField(
        default=list, description="the parcels hit, empty for the whole project"
    )
    cause = fields.CharField(max_length=16, description="fire | pests | land_conversion | felling | other")
    occurred_on = fields.DateField()
    loss_kg = fields.BigIntField(description="issued kg CO2e no longer on the ground")
    cancelled_unsold_kg = fields.BigIntField(description="of the loss, unsold units of the project cancelled")
    buffer_drawn_kg = fields.BigIntField(description="of the loss, buffer-pool units cancelled for units sold")
    note = fields.TextField(default="")
    recorded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credits_loss_event"


class Retirement(models.Model):
    """A retired block: for whom, for what, and the public certificate code that shows it."""

    id = fields.BigIntField(primary_key=True)
    block: fields.OneToOneRelation[SerialBlock] = fields.OneToOneField(
        "models.SerialBlock", related_name="retirement", on_delete=fields.RESTRICT
    )
    reservation_ref = fields.CharField(max_length=64, db_index=True, description="the reservation it came from")
    beneficiary = fields.CharField(max_length=128, description="in whose name, as given")
    beneficiary_shown = fields.CharField(max_length=8, description="full | masked | hidden on public pages")
    purpose = fields.CharField(max_length=16, description="trip | event | court_case | planting | offset | other")
    purpose_reference = fields.CharField(
        max_length=128, default="", description="the trip, event, 案号 or planting year it offsets"
    )
    certificate_code = fields.CharField(
        max_length=20, db_index=True, description="random, unguessable, shared by the blocks of one retirement"
    )
    reversal: fields.ForeignKeyNullableRelation[LossEvent] = fields.ForeignKeyField(
        "models.LossEvent",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="a loss on the land behind it, made good from the buffer pool",
    )
    retired_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credits_retirement"


class SerialCounter(models.Model):
    """The next free serial of a project, and the lock that serialises its issuances."""

    id = fields.BigIntField(primary_key=True)
    project: fields.OneToOneRelation[Project] = fields.OneToOneField(
        "models.Project", related_name=False, on_delete=fields.RESTRICT
    )
    next_serial = fields.BigIntField(default=1)

    class Meta:
        table = "credits_serial_counter"
