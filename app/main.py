"""create_app(settings): the one Litestar factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.accounts.privacy_routes import PrivacyController, PrivacyPages
from app.accounts.routes import AuthController, SessionController, SignInPages
from app.accounts.wechat import wechat_login_for
from app.admin.routes import AdminController
from app.audit.routes import AuditController, AuditPageController
from app.campaigns.live import LiveChannels, channels_plugin
from app.campaigns.live_routes import CampaignDashboardController, CampaignLivePages
from app.campaigns.routes import CampaignPages, CampaignsController
from app.certificates.routes import CertificatePages, CertificatesController
from app.citylink.relay import relay_lifespan as city_account_relay
from app.citylink.routes import city_account_handlers
from app.core import housekeeping
from app.core.audit import sequencer_running
from app.core.auth import AuthMiddleware
from app.core.cache import RedisHealth, WindowCounters, redis_client, store_registry
from app.core.db import TortoisePlugin
from app.core.errors import EXCEPTION_HANDLERS, handle_unservable_path
from app.core.health import DegradedHeaderMiddleware, HealthController
from app.core.housekeeping import housekeeping_running
from app.core.idempotency import IdempotencyMiddleware
from app.core.logging import RequestIdMiddleware, configure_logging
from app.core.net import client_ip
from app.core.openapi import document_errors
from app.core.public_cache import PublicCache, PublicCacheMiddleware
from app.core.public_cache import listening as public_cache_listening
from app.core.routing import point_options_at_final_routes
from app.coupons.routes import CouponOffersController, CouponRedeemController, CouponsController
from app.credits import inventory as _credits_inventory  # noqa: F401  (registers the reservation sweep)
from app.credits.routes import (
    CreditsPages,
    CreditsPublicController,
    LossEventsController,
    MonitoringReportsController,
)
from app.donations.routes import CampaignDonationsController, DonationPages, DonationsController
from app.events.routes import EventOffsetPages, EventOrganiserPages, EventPages, EventsController
from app.evidence import service as evidence
from app.evidence.routes import EvidenceFilesController
from app.footprint.routes import FootprintController, FootprintPages
from app.judicial.routes import JudicialController, JudicialCourtPages, JudicialPages, JudicialPayPages
from app.kepu.routes import KepuPages
from app.ledger import service as _ledger  # noqa: F401  (registers the hold-expiry sweep)
from app.market.routes import (
    MarketListingsController,
    MarketOrderPages,
    MarketOrdersController,
    MarketPages,
)
from app.methodology.routes import CalculatorPages, MethodologyController
from app.money import payouts as money_payouts
from app.money.routes import (
    IncomePages,
    InvoiceExportController,
    OrganisationBuyingController,
    PayoutNotifyController,
    PayoutsController,
)
from app.money.sandbox import SandboxPayoutProvider
from app.notifications.outbox import relay_lifespan as notifications_relay
from app.notifications.routes import NotificationController, NotificationPagesController
from app.notifications.sms import sms_provider_for
from app.payments import service as payments
from app.payments.routes import PaymentNotifyController, PaymentsAdminController, SandboxPayPages
from app.planting.routes import PlantingController, PlantingPages
from app.points.leaderboard import Leaderboard, current_year
from app.points.routes import LeaderboardController, PointsController, PointsPages, PointsRulesController
from app.portable.routes import PortableController
from app.public.routes import HomeController
from app.registry.routes import (
    OpenDataController,
    RegistryPages,
    RegistryParcelsController,
    RegistryPhotosController,
    RegistryProjectsController,
    RegistryPublicController,
    RegistryReviewController,
)
from app.settings import ROOT, Settings
from app.storage import storage_for
from app.teams.board import TeamBoard
from app.teams.routes import TeamPages, TeamsController
from app.tourism.routes import (
    TourismOffsetPages,
    TourismOperatorController,
    TourismOperatorPages,
    TourismPages,
)


class MetricsController(PrometheusController):
    opt = {"public": True}
    include_in_schema = False


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    redis = redis_client(settings)
    # Everything that falls back to memory or the database while Redis is down reports here (cache.py).
    redis_health = RedisHealth()

    @asynccontextmanager
    async def shared_clients(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            # The WeChat Pay provider keeps one HTTP connection pool for the app's lifetime.
            close_payments = getattr(app.state.get("payments"), "aclose", None)
            if close_payments is not None:
                await close_payments()
            if redis is not None:
                await redis.aclose()

    @asynccontextmanager
    async def audit_sequencer(app: Litestar) -> AsyncIterator[None]:
        # Seals committed audit events into the hash chain; the ORM lifespan runs before and after it.
        async with sequencer_running(settings.audit_seal_interval_s, enabled=settings.background_workers):
            yield

    @asynccontextmanager
    async def tidy_up(app: Litestar) -> AsyncIterator[None]:
        async with housekeeping_running(settings.housekeeping_interval_s, enabled=settings.background_workers):
            yield

    live_channels = channels_plugin(redis, settings.redis_prefix)

    def running_channels() -> LiveChannels | None:
        return live_channels if live_channels.running else None

    # Anonymous public answers again until anything changes (app/core/public_cache.py); hits skip the rest.
    public_cache = PublicCache(settings)

    @asynccontextmanager
    async def public_cache_invalidation(app: Litestar) -> AsyncIterator[None]:
        async with public_cache_listening(app, public_cache, running_channels):
            yield

    middleware: list = [
        RequestIdMiddleware(),
        DegradedHeaderMiddleware(redis_health),
        PublicCacheMiddleware(public_cache, running_channels),
    ]
    if settings.api_rate_limit_per_minute > 0:
        middleware.append(
            RateLimitConfig(
                rate_limit=("minute", settings.api_rate_limit_per_minute),
                exclude=[r"^/(healthz|readyz|metrics|static)"],
                store="rate_limit",
                identifier_for_request=lambda request: client_ip(request, settings),
            ).middleware
        )
    middleware += [
        PrometheusConfig(app_name="microsink", prefix="microsink", group_path=True, exclude=[r"^/metrics"]).middleware,
        AuthMiddleware(settings),
        IdempotencyMiddleware(settings),
    ]

    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            HomeController,
            AuthController,
            SessionController,
            SignInPages,
            create_static_files_router(
                path="/static",
                directories=[ROOT / "static"],
                opt={"public": True},
                exception_handlers={ValueError: handle_unservable_path},  # /static/a%00.css was a 500
            ),
            AdminController,
            PrivacyController,
            PrivacyPages,
            PointsController,
            PointsRulesController,
            LeaderboardController,
            PortableController,
            CouponOffersController,
            CouponsController,
            CouponRedeemController,
            RegistryProjectsController,
            RegistryParcelsController,
            RegistryPhotosController,
            EvidenceFilesController,
            RegistryReviewController,
            RegistryPages,
            RegistryPublicController,
            OpenDataController,
            PointsPages,
            NotificationController,
            NotificationPagesController,
            AuditController,
            AuditPageController,
            *city_account_handlers(settings),
            MethodologyController,
            CalculatorPages,
            MonitoringReportsController,
            LossEventsController,
            CreditsPublicController,
            CreditsPages,
            FootprintController,
            FootprintPages,
            CertificatesController,
            CertificatePages,
            MarketListingsController,
            MarketOrdersController,
            MarketPages,
            MarketOrderPages,
            PaymentNotifyController,
            PayoutsController,
            PayoutNotifyController,
            OrganisationBuyingController,
            InvoiceExportController,
            IncomePages,
            PaymentsAdminController,
            *([SandboxPayPages] if settings.payment_provider == "sandbox" else []),
            CampaignsController,
            CampaignPages,
            PlantingController,
            PlantingPages,
            CampaignDashboardController,  # live progress and the organiser dashboard (issue 7)
            CampaignLivePages,
            KepuPages,  # 科普 (issue 7)
            TeamsController,
            TeamPages,
            TourismOperatorController,
            TourismPages,
            TourismOffsetPages,
            TourismOperatorPages,
            JudicialController,
            JudicialPages,
            JudicialPayPages,
            JudicialCourtPages,
            EventsController,
            EventPages,
            EventOffsetPages,
            EventOrganiserPages,
            CampaignDonationsController,
            DonationsController,
            DonationPages,
        ],
        # Live campaign progress (app/campaigns/live.py): Redis pub/sub when configured, memory otherwise.
        plugins=[TortoisePlugin(settings), live_channels],
        # Document the real error shape and statuses before anyone reads the spec.
        on_startup=[lambda app: document_errors(app, rate_limited=settings.api_rate_limit_per_minute > 0)],
        lifespan=[
            shared_clients,
            tidy_up,
            audit_sequencer,
            notifications_relay,
            city_account_relay,
            public_cache_invalidation,
        ],
        middleware=middleware,
        stores=store_registry(redis, settings.redis_prefix, redis_health),
        exception_handlers=EXCEPTION_HANDLERS,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.is_production,
            cookie_httponly=True,
            # Probes are not forms: a CSRF cookie (an HMAC and a Set-Cookie) on each of them is waste.
            exclude=[r"^/api/", r"^/(healthz|readyz|metrics)$"],
        ),
        template_config=TemplateConfig(directory=Path(ROOT / "templates"), engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="MicroSink 微碳汇 API",
            version="1",
            path="/schema",
            # JSON only: the HTML viewers load their scripts from a CDN, and our pages use served assets only.
            render_plugins=[JsonRenderPlugin()],
            openapi_router=Router(path="/schema", route_handlers=[], opt={"public": True}),
            security=[{"BearerToken": []}],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        debug=False,
    )
    point_options_at_final_routes(app)  # OPTIONS answers the route's whole Allow list (litestar#4169)
    app.state.settings = settings
    app.state.redis = redis
    app.state.redis_health = redis_health
    app.state.public_cache = public_cache
    app.state.counters = WindowCounters(redis, settings.redis_prefix, redis_health)
    app.state.leaderboard = Leaderboard(redis, settings.redis_prefix, redis_health)
    if redis is not None:  # the ledger is the truth: rewrite this year's board from it now and then
        housekeeping.register("points.leaderboard_rebuild", lambda: app.state.leaderboard.rebuild(current_year()))
    # Team scores follow each recorded award (and each join or leave); a rebuild heals lost writes.
    app.state.team_board = TeamBoard(redis, settings.redis_prefix, redis_health)
    app.state.leaderboard.listeners.append(app.state.team_board.member_scored)
    if redis is not None:
        housekeeping.register("teams.board_rebuild", lambda: app.state.team_board.rebuild(current_year()))
        # Redis back after an outage may be empty (no persistence) or stale: rebuild both boards at once.
        redis_health.on_recover += [
            lambda: app.state.leaderboard.rebuild(current_year()),
            lambda: app.state.team_board.rebuild(current_year()),
        ]
    # Files a failed or interrupted upload left behind, which no photo refers to (docs/evidence.md).
    housekeeping.register("evidence.sweep_unreferenced", lambda: evidence.sweep_unreferenced(storage_for(settings)))
    app.state.payments = payments.provider_for(settings)
    housekeeping.register("payments.retry_refunds", lambda: payments.retry_refunds(settings, app.state.payments))
    # Attempts whose notice never took: asked of the provider, then paid (fulfilled or refunded) or closed.
    housekeeping.register(
        "payments.reconcile_pending", lambda: payments.reconcile_pending(settings, app.state.payments)
    )
    # docs/money.md: the sandbox is the only payout provider so far; in production it never claims to have paid
    app.state.payouts = SandboxPayoutProvider(settings, instant=not settings.is_production)
    housekeeping.register("money.retry_payouts", lambda: money_payouts.retry_payouts(settings, app.state.payouts))
    app.state.sms = sms_provider_for(settings)
    app.state.wechat_login = wechat_login_for(settings, app.state.counters)
    return app
