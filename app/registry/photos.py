"""Parcel photos: the owner attaches and removes them while the project is draft or returned; the
verifier sees them, with their GPS position, distance from the outline and duplicate flags, in review;
the public sees the clean images and only how far from the parcel they were taken.

Photos are app.evidence photos with subject `parcel:<public id>` and duplicate scope
`project:<public id>`: the same bytes on two parcels of a project are refused naming the other parcel,
a near-duplicate (dHash within PHOTO_NEAR_DUPLICATE_BITS) of another parcel's photo is stored and
flagged, and a GPS position more than REGISTRY_PHOTO_MAX_DISTANCE_M from the outline is flagged with
the distance. Each add and delete is audited on the parcel, in the transaction that makes it.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from app.core import audit
from app.core.auth import Principal
from app.core.errors import Conflict, NotFound
from app.evidence import service as evidence
from app.registry import service
from app.registry.geometry import distance_to_m
from app.settings import Settings
from app.storage import Storage
from models.evidence import Photo
from models.registry import Parcel


def subject_of(parcel: Parcel) -> str:
    return f"parcel:{parcel.public_id}"


def scope_of(project_public_id: str) -> str:
    return f"project:{project_public_id}"


def _check_editable(status: str) -> None:
    if status not in service.EDITABLE:
        raise Conflict("registry.not_editable", status=status)


async def add_photo(
    settings: Settings, storage: Storage, principal: Principal, parcel_public_id: str, data: bytes
) -> Photo:
    """Attach a photo to the caller's parcel; 400/413 for a file that is not an acceptable photo, 409 for
    a project that is not editable, a full parcel or the same photo already in the project."""
    parcel = await service._owned_parcel(principal, parcel_public_id)
    _check_editable(parcel.project.status)
    cap = settings.registry_photos_per_parcel
    subject = subject_of(parcel)
    if await evidence.count_of(subject) >= cap:  # an early answer; the binding count is under the lock
        raise Conflict("registry.photo_cap", limit=cap)
    prepared = await evidence.prepare(settings, data)
    gps = prepared.processed.gps
    distance = distance_to_m(parcel.geometry, gps[1], gps[0]) if gps else None
    flags: list[dict[str, Any]] = []
    if distance is not None and distance > settings.registry_photo_max_distance_m:
        flags.append({"code": "far_from_subject", "distance_m": distance})
    stored = await evidence.store(storage, prepared)
    try:
        async with in_transaction() as conn:
            # The project row lock serialises this with submission and with other uploads to its parcels.
            project = await service._project(parcel.project.public_id, connection=conn, for_update=True)
            _check_editable(project.status)
            if await evidence.count_of(subject, conn) >= cap:
                raise Conflict("registry.photo_cap", limit=cap)
            photo = await evidence.attach(
                prepared,
                stored,
                scope=scope_of(project.public_id),
                subject=subject,
                uploaded_by=principal.user,
                near_duplicate_bits=settings.photo_near_duplicate_bits,
                distance_m=distance,
                flags=flags,
                connection=conn,
            )
            await audit.record(
                actor=service._actor(principal),
                action="registry.parcel.photo_added",
                entity_type="parcel",
                entity_id=parcel.public_id,
                after=evidence.audit_view(photo),
            )
    except BaseException:
        await evidence.discard(storage, stored.keys)
        raise
    return photo


async def delete_photo(storage: Storage, principal: Principal, parcel_public_id: str, photo_public_id: str) -> None:
    """Remove a photo from the caller's parcel while the project is draft or returned."""
    parcel = await service._owned_parcel(principal, parcel_public_id)
    _check_editable(parcel.project.status)
    async with in_transaction() as conn:
        project = await service._project(parcel.project.public_id, connection=conn, for_update=True)
        _check_editable(project.status)
        photo = await evidence.photo_of(subject_of(parcel), photo_public_id, conn)
        if photo is None:
            raise NotFound("evidence.photo_not_found")
        await Photo.filter(id=photo.id).using_db(conn).delete()
        await audit.record(
            actor=service._actor(principal),
            action="registry.parcel.photo_deleted",
            entity_type="parcel",
            entity_id=parcel.public_id,
            before=evidence.audit_view(photo),
        )
    await evidence.discard(storage, [photo.content_key, photo.thumb_key])


async def photos_of(parcels: list[Parcel]) -> dict[int, list[Photo]]:
    """Each parcel's photos, oldest first, by parcel id."""
    by_subject = await evidence.photos_of(subject_of(p) for p in parcels)
    return {p.id: by_subject.get(subject_of(p), []) for p in parcels}


def public_place(photo: Photo, settings: Settings) -> tuple[str, dict[str, Any]]:
    """What a public page may say about where a photo was taken: the outline is public, the position of
    a person's phone is not. So: inside the parcel, within N m (rounded up to 10 m) when N is at most
    REGISTRY_PHOTO_MAX_DISTANCE_M, else only "farther than" that; never coordinates."""
    limit = settings.registry_photo_max_distance_m
    if photo.distance_m is None:
        return "registry.photo.place_unknown", {}
    if photo.distance_m == 0:
        return "registry.photo.place_inside", {}
    if photo.distance_m <= limit:
        return "registry.photo.place_within", {"m": -(-photo.distance_m // 10) * 10}
    return "registry.photo.place_far", {"m": limit}
