"""Planting: the citizen's log (API and page), the organiser's review queue (API and page), the person's
yearly duty and optional details, and the public certificate page with its JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from app.campaigns import service as campaigns
from app.certificates.service import qr_svg
from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, request_language, t
from app.core.pages import page
from app.evidence.routes import photo_too_large
from app.evidence.schemas import PhotoOut, photo_out
from app.planting import poster as posters
from app.planting import service
from app.planting.schemas import (
    BatchIn,
    BatchResultOut,
    CertificateOut,
    EditForm,
    LogForm,
    LogIn,
    LogOut,
    LogPatch,
    PhotoForm,
    PhotoUpload,
    ProfileForm,
    ProfileIn,
    ProfileOut,
    RejectForm,
    RejectIn,
    RejectionOut,
    ReviewLogOut,
    RevisionForm,
    TallyOut,
)
from app.settings import PHOTO_BODY_CEILING_BYTES, Settings
from app.storage import storage_for
from models.evidence import Photo
from models.planting import DutyCertificate, PlantingLog

MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART, multipart_form_part_limit=8)


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _rejections(log: PlantingLog, lang: str) -> list[RejectionOut]:
    return [RejectionOut(reason, at) for reason, at in service.rejections_of(log, lang)]


def log_out(settings: Settings, log: PlantingLog, photos: list[Photo], lang: str) -> LogOut:
    return LogOut(
        id=log.public_id,
        booking=log.booking.public_id,
        campaign=log.campaign.slug,
        species=log.species,
        species_name=campaigns.species_name(log.species, lang),
        count=log.count,
        note=log.note,
        planted_on=log.planted_on,
        status=log.status,  # type: ignore[arg-type]
        reject_reason=service.reject_reason(log, lang),
        points_awarded=log.points_awarded,
        reviewed_at=log.reviewed_at,
        photos=[photo_out(p, lang) for p in photos],
        revision=log.revision,
        resubmissions=log.resubmissions,
        resubmissions_left=service.resubmissions_left(settings, log),
        editable=service.can_edit(log),
        resubmittable=service.can_resubmit(settings, log),
        rejections=_rejections(log, lang),
        photos_removable=service.can_remove_photos(settings, log),
    )


async def _log_out(settings: Settings, log: PlantingLog, lang: str) -> LogOut:
    fresh = await PlantingLog.get(id=log.id).prefetch_related("campaign", "booking")
    return log_out(settings, fresh, (await service.photos_of([fresh]))[fresh.id], lang)


def certificate_out(settings: Settings, cert: DutyCertificate, lang: str, tally: service.DutyTally) -> CertificateOut:
    return CertificateOut(
        code=cert.code,
        kind=cert.kind,  # type: ignore[arg-type]
        kind_name=t(f"planting.kind.{cert.kind}", lang),
        holder=service.masked_holder(settings, cert.user, lang),
        year=cert.year,
        trees=cert.trees,
        duty_trees=tally.duty_trees,
        duty_done=cert.trees >= tally.duty_trees,
        campaigns=list(cert.campaigns),
        updated_at=cert.updated_at,
        page=f"{settings.base_url}/planting/certificates/{cert.code}",
    )


def _tally_out(tally: service.DutyTally) -> TallyOut:
    return TallyOut(
        tally.year,
        tally.trees_planted,
        tally.trees_in_lieu,
        tally.trees,
        tally.duty_trees,
        tally.done,
        tally.certificate.code if tally.certificate else None,
    )


class PlantingController(Controller):
    path = "/api/v1/planting"
    tags = ["planting"]

    @post(
        "/bookings/{booking_id:str}/log",
        summary="Log what you planted on a checked-in booking (one log per booking)",
        guards=[requires(Role.CITIZEN)],
        raises=[AppError, Conflict, NotFound],
    )
    async def submit(self, request: Request, booking_id: FromPath[str], data: JSONBody[LogIn]) -> LogOut:
        log = await service.submit(_settings(request), require_principal(request).user, booking_id, data)
        return await _log_out(_settings(request), log, request_language(request))

    @get("/logs", summary="My planting logs, newest first", guards=[requires(Role.CITIZEN)])
    async def mine(self, request: Request) -> list[LogOut]:
        lang = request_language(request)
        logs = await PlantingLog.filter(user_id=require_principal(request).user.id).prefetch_related(
            "campaign", "booking"
        )
        photos = await service.photos_of(logs)
        return [
            log_out(_settings(request), x, photos[x.id], lang) for x in sorted(logs, key=lambda x: x.id, reverse=True)
        ]

    @get("/logs/{log_id:str}", summary="One of my planting logs", guards=[requires(Role.CITIZEN)], raises=[NotFound])
    async def one(self, request: Request, log_id: FromPath[str]) -> LogOut:
        log = await service.my_log(require_principal(request).user, log_id)
        return await _log_out(_settings(request), log, request_language(request))

    @patch(
        "/logs/{log_id:str}",
        summary="Edit my planting log while it waits for review (species, count, note); 409 once decided",
        guards=[requires(Role.CITIZEN)],
        raises=[AppError, Conflict, NotFound],
    )
    async def edit(self, request: Request, log_id: FromPath[str], data: JSONBody[LogPatch]) -> LogOut:
        settings = _settings(request)
        log = await service.edit(settings, require_principal(request).user, log_id, data, revision=data.revision)
        return await _log_out(settings, log, request_language(request))

    @post(
        "/logs/{log_id:str}/resubmit",
        summary="Correct my rejected planting log and send it back for review (PLANTING_MAX_RESUBMISSIONS times)",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        raises=[AppError, Conflict, NotFound],
    )
    async def resubmit(self, request: Request, log_id: FromPath[str], data: JSONBody[LogPatch]) -> LogOut:
        settings = _settings(request)
        log = await service.resubmit(settings, require_principal(request).user, log_id, data, revision=data.revision)
        return await _log_out(settings, log, request_language(request))

    @post(
        "/logs/{log_id:str}/photos",
        summary="Attach a photo to my submitted planting log; multipart field `photo`",
        guards=[requires(Role.CITIZEN)],
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
        raises=[AppError, Conflict, NotFound, RequestEntityTooLarge],
    )
    async def add_photo(
        self, request: Request, log_id: FromPath[str], data: Annotated[PhotoUpload, MULTIPART]
    ) -> PhotoOut:
        settings = _settings(request)
        content = await data.photo.read()
        await data.photo.close()
        photo = await service.add_photo(
            settings, storage_for(settings), require_principal(request).user, log_id, content
        )
        return photo_out(photo, request_language(request))

    @delete(
        "/logs/{log_id:str}/photos/{photo_id:str}",
        summary="Remove a photo from my planting log while it can still change (waiting, or rejected and "
        "resubmittable); bumps the revision; 409 once approved",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        raises=[Conflict, NotFound],
    )
    async def remove_photo(
        self,
        request: Request,
        log_id: FromPath[str],
        photo_id: FromPath[str],
        revision: Annotated[
            int | None, QueryParameter(ge=1, description="the revision you saw: 409 if the log changed since")
        ] = None,
    ) -> LogOut:
        settings = _settings(request)
        user = require_principal(request).user
        log = await service.remove_photo(settings, storage_for(settings), user, log_id, photo_id, revision=revision)
        return await _log_out(settings, log, request_language(request))

    @get(
        "/review",
        summary="Submitted logs of my organisations' campaigns, oldest first (organisers)",
        guards=[requires(Role.ORGANISER)],
        raises=[Forbidden, NotFound],
    )
    async def review(
        self, request: Request, campaign: Annotated[str, QueryParameter(max_length=64)] = ""
    ) -> list[ReviewLogOut]:
        lang, settings = request_language(request), _settings(request)
        logs = await service.pending(require_principal(request), campaign or None)
        photos = await service.photos_of(logs)
        return [
            ReviewLogOut(
                id=x.public_id,
                campaign=x.campaign.slug,
                planter=service.masked_holder(settings, x.user, lang),
                species=x.species,
                species_name=campaigns.species_name(x.species, lang),
                count=x.count,
                note=x.note,
                planted_on=x.planted_on,
                status=x.status,  # type: ignore[arg-type]
                photos=[photo_out(p, lang) for p in photos[x.id]],
                revision=x.revision,
                resubmissions=x.resubmissions,
                rejections=_rejections(x, lang),
            )
            for x in logs
        ]

    @post(
        "/review/approve",
        summary="Approve many logs; each is decided once, an already decided one is reported (organisers)",
        guards=[requires(Role.ORGANISER)],
        status_code=200,
    )
    async def approve_many(self, request: Request, data: JSONBody[BatchIn]) -> list[BatchResultOut]:
        lang = request_language(request)
        results = await service.approve_many(
            _settings(request),
            require_principal(request),
            data.ids,
            leaderboard=request.app.state.leaderboard,
            revisions=data.revisions,
        )
        return [BatchResultOut(i, o, t(f"planting.outcome.{o}", lang)) for i, o in results]  # type: ignore[arg-type]

    @post(
        "/review/{log_id:str}/approve",
        summary="Approve a submitted log: trees to the campaign, points, the yearly certificate (organisers)",
        guards=[requires(Role.ORGANISER)],
        status_code=200,
        raises=[Conflict, Forbidden, NotFound],
    )
    async def approve(
        self,
        request: Request,
        log_id: FromPath[str],
        revision: Annotated[
            int | None, QueryParameter(ge=1, description="the revision reviewed: 409 if the planter changed it since")
        ] = None,
    ) -> LogOut:
        decision = await service.approve(
            _settings(request),
            require_principal(request),
            log_id,
            leaderboard=request.app.state.leaderboard,
            revision=revision,
        )
        return await _log_out(_settings(request), decision.log, request_language(request))

    @post(
        "/review/{log_id:str}/reject",
        summary="Reject a submitted log with a reason (zh required, en optional) (organisers)",
        guards=[requires(Role.ORGANISER)],
        status_code=200,
        raises=[AppError, Conflict, Forbidden, NotFound],
    )
    async def reject(self, request: Request, log_id: FromPath[str], data: JSONBody[RejectIn]) -> LogOut:
        log = await service.reject(
            require_principal(request), log_id, data.reason_zh, data.reason_en, revision=data.revision
        )
        return await _log_out(_settings(request), log, request_language(request))

    @get("/tally", summary="My trees toward the yearly 义务植树 duty (3 trees)", guards=[requires(Role.CITIZEN)])
    async def tally(
        self, request: Request, year: Annotated[int | None, QueryParameter(ge=1979, le=2100)] = None
    ) -> TallyOut:
        tally = await service.duty_tally(require_principal(request).user, year or datetime.now(BEIJING).year)
        return _tally_out(tally)

    @get("/profile", summary="My optional birth date and sex for the duty-age rule", guards=[requires(Role.CITIZEN)])
    async def profile(self, request: Request) -> ProfileOut:
        who = await service.person(_settings(request), require_principal(request).user)
        return ProfileOut(who.birth_date, who.sex, who.from_id_number)  # type: ignore[arg-type]

    @put(
        "/profile",
        summary="Set or clear (null) my optional birth date and sex, stored encrypted",
        guards=[requires(Role.CITIZEN)],
        raises=[AppError],
    )
    async def set_profile(self, request: Request, data: JSONBody[ProfileIn]) -> ProfileOut:
        who = await service.set_profile(_settings(request), require_principal(request).user, data.birth_date, data.sex)
        return ProfileOut(who.birth_date, who.sex, who.from_id_number)  # type: ignore[arg-type]

    @get(
        "/certificates/{code:str}",
        summary="Verify a 义务植树 certificate (no sign-in)",
        opt={"public": True},
        raises=[NotFound],
    )
    async def certificate(self, request: Request, code: FromPath[str]) -> CertificateOut:
        cert = await service.certificate(code)
        tally = await service.duty_tally(cert.user, cert.year)
        return certificate_out(_settings(request), cert, request_language(request), tally)


# --- pages ---------------------------------------------------------------------------------------------


async def _log_page(request: Request, booking_id: str, *, error: AppError | None = None, notice: str = "") -> Template:
    lang, settings = request_language(request), _settings(request)
    user = require_principal(request).user
    booking = await campaigns.my_booking(user, booking_id)
    log = await service.log_of_booking(user, booking_id)
    photos = (await service.photos_of([log]))[log.id] if log else []
    c = booking.campaign
    return page(
        request,
        "planting/log.html",
        status_code=error.status_code if error else 200,
        booking=booking,
        c=c,
        title=c.title_zh if lang == "zh" else c.title_en,
        site_name=booking.slot.site.name_zh if lang == "zh" else booking.slot.site.name_en,
        log=log,
        photos=photos,
        species=[(k, campaigns.species_name(k, lang)) for k in c.species],
        species_name=campaigns.species_name,
        maximum=settings.planting_max_trees_per_log,
        reason=service.reject_reason(log, lang) if log else None,
        rejections=service.rejections_of(log, lang) if log else [],
        editable=bool(log) and service.can_edit(log),  # type: ignore[arg-type]
        resubmittable=bool(log) and service.can_resubmit(settings, log),  # type: ignore[arg-type]
        photos_removable=bool(log) and service.can_remove_photos(settings, log),  # type: ignore[arg-type]
        left=service.resubmissions_left(settings, log) if log else 0,
        max_resubmissions=settings.planting_max_resubmissions,
        error=error,
        notice=notice,
    )


def _count_of(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else -1


def _revision_of(text: str) -> int | None:
    """The revision a form was rendered from (None if absent or garbled: then no staleness check)."""
    text = text.strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 9 and int(text) > 0 else None


async def _review_page(
    request: Request, campaign: str = "", *, error: AppError | None = None, results: list[tuple[str, str]] | None = None
) -> Template:
    lang, settings = request_language(request), _settings(request)
    logs = await service.pending(require_principal(request), campaign or None)
    return page(
        request,
        "planting/review.html",
        status_code=error.status_code if error else 200,
        logs=logs,
        photos=await service.photos_of(logs),
        holder=lambda u: service.masked_holder(settings, u, lang),
        rejections=lambda log: service.rejections_of(log, lang),
        species_name=campaigns.species_name,
        campaign=campaign,
        error=error,
        results=results or [],
    )


NOTICES = {
    "submitted": "planting.page.submitted_notice",
    "edited": "planting.page.edited",
    "resubmitted": "planting.page.resubmitted",
    "photo": "planting.page.photo_added",
    "photo_removed": "planting.page.photo_removed",
    "saved": "planting.page.saved",
}


class PlantingPages(Controller):
    include_in_schema = False

    @get("/planting/bookings/{booking_id:str}/log", guards=[requires(Role.CITIZEN)])
    async def log_page(self, request: Request, booking_id: FromPath[str]) -> Template:
        return await _log_page(request, booking_id, notice=NOTICES.get(request.query_params.get("done", ""), ""))

    @post(
        "/planting/bookings/{booking_id:str}/log",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
    )
    async def log_submit(
        self, request: Request, booking_id: FromPath[str], data: Annotated[LogForm, MULTIPART]
    ) -> Template | Redirect:
        settings, lang = _settings(request), request_language(request)
        user = require_principal(request).user
        content = b""
        if data.photo is not None:
            content = await data.photo.read()
            await data.photo.close()
        try:
            log = await service.submit(
                settings, user, booking_id, LogIn(species=data.species, count=_count_of(data.count), note=data.note)
            )
        except AppError as exc:
            return await _log_page(request, booking_id, error=exc)
        if content:
            try:
                await service.add_photo(settings, storage_for(settings), user, log.public_id, content)
            except AppError as exc:  # the log stands; the page says why the photo did not
                return await _log_page(request, booking_id, error=exc)
        return Redirect(f"/planting/bookings/{booking_id}/log?lang={lang}&done=submitted", status_code=303)

    @post(
        "/planting/logs/{log_id:str}/photos",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
    )
    async def photo_submit(
        self, request: Request, log_id: FromPath[str], data: Annotated[PhotoForm, MULTIPART]
    ) -> Template | Redirect:
        settings, lang = _settings(request), request_language(request)
        user = require_principal(request).user
        log = await service.my_log(user, log_id)
        content = b""
        if data.photo is not None:
            content = await data.photo.read()
            await data.photo.close()
        try:
            if not content:
                raise AppError("evidence.empty")
            await service.add_photo(settings, storage_for(settings), user, log_id, content)
        except AppError as exc:
            return await _log_page(request, log.booking.public_id, error=exc)
        return Redirect(f"/planting/bookings/{log.booking.public_id}/log?lang={lang}&done=photo", status_code=303)

    @post("/planting/logs/{log_id:str}/photos/{photo_id:str}/remove", guards=[requires(Role.CITIZEN)], status_code=200)
    async def photo_remove(
        self, request: Request, log_id: FromPath[str], photo_id: FromPath[str], data: URLEncodedBody[RevisionForm]
    ) -> Template | Redirect:
        """The 删除 button under each photo of a log that can still change (no JavaScript)."""
        settings, lang = _settings(request), request_language(request)
        user = require_principal(request).user
        log = await service.my_log(user, log_id)
        try:
            await service.remove_photo(
                settings, storage_for(settings), user, log_id, photo_id, revision=_revision_of(data.revision)
            )
        except AppError as exc:
            return await _log_page(request, log.booking.public_id, error=exc)
        return Redirect(
            f"/planting/bookings/{log.booking.public_id}/log?lang={lang}&done=photo_removed", status_code=303
        )

    @post(
        "/planting/logs/{log_id:str}/edit",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
    )
    async def edit_submit(
        self, request: Request, log_id: FromPath[str], data: Annotated[EditForm, MULTIPART]
    ) -> Template | Redirect:
        """The edit form while the log waits for review, or the correct-and-resubmit form after a
        rejection (the service decides which the log's status allows), with an optional photo."""
        return await _change(request, log_id, data)

    @get("/planting/review", guards=[requires(Role.ORGANISER)])
    async def review_page(
        self, request: Request, campaign: Annotated[str, QueryParameter(max_length=64)] = ""
    ) -> Template:
        return await _review_page(request, campaign)

    @post("/planting/review/approve", guards=[requires(Role.ORGANISER)], status_code=200)
    async def batch(self, request: Request) -> Template:
        # Read as a multi-dict: one ticked box sends one `ids` value, several send several.
        form = await request.form()
        ids = [str(v) for v in form.getall("ids")] if "ids" in form else []
        # Each log's card carries the revision the organiser saw, as `rev-<id>`.
        revisions = {i: r for i in ids if (r := _revision_of(str(form.get(f"rev-{i}", "")))) is not None}
        campaign = request.query_params.get("campaign", "")
        try:
            results = await service.approve_many(
                _settings(request),
                require_principal(request),
                ids,
                leaderboard=request.app.state.leaderboard,
                revisions=revisions,
            )
        except AppError as exc:
            return await _review_page(request, campaign, error=exc)
        return await _review_page(request, campaign, results=results)

    @post("/planting/review/{log_id:str}/approve", guards=[requires(Role.ORGANISER)], status_code=200)
    async def approve_one(self, request: Request, log_id: FromPath[str]) -> Template:
        campaign = request.query_params.get("campaign", "")
        form = await request.form()
        try:
            await service.approve(
                _settings(request),
                require_principal(request),
                log_id,
                leaderboard=request.app.state.leaderboard,
                revision=_revision_of(str(form.get("revision", ""))),
            )
        except AppError as exc:
            return await _review_page(request, campaign, error=exc)
        return await _review_page(request, campaign, results=[(log_id, "approved")])

    @post("/planting/review/{log_id:str}/reject", guards=[requires(Role.ORGANISER)], status_code=200)
    async def reject_one(self, request: Request, log_id: FromPath[str], data: URLEncodedBody[RejectForm]) -> Template:
        campaign = request.query_params.get("campaign", "")
        try:
            await service.reject(
                require_principal(request),
                log_id,
                data.reason_zh,
                data.reason_en,
                revision=_revision_of(data.revision),
            )
        except AppError as exc:
            return await _review_page(request, campaign, error=exc)
        return await _review_page(request, campaign, results=[(log_id, "rejected")])

    @get("/planting/me", guards=[requires(Role.CITIZEN)])
    async def me(self, request: Request) -> Template:
        return await _me_page(request, notice=NOTICES.get(request.query_params.get("done", ""), ""))

    @post("/planting/me/profile", guards=[requires(Role.CITIZEN)], status_code=200)
    async def profile(self, request: Request, data: URLEncodedBody[ProfileForm]) -> Template | Redirect:
        lang = request_language(request)
        try:
            born = None
            if data.birth_date.strip():
                try:
                    born = date.fromisoformat(data.birth_date.strip())
                except ValueError:
                    raise AppError("planting.bad_birth_date") from None
            await service.set_profile(
                _settings(request), require_principal(request).user, born, data.sex.strip() or None
            )
        except AppError as exc:
            return await _me_page(request, error=exc)
        return Redirect(f"/planting/me?lang={lang}&done=saved", status_code=303)

    @get("/planting/certificates/{code:str}", opt={"public": True})
    async def certificate_page(self, request: Request, code: FromPath[str]) -> Template | Redirect | Response[bytes]:
        if code.lower().endswith(".pdf"):  # /planting/certificates/{code}.pdf: the printable certificate
            return await _certificate_file(request, code[: -len(".pdf")], "pdf")
        cert, out, titles = await _certificate_view(request, code)
        if code != cert.code:
            return Redirect(
                f"/planting/certificates/{cert.code}", query_params=dict(request.query_params), status_code=301
            )
        return page(
            request,
            "planting/certificate.html",
            cert=out,
            titles=titles,
            code_grouped="-".join(cert.code[i : i + 4] for i in range(0, len(cert.code), 4)),
            qr_svg=qr_svg(out.page),
        )

    @get("/planting/certificates/{code:str}/poster.png", opt={"public": True})
    async def certificate_poster(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        """The certificate as a poster to save or share, with the QR of its verify page."""
        return await _certificate_file(request, code, "png")


async def _certificate_file(request: Request, code: str, fmt: str) -> Response[bytes]:
    """The poster (PNG) or the printable certificate (PDF, the same page), in the request's language, its QR
    opening the verify page in that language."""
    lang = request_language(request)
    cert, out, titles = await _certificate_view(request, code)
    url = out.page + ("?lang=en" if lang == "en" else "")
    text = posters.text_of(msgspec.structs.asdict(out), [titles.get(s, s) for s in cert.campaigns], lang, url)
    headers = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}
    if fmt == "pdf":
        headers["Content-Disposition"] = f'inline; filename="planting-certificate-{cert.code}.pdf"'
        return Response(await posters.poster(text, "pdf"), media_type="application/pdf", headers=headers)
    return Response(await posters.poster(text), media_type="image/png", headers=headers)


async def _change(request: Request, log_id: str, data: EditForm) -> Template | Redirect:
    settings, lang = _settings(request), request_language(request)
    user = require_principal(request).user
    log = await service.my_log(user, log_id)
    content = b""
    if data.photo is not None:
        content = await data.photo.read()
        await data.photo.close()
    patch_ = LogPatch(species=data.species or None, count=_count_of(data.count), note=data.note)
    revision = _revision_of(data.revision)
    try:
        if log.status == "rejected":
            await service.resubmit(settings, user, log_id, patch_, revision=revision)
            done = "resubmitted"
        else:  # submitted, or approved: then the service says why not
            await service.edit(settings, user, log_id, patch_, revision=revision)
            done = "edited"
    except AppError as exc:
        return await _log_page(request, log.booking.public_id, error=exc)
    if content:
        try:
            await service.add_photo(settings, storage_for(settings), user, log_id, content)
        except AppError as exc:  # the change stands; the page says why the photo did not
            return await _log_page(request, log.booking.public_id, error=exc)
    return Redirect(f"/planting/bookings/{log.booking.public_id}/log?lang={lang}&done={done}", status_code=303)


async def _certificate_view(request: Request, code: str) -> tuple[DutyCertificate, CertificateOut, dict[str, str]]:
    """The certificate as the public sees it, and its campaigns' titles in the request's language."""
    lang, settings = request_language(request), _settings(request)
    cert = await service.certificate(code)
    out = certificate_out(settings, cert, lang, await service.duty_tally(cert.user, cert.year))
    titles = {
        s: (c.title_zh if lang == "zh" else c.title_en)
        for s in cert.campaigns
        if (c := await _campaign_or_none(s)) is not None
    }
    return cert, out, titles


async def _campaign_or_none(slug: str) -> Any:
    try:
        return await campaigns.campaign(slug)
    except NotFound:
        return None


async def _me_page(request: Request, *, error: AppError | None = None, notice: str = "") -> Template:
    settings = _settings(request)
    user = require_principal(request).user
    year = datetime.now(BEIJING).year
    logs = await service.logs_of(user)
    return page(
        request,
        "planting/me.html",
        status_code=error.status_code if error else 200,
        tally=await service.duty_tally(user, year),
        who=await service.person(settings, user),
        logs=logs,
        certificates=await service.certificates_of(user),
        species_name=campaigns.species_name,
        error=error,
        notice=notice,
    )
