"""The micro-sink registry: projects, parcels, stand measurements and parcels of other schemes."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

STATUSES = "('draft','submitted','under_review','approved','returned')"

CONSTRAINTS = [
    Check("registry_project_status_known", "registry_project", f"{{row}}status IN {STATUSES}"),
    Check(
        "registry_project_one_owner",
        "registry_project",
        "({row}owner_organisation_id IS NULL) <> ({row}owner_user_id IS NULL)",
    ),
    Check("registry_parcel_status_known", "registry_parcel", f"{{row}}status IN {STATUSES}"),
    Check(
        "registry_parcel_active_only_when_claimed",
        "registry_parcel",
        "{row}active = FALSE OR {row}status IN ('submitted','under_review','approved')",
    ),
    Check("registry_parcel_input_crs_known", "registry_parcel", "{row}input_crs IN ('wgs84','cgcs2000','gcj02')"),
    Check("registry_parcel_holder_kind_known", "registry_parcel", "{row}holder_kind IN ('individual','collective')"),
    Check(
        "registry_parcel_tenure_kind_known",
        "registry_parcel",
        "{row}tenure_kind IN ('forest_right_certificate','real_estate_certificate','grassland_contract',"
        "'land_contract','collective_agreement','other')",
    ),
    Check(
        "registry_parcel_sink_type_known",
        "registry_parcel",
        "{row}sink_type IN ('afforestation','forest_management','bamboo','grassland','wetland')",
    ),
    Check("registry_parcel_area_positive", "registry_parcel", "{row}area_m2 > 0"),
    Check(
        "registry_parcel_bbox_ordered",
        "registry_parcel",
        "{row}min_lon <= {row}max_lon AND {row}min_lat <= {row}max_lat",
    ),
    Check(
        "registry_stand_volume_nonnegative",
        "registry_stand_measurement",
        "CAST({row}stand_volume_m3_per_ha AS REAL) >= 0",
    ),
    Check(
        "registry_external_parcel_scheme_known",
        "registry_external_parcel",
        "{row}scheme IN ('CCER','carbon_ticket','VCS','other')",
    ),
    Check("registry_external_parcel_area_positive", "registry_external_parcel", "{row}area_m2 > 0"),
    Check(
        "registry_external_parcel_bbox_ordered",
        "registry_external_parcel",
        "{row}min_lon <= {row}max_lon AND {row}min_lat <= {row}max_lat",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0013_portable_import")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ExternalParcel",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("scheme", fields.CharField(description="CCER | carbon_ticket (碳票) | VCS | other", max_length=16)),
                ("external_id", fields.CharField(description="the parcel's id in that scheme", max_length=128)),
                ("name", fields.CharField(default="", max_length=256)),
                (
                    "geometry",
                    fields.JSONField(
                        description="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat degrees",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("area_m2", fields.BigIntField(description="geodesic area on the WGS84 ellipsoid, square metres")),
                ("min_lon", fields.FloatField(description="bounding box, degrees")),
                ("min_lat", fields.FloatField(description="bounding box, degrees")),
                ("max_lon", fields.FloatField(description="bounding box, degrees")),
                ("max_lat", fields.FloatField(description="bounding box, degrees")),
                (
                    "size_class",
                    fields.SmallIntField(
                        description="smallest k with bbox width and height both at most SIZE_CLASS_DEGREES[k]"
                    ),
                ),
                ("imported_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "registry_external_parcel",
                "app": "models",
                "unique_together": (("scheme", "external_id"),),
                "indexes": [Index(fields=["size_class", "min_lon", "min_lat"])],
                "pk_attr": "id",
                "table_description": "A parcel registered in another scheme, imported so that ours never count the same land twice.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Project",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="random id shown in URLs and exports", max_length=26),
                ),
                ("name", fields.CharField(max_length=128)),
                (
                    "owner_organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="owner_organisation_id",
                        null=True,
                        description="the collective or cooperative that owns it, or null for an individual household",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "owner_user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="owner_user_id",
                        null=True,
                        description="the individual 林农/牧民 household that owns it, when there is no organisation",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        description="who opened the project",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("county_code", fields.CharField(db_index=True, description="GB/T 2260 county code", max_length=6)),
                ("methodology_id", fields.CharField(description="e.g. SC-LCP-BAM", max_length=32)),
                (
                    "status",
                    fields.CharField(
                        default="draft",
                        db_index=True,
                        description="draft | submitted | under_review | approved | returned",
                        max_length=16,
                    ),
                ),
                (
                    "return_reasons",
                    fields.JSONField(
                        default=list,
                        description="reason codes of the last return, e.g. boundary_unclear",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "return_note",
                    fields.TextField(
                        default="", description="the verifier's free-text note on the last return", unique=False
                    ),
                ),
                (
                    "reviewer",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reviewer_id",
                        null=True,
                        description="the verifier who took it under review",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("submitted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("review_started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "decided_at",
                    fields.DatetimeField(
                        null=True,
                        description="when it was last approved or returned",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "registry_project",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A micro-sink project of one owner under one methodology, reviewed as a whole.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Parcel",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="random id shown in URLs and exports", max_length=26),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="parcels",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "name",
                    fields.CharField(
                        default="", description="the holder's name for the plot, e.g. 后山", max_length=64
                    ),
                ),
                (
                    "geometry",
                    fields.JSONField(
                        description="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat degrees",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "input_crs",
                    fields.CharField(
                        description="wgs84 | cgcs2000 | gcj02 (converted to WGS84 on input)", max_length=8
                    ),
                ),
                ("area_m2", fields.BigIntField(description="geodesic area on the WGS84 ellipsoid, square metres")),
                ("min_lon", fields.FloatField(description="bounding box, degrees")),
                ("min_lat", fields.FloatField(description="bounding box, degrees")),
                ("max_lon", fields.FloatField(description="bounding box, degrees")),
                ("max_lat", fields.FloatField(description="bounding box, degrees")),
                (
                    "size_class",
                    fields.SmallIntField(
                        description="smallest k with bbox width and height both at most SIZE_CLASS_DEGREES[k]"
                    ),
                ),
                ("county_code", fields.CharField(description="GB/T 2260 county code", max_length=6)),
                (
                    "tenure_kind",
                    fields.CharField(
                        description="forest_right_certificate (林权证) | real_estate_certificate (不动产权证书) | grassland_contract (草原承包经营权证) | land_contract (土地承包经营权证) | collective_agreement | other",
                        max_length=32,
                    ),
                ),
                ("tenure_number_enc", fields.BinaryField(description="tenure document number, AES-GCM encrypted")),
                (
                    "tenure_number_index",
                    fields.CharField(
                        db_index=True, description="HMAC blind index of the tenure document number", max_length=64
                    ),
                ),
                ("holder_kind", fields.CharField(description="individual | collective", max_length=16)),
                ("holder_name_enc", fields.BinaryField(description="the tenure holder's name, AES-GCM encrypted")),
                (
                    "show_holder_name",
                    fields.BooleanField(
                        default=False, description="the holder chose to show the name in full on public pages"
                    ),
                ),
                (
                    "sink_type",
                    fields.CharField(
                        description="afforestation | forest_management | bamboo | grassland | wetland", max_length=24
                    ),
                ),
                (
                    "species",
                    fields.JSONField(
                        default=list,
                        description='composition as [{"species": "柏木", "percent": 60}], percents sum to 100',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("planting_year", fields.SmallIntField(null=True, description="calendar year the stand was planted")),
                ("stand_age_years", fields.SmallIntField(null=True, description="stand age in years when registered")),
                ("elevation_m", fields.IntField(null=True, description="mean elevation, metres above sea level")),
                (
                    "status",
                    fields.CharField(
                        default="draft",
                        db_index=True,
                        description="draft | submitted | under_review | approved | returned",
                        max_length=16,
                    ),
                ),
                ("active", fields.BooleanField(default=False, description="holds its ground against overlaps")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "registry_parcel",
                "app": "models",
                "indexes": [Index(fields=["active", "size_class", "min_lon", "min_lat"])],
                "pk_attr": "id",
                "table_description": "One piece of land in a project: its outline, area, tenure and what grows on it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StandMeasurement",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "parcel",
                    fields.ForeignKeyField(
                        "models.Parcel",
                        source_field="parcel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="measurements",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("measured_on", fields.DateField()),
                (
                    "stand_volume_m3_per_ha",
                    fields.DecimalField(
                        description="stand volume (蓄积), cubic metres per hectare", max_digits=7, decimal_places=2
                    ),
                ),
                ("method", fields.CharField(default="", description="e.g. sample plot, angle count", max_length=64)),
                (
                    "recorded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recorded_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "registry_stand_measurement",
                "app": "models",
                "unique_together": (("parcel", "measured_on"),),
                "pk_attr": "id",
                "table_description": "A dated stand-volume measurement of a parcel, for ex-post estimates.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
