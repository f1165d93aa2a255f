"""Public statistics of the registry: approved parcels by county, by sink type and by methodology version.

Two grouped queries (area and counts of approved parcels; sums of their current estimates) and a small
merge in Python: at most (counties × sink types × methodology versions) groups, whatever the number of
parcels. A parcel whose measured increment is held for review counts for area but not for kg.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.functions import Count, Sum

from app.core.i18n import t
from app.regions import service as regions
from app.registry.geometry import area_ha, area_mu
from app.registry.schemas import MethodologyStatOut, StatisticsOut, StatRowOut
from models.registry import Parcel, ParcelEstimate, Project

SINK_TYPES = ("afforestation", "forest_management", "bamboo", "grassland", "wetland")


@dataclass
class _Sum:
    parcels: int = 0
    area_m2: int = 0
    kg: int = 0
    held: int = 0

    def row(self, key: str, name: str) -> StatRowOut:
        return StatRowOut(
            key=key,
            name=name,
            parcels=self.parcels,
            area_m2=self.area_m2,
            area_mu=area_mu(self.area_m2),
            area_ha=area_ha(self.area_m2),
            kg_per_year=self.kg,
            parcels_held_for_review=self.held,
        )


@dataclass
class _Tally:
    total: _Sum = field(default_factory=_Sum)
    county: dict[str, _Sum] = field(default_factory=dict)
    sink: dict[str, _Sum] = field(default_factory=dict)

    def at(self, county: str, sink: str) -> list[_Sum]:
        return [self.total, self.county.setdefault(county, _Sum()), self.sink.setdefault(sink, _Sum())]


async def statistics(lang: str) -> StatisticsOut:
    tally = _Tally()
    areas = (
        await Parcel.filter(status="approved")
        .annotate(n=Count("id"), area=Sum("area_m2"))
        .group_by("county_code", "sink_type")
        .values("county_code", "sink_type", "n", "area")
    )
    for row in areas:
        for s in tally.at(row["county_code"], row["sink_type"]):
            s.parcels += int(row["n"])
            s.area_m2 += int(row["area"] or 0)
    sums = (
        await ParcelEstimate.filter(current=True, parcel__status="approved")
        .annotate(n=Count("id"), kg=Sum("kg_per_year"))
        .group_by(
            "parcel__county_code",
            "parcel__sink_type",
            "methodology_id",
            "methodology_version",
            "parameter_set_sha256",
            "held_for_review",
        )
        .values(
            "parcel__county_code",
            "parcel__sink_type",
            "methodology_id",
            "methodology_version",
            "parameter_set_sha256",
            "held_for_review",
            "n",
            "kg",
        )
    )
    versions: dict[tuple[str, str, str], list[int]] = {}
    for row in sums:
        held = bool(row["held_for_review"])
        kg = 0 if held else int(row["kg"] or 0)
        for s in tally.at(row["parcel__county_code"], row["parcel__sink_type"]):
            s.kg += kg
            s.held += int(row["n"]) if held else 0
        key = (row["methodology_id"], row["methodology_version"], row["parameter_set_sha256"])
        counts = versions.setdefault(key, [0, 0])
        counts[0] += int(row["n"])
        counts[1] += kg
    return StatisticsOut(
        scope="approved",
        total=tally.total.row("total", t("registry.home.totals", lang)),
        by_county=[
            tally.county[code].row(code, regions.full_name(code) or code)
            for code in sorted(tally.county, key=lambda c: (-tally.county[c].area_m2, c))
        ],
        by_sink_type=[tally.sink[s].row(s, t(f"registry.sink.{s}", lang)) for s in SINK_TYPES if s in tally.sink],
        by_methodology=[
            MethodologyStatOut(mid, version, sha, counts[0], counts[1])
            for (mid, version, sha), counts in sorted(versions.items())
        ],
    )


async def recent_approved(limit: int = 10) -> list[tuple[Project, int, int]]:
    """The latest approved projects with their area (m²) and estimate shown (kg/yr)."""
    projects = await Project.filter(status="approved").order_by("-decided_at", "-id").limit(limit)
    if not projects:
        return []
    ids = [p.id for p in projects]
    areas = {
        r["project_id"]: int(r["area"] or 0)
        for r in await Parcel.filter(project_id__in=ids)
        .annotate(area=Sum("area_m2"))
        .group_by("project_id")
        .values("project_id", "area")
    }
    kgs = {
        r["parcel__project_id"]: int(r["kg"] or 0)
        for r in await ParcelEstimate.filter(current=True, held_for_review=False, parcel__project_id__in=ids)
        .annotate(kg=Sum("kg_per_year"))
        .group_by("parcel__project_id")
        .values("parcel__project_id", "kg")
    }
    return [(p, areas.get(p.id, 0), kgs.get(p.id, 0)) for p in projects]
