"""Serving the clean images and thumbnails of evidence photos, by content key."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath

from app.core.errors import NotFound, handle_app_error
from app.evidence import service
from app.evidence.images import SERVED_MEDIA_TYPE, too_large
from app.storage import storage_for


def photo_too_large(request: Request, _exc: RequestEntityTooLarge) -> Response:
    """For a photo upload route's `exception_handlers`: a body over the route's ceiling
    (PHOTO_BODY_CEILING_BYTES) gets the same answer as a file over PHOTO_MAX_BYTES."""
    return handle_app_error(request, too_large(request.app.state.settings.photo_max_bytes))


class EvidenceFilesController(Controller):
    """Anyone holding a file's URL may fetch it: the key is the SHA-256 of the clean bytes, so it cannot be
    guessed, and it stops being served the moment no photo refers to it (a deleted photo is a 404)."""

    path = "/evidence/files"
    tags = ["evidence"]
    include_in_schema = False

    @get("/{key:str}", opt={"public": True})
    async def file(self, request: Request, key: FromPath[str]) -> Response[bytes]:
        if not await service.is_served(key):
            raise NotFound("evidence.photo_not_found")
        headers = {
            "X-Content-Type-Options": "nosniff",
            # Content-addressed: the bytes at this URL never change; a day bounds how long a deleted
            # photo may linger in caches that already fetched it.
            "Cache-Control": "public, max-age=86400",
            "ETag": f'"{key}"',
            "Content-Security-Policy": "default-src 'none'",
            "Content-Disposition": "inline",
        }
        if request.headers.get("if-none-match") == headers["ETag"]:  # a phone revisiting the page
            return Response(b"", status_code=304, headers=headers)
        data = await storage_for(request.app.state.settings).read(key)
        if data is None:
            raise NotFound("evidence.photo_not_found")
        return Response(data, media_type=SERVED_MEDIA_TYPE, headers=headers)
