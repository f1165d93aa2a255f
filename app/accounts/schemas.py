"""Request and response shapes of the sign-in and profile API (they make the OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType


class WeChatSignIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="the code from wx.login()")]


class SmsSend(msgspec.Struct, forbid_unknown_fields=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=32, description="mainland China mobile number")]


class SmsSignIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=16, description="the 6-digit code from the SMS")]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class OrganisationRef(msgspec.Struct):
    public_id: str
    name: str


class RoleOut(msgspec.Struct):
    role: str
    organisation: OrganisationRef | None


class DistrictOut(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="GB/T 2260 county-level code")]
    name: Annotated[str, msgspec.Meta(description="full Chinese name, e.g. 四川省成都市龙泉驿区")]


class ProfileOut(msgspec.Struct):
    public_id: str
    display_name: str
    phone: Annotated[str | None, msgspec.Meta(description="masked, e.g. 138****1234")]
    wechat_linked: bool = False
    language: str = "zh-CN"
    district: DistrictOut | None = None
    roles: list[RoleOut] = msgspec.field(default_factory=list)
    created_at: datetime | None = None


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: Annotated[int, msgspec.Meta(description="seconds until the access token expires")]
    user: ProfileOut
    token_type: Literal["Bearer"] = "Bearer"


class SmsSentOut(msgspec.Struct):
    phone: Annotated[str, msgspec.Meta(description="the number the code went to, masked")]
    expires_in: Annotated[int, msgspec.Meta(description="seconds the code stays valid")]
    resend_after: Annotated[int, msgspec.Meta(description="seconds before another code may be requested")]


class SignedOutOut(msgspec.Struct):
    sessions_revoked: int


class PhoneForm(msgspec.Struct):
    """The page form asking for a code (unknown fields such as _csrf_token are ignored)."""

    phone: str = ""
    next: str = ""


class CodeForm(msgspec.Struct):
    phone: str = ""
    code: str = ""
    next: str = ""


def profile_out(profile: dict) -> ProfileOut:
    return msgspec.convert(profile, ProfileOut)


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; `"district_code": null` clears the district."""

    display_name: Annotated[str, msgspec.Meta(description="nickname shown on leaderboards, ≤ 20")] | UnsetType = UNSET
    district_code: (
        Annotated[str | None, msgspec.Meta(description="GB/T 2260 county-level code, e.g. 510112")] | UnsetType
    ) = UNSET
    language: Annotated[str, msgspec.Meta(description="zh-CN or en")] | UnsetType = UNSET
