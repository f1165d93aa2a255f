"""Request and response shapes of the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
County = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="GB/T 2260 county code")]
PublicId = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class OrganisationIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    name: Name
    county_code: County | None = None


class OrganisationOut(msgspec.Struct):
    public_id: str
    kind: str
    name: str
    county_code: str | None
    created_at: datetime


class MembershipIn(msgspec.Struct, forbid_unknown_fields=True):
    """Name the person by `user` (public id) or `phone` (creates the account if it does not exist yet)."""

    role: str
    user: PublicId | None = None
    phone: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    organisation: PublicId | None = None


class MembershipOut(msgspec.Struct):
    user: str
    role: str
    organisation: str | None
