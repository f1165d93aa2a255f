"""Request and response shapes of the linked city carbon account API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class LinkOut(msgspec.Struct):
    id: str
    provider: str
    account_id: Annotated[str, msgspec.Meta(description="my account id on the city platform")]
    linked_at: datetime


class DeliveryOut(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(description="planting.approved | credits.retired")]
    record_id: Annotated[str, msgspec.Meta(description="the id of the verified record that was pushed")]
    status: Annotated[str, msgspec.Meta(description="pending | sending | delivered | failed | cancelled")]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None


class StatusOut(msgspec.Struct):
    offered: Annotated[bool, msgspec.Meta(description="whether this platform offers linking at all")]
    linked: bool
    link: LinkOut | None
    deliveries: list[DeliveryOut]


class LinkStartOut(msgspec.Struct):
    authorize_url: Annotated[
        str, msgspec.Meta(description="open this in a browser or web-view; the platform redirects to the callback")
    ]


class CallbackIn(msgspec.Struct, forbid_unknown_fields=True):
    state: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    code: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    error: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ConsentForm(msgspec.Struct):
    """The sandbox platform's consent form: the authorisation request carried through, and the answer."""

    client_id: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    scope: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    account: str = ""
    decision: str = ""
