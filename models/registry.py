"""The micro-sink registry: projects, their parcels on the ground, stand measurements, and parcels
already registered in other schemes (CCER, 碳票, VCS) that ours must never overlap.

Geometry is GeoJSON in WGS84 longitude/latitude (CGCS2000 is taken as WGS84, they differ by
centimetres). Each parcel also keeps its bounding box in four indexed columns and a size class, so
the overlap check can ask the database for the few candidates near a new parcel before testing the
exact shapes (app.registry.overlap).
"""

from typing import Any

from tortoise import fields, models

from models.accounts import Organisation, User


class Project(models.Model):
    """A micro-sink project of one owner under one methodology, reviewed as a whole."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs and exports")
    name = fields.CharField(max_length=128)
    owner_organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="the collective or cooperative that owns it, or null for an individual household",
    )
    owner_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="the individual 林农/牧民 household that owns it, when there is no organisation",
    )
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT, description="who opened the project"
    )
    county_code = fields.CharField(max_length=6, db_index=True, description="GB/T 2260 county code")
    methodology_id = fields.CharField(max_length=32, description="e.g. SC-LCP-BAM")
    status = fields.CharField(
        max_length=16,
        default="draft",
        db_index=True,
        description="draft | submitted | under_review | approved | returned",
    )
    return_reasons: list[str] = fields.JSONField(
        default=list, description="reason codes of the last return, e.g. boundary_unclear"
    )
    return_note = fields.TextField(default="", description="the verifier's free-text note on the last return")
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="the verifier who took it under review",
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)
    review_started_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True, description="when it was last approved or returned")

    class Meta:
        table = "registry_project"


class Parcel(models.Model):
    """One piece of land in a project: its outline, area, tenure and what grows on it.

    `active` means the parcel holds its ground: it is submitted, under review or approved, and no
    other active parcel may overlap it beyond the sliver tolerance.
    """

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs and exports")
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="parcels", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=64, default="", description="the holder's name for the plot, e.g. 后山")
    geometry: dict[str, Any] = fields.JSONField(description="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat degrees")
    input_crs = fields.CharField(max_length=8, description="wgs84 | cgcs2000 | gcj02 (converted to WGS84 on input)")
    area_m2 = fields.BigIntField(description="geodesic area on the WGS84 ellipsoid, square metres")
    min_lon = fields.FloatField(description="bounding box, degrees")
    min_lat = fields.FloatField(description="bounding box, degrees")
    max_lon = fields.FloatField(description="bounding box, degrees")
    max_lat = fields.FloatField(description="bounding box, degrees")
    size_class = fields.SmallIntField(
        description="smallest k with bbox width and height both at most SIZE_CLASS_DEGREES[k]"
    )
    county_code = fields.CharField(max_length=6, description="GB/T 2260 county code")
    tenure_kind = fields.CharField(
        max_length=32,
        description="forest_right_certificate (林权证) | real_estate_certificate (不动产权证书) | grassland_contract (草原承包经营权证) | land_contract (土地承包经营权证) | collective_agreement | other",
    )
    tenure_number_enc = fields.BinaryField(description="tenure document number, AES-GCM encrypted")
    tenure_number_index = fields.CharField(
        max_length=64, db_index=True, description="HMAC blind index of the tenure document number"
    )
    holder_kind = fields.CharField(max_length=16, description="individual | collective")
    holder_name_enc = fields.BinaryField(description="the tenure holder's name, AES-GCM encrypted")
    show_holder_name = fields.BooleanField(
        default=False, description="the holder chose to show the name in full on public pages"
    )
    sink_type = fields.CharField(
        max_length=24, description="afforestation | forest_management | bamboo | grassland | wetland"
    )
    species: list[dict[str, Any]] = fields.JSONField(
        default=list, description='composition as [{"species": "柏木", "percent": 60}], percents sum to 100'
    )
    planting_year = fields.SmallIntField(null=True, description="calendar year the stand was planted")
    stand_age_years = fields.SmallIntField(null=True, description="stand age in years when registered")
    elevation_m = fields.IntField(null=True, description="mean elevation, metres above sea level")
    methodology_facts: dict[str, Any] | None = fields.JSONField(
        null=True,
        default=dict,
        description="the project methodology's own inputs that are not parcel fields, e.g. non_forest_years_before (null counts as none)",
    )
    estimate_problem: dict[str, Any] | None = fields.JSONField(
        null=True,
        description="why no estimate could be made for the parcel as it stands, as {code, params, detail}, else null",
    )
    status = fields.CharField(
        max_length=16,
        default="draft",
        db_index=True,
        description="draft | submitted | under_review | approved | returned",
    )
    active = fields.BooleanField(default=False, description="holds its ground against overlaps")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "registry_parcel"
        indexes = (("active", "size_class", "min_lon", "min_lat"),)


class ParcelEstimate(models.Model):
    """One annual-removal estimate of a parcel, with everything needed to trace and recompute it.

    Rows are never changed except `current`, which marks the estimate that describes the parcel as it
    stands (at most one per parcel). The full estimate (parameters with sources, steps, inputs) is
    kept so that app.methodology.service.reproduce can recompute it from the recorded version.
    """

    id = fields.BigIntField(primary_key=True)
    parcel: fields.ForeignKeyRelation[Parcel] = fields.ForeignKeyField(
        "models.Parcel", related_name="estimates", on_delete=fields.RESTRICT
    )
    methodology_id = fields.CharField(max_length=32, description="e.g. SC-LCP-AFF")
    methodology_version = fields.CharField(max_length=16, description="calculator release, e.g. 0.1.0")
    parameter_set_version = fields.CharField(max_length=16, description="parameter file version, e.g. 0.1.1")
    parameter_set_sha256 = fields.CharField(max_length=64, description="SHA-256 of the parameter file bytes, hex")
    basis = fields.CharField(max_length=8, description="ex_ante (expected) or ex_post (verified measurements)")
    method = fields.CharField(max_length=48, description="the calculator's method, e.g. growth_rate")
    kg_per_year = fields.BigIntField(description="kg CO2e per year, floored, buffer withheld")
    buffer_kg_per_year = fields.BigIntField(description="kg CO2e per year withheld for the buffer pool")
    held_for_review = fields.BooleanField(
        default=False, description="a measured increment above the plausibility trigger, kg not shown until reviewed"
    )
    accounting_year = fields.SmallIntField(description="calendar year the stand age was counted for")
    inputs_sha256 = fields.CharField(
        max_length=64, description="SHA-256 of the canonical JSON of the parcel geometry and the calculator inputs"
    )
    occasion = fields.CharField(max_length=16, description="added | edited | measured | submitted | approved")
    estimate: dict[str, Any] = fields.JSONField(description="the full app.methodology Estimate as JSON")
    current = fields.BooleanField(default=True, description="describes the parcel as it stands now")
    computed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "registry_parcel_estimate"
        # Look-ups by parcel go through the partial unique index (parcel_id) WHERE current, in 0016.


class StandMeasurement(models.Model):
    """A dated stand-volume measurement of a parcel, for ex-post estimates."""

    id = fields.BigIntField(primary_key=True)
    parcel: fields.ForeignKeyRelation[Parcel] = fields.ForeignKeyField(
        "models.Parcel", related_name="measurements", on_delete=fields.RESTRICT
    )
    measured_on = fields.DateField()
    stand_volume_m3_per_ha = fields.DecimalField(
        max_digits=7, decimal_places=2, description="stand volume (蓄积), cubic metres per hectare"
    )
    method = fields.CharField(max_length=64, default="", description="e.g. sample plot, angle count")
    recorded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "registry_stand_measurement"
        unique_together = (("parcel", "measured_on"),)


class ExternalParcel(models.Model):
    """A parcel registered in another scheme, imported so that ours never count the same land twice."""

    id = fields.BigIntField(primary_key=True)
    scheme = fields.CharField(max_length=16, description="CCER | carbon_ticket (碳票) | VCS | other")
    external_id = fields.CharField(max_length=128, description="the parcel's id in that scheme")
    name = fields.CharField(max_length=256, default="")
    geometry: dict[str, Any] = fields.JSONField(description="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat degrees")
    area_m2 = fields.BigIntField(description="geodesic area on the WGS84 ellipsoid, square metres")
    min_lon = fields.FloatField(description="bounding box, degrees")
    min_lat = fields.FloatField(description="bounding box, degrees")
    max_lon = fields.FloatField(description="bounding box, degrees")
    max_lat = fields.FloatField(description="bounding box, degrees")
    size_class = fields.SmallIntField(
        description="smallest k with bbox width and height both at most SIZE_CLASS_DEGREES[k]"
    )
    imported_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "registry_external_parcel"
        unique_together = (("scheme", "external_id"),)
        indexes = (("size_class", "min_lon", "min_lat"),)
