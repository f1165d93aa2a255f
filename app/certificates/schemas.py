"""What a certificate says in public (the JSON API and the pages share it; it makes the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Basis = Literal["ex_ante", "ex_post", "mixed"]


class SerialRangeOut(msgspec.Struct):
    serial: Annotated[str, msgspec.Meta(description="the block's display string, as the serial lookup takes it")]
    start: int
    end: int
    quantity: Annotated[int, msgspec.Meta(description="kg CO2e")]
    status: Annotated[str, msgspec.Meta(description="retired, as long as the registry is whole")]
    issuance: str
    url: Annotated[str, msgspec.Meta(description="the public serial page")]


class ProjectOut(msgspec.Struct):
    id: str
    name: str
    county_code: str
    county_name: Annotated[str, msgspec.Meta(description="full Chinese name, e.g. 四川省成都市龙泉驿区")]
    url: Annotated[str, msgspec.Meta(description="the registry's public project page")]


class ParcelOut(msgspec.Struct):
    id: str
    basis: Annotated[str | None, msgspec.Meta(description="ex_ante or ex_post: the estimate the issuance rests on")]
    url: Annotated[str, msgspec.Meta(description="the registry's public parcel page")]


class MethodologyOut(msgspec.Struct):
    id: str
    version: str
    parameter_sha256: Annotated[
        str, msgspec.Meta(description="SHA-256 of the parameter file the kg were computed with")
    ]


class IssuanceOut(msgspec.Struct):
    id: str
    kg: Annotated[int, msgspec.Meta(description="kg CO2e of this certificate that come from this issuance")]
    vintage: int
    period_start: date
    period_end: date
    class_code: str
    project: ProjectOut
    parcels: list[ParcelOut]
    methodology: MethodologyOut
    basis: Annotated[
        Basis | None,
        msgspec.Meta(description="ex_ante (modelled), ex_post (measured, verified) or mixed; null if not recorded"),
    ]
    url: Annotated[str, msgspec.Meta(description="the public issuance page")]


class ReversalOut(msgspec.Struct):
    """A loss on the land behind some of the units, made good by cancelling buffer-pool units."""

    id: Annotated[str, msgspec.Meta(description="the loss event")]
    cause: Annotated[str, msgspec.Meta(description="fire | pests | land_conversion | felling | other")]
    occurred_on: date
    covered_by: Literal["buffer_pool"] = "buffer_pool"


class LinksOut(msgspec.Struct):
    page: Annotated[str, msgspec.Meta(description="absolute URL of the public verify page (what the QR code holds)")]
    qr_png: str
    qr_svg: str
    poster_png: str
    pdf: str


class CertificateOut(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="16 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ")]
    beneficiary: Annotated[str | None, msgspec.Meta(description="as the buyer chose to show it (张**), null if hidden")]
    beneficiary_shown: Literal["full", "masked", "hidden"]
    kg: Annotated[int, msgspec.Meta(description="kg CO2e retired in all")]
    purpose: Annotated[str, msgspec.Meta(description="trip | event | court_case | planting | offset | other")]
    purpose_reference: Annotated[
        str | None,
        msgspec.Meta(
            description="the trip, event, 案号 or planting year; null when withheld with a masked or hidden beneficiary"
        ),
    ]
    retired_at: datetime
    serials: list[SerialRangeOut]
    issuances: list[IssuanceOut]
    reversals: list[ReversalOut]
    links: LinksOut
