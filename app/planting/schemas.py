"""Request and response structs of the planting API (they make its OpenAPI spec)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from app.evidence.schemas import PhotoOut

Status = Literal["submitted", "approved", "rejected"]
Kind = Literal["duty", "honour"]


class LogIn(msgspec.Struct, forbid_unknown_fields=True):
    """What a person planted on a checked-in booking. Species and count limits are checked by the service
    (the campaign's species; 1..PLANTING_MAX_TREES_PER_LOG) so the refusal names them."""

    species: Annotated[str, msgspec.Meta(max_length=64, description="one of the campaign's species keys")]
    count: Annotated[int, msgspec.Meta(description="trees planted, 1..PLANTING_MAX_TREES_PER_LOG")]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class LogPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A change to one's own log: the fields given replace the log's (checked as when it was written);
    `revision`, if given, must still be the log's, or the change is refused (409) as made on a stale copy."""

    species: Annotated[str, msgspec.Meta(max_length=64, description="one of the campaign's species keys")] | None = None
    count: Annotated[int, msgspec.Meta(description="trees planted, 1..PLANTING_MAX_TREES_PER_LOG")] | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    revision: Annotated[int, msgspec.Meta(ge=1, description="the revision the change was made on")] | None = None


class RejectionOut(msgspec.Struct):
    """An earlier rejection of a resubmitted log."""

    reason: str
    reviewed_at: str | None


class LogOut(msgspec.Struct):
    id: str
    booking: str
    campaign: str
    species: str
    species_name: str
    count: int
    note: str
    planted_on: date
    status: Status
    reject_reason: str | None
    points_awarded: int
    reviewed_at: datetime | None
    photos: list[PhotoOut]
    revision: int
    resubmissions: int
    resubmissions_left: int
    editable: bool
    resubmittable: bool
    rejections: list[RejectionOut]
    photos_removable: bool = False  # the owner may still take photos off (waiting, or rejected and resubmittable)


class ReviewLogOut(msgspec.Struct):
    """A log in the organiser's queue: the planter is shown by masked name only."""

    id: str
    campaign: str
    planter: str
    species: str
    species_name: str
    count: int
    note: str
    planted_on: date
    status: Status
    photos: list[PhotoOut]
    revision: int
    resubmissions: int
    rejections: list[RejectionOut]


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason_zh: Annotated[str, msgspec.Meta(max_length=1000, description="why, in Chinese (required)")]
    reason_en: Annotated[str, msgspec.Meta(max_length=1000, description="why, in English (optional)")] = ""
    revision: (
        Annotated[int, msgspec.Meta(ge=1, description="the revision reviewed: 409 if the planter changed it since")]
        | None
    ) = None


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=26)]], msgspec.Meta(max_length=200)]
    revisions: Annotated[
        dict[str, int],
        msgspec.Meta(description="optional, per id: the revision reviewed; a log changed since is reported `changed`"),
    ] = {}


class BatchResultOut(msgspec.Struct):
    id: str
    outcome: Literal["approved", "already_approved", "already_rejected", "changed", "not_found", "forbidden"]
    message: str


class CertificateOut(msgspec.Struct):
    code: str
    kind: Kind
    kind_name: str
    holder: str
    year: int
    trees: int
    duty_trees: int
    duty_done: bool
    campaigns: list[str]
    updated_at: datetime
    page: str


class TallyOut(msgspec.Struct):
    year: int
    trees_planted: int
    trees_in_lieu: int
    trees: int
    duty_trees: int
    done: bool
    certificate: str | None


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    """Optional: both may be null (forgotten). Used only for the 义务植树 age rule."""

    birth_date: date | None = None
    sex: Literal["m", "f"] | None = None


class ProfileOut(msgspec.Struct):
    birth_date: date | None
    sex: Literal["m", "f"] | None
    from_id_number: bool


@dataclass
class LogForm:
    """The page's log form (multipart: the photo is optional)."""

    species: str = ""
    count: str = ""
    note: str = ""
    photo: UploadFile | None = None


@dataclass
class EditForm:
    """The page's edit form (while submitted) and its correct-and-resubmit form (after a rejection;
    multipart there, with an optional photo)."""

    species: str = ""
    count: str = ""
    note: str = ""
    revision: str = ""
    photo: UploadFile | None = None


@dataclass
class PhotoForm:
    photo: UploadFile | None = None


@dataclass
class RevisionForm:
    """A page form that changes a log names the revision it was rendered from."""

    revision: str = ""


@dataclass
class RejectForm:
    reason_zh: str = ""
    reason_en: str = ""
    revision: str = ""


@dataclass
class ProfileForm:
    birth_date: str = ""
    sex: str = ""


@dataclass
class PhotoUpload:
    """multipart/form-data with one file field, `photo`: a JPEG, PNG or WebP (judged by its bytes)."""

    photo: UploadFile
