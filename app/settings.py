"""Typed settings read from the environment, in one place.

The embedded default (no variables set) is a SQLite file, memory stores and sandbox providers, so
`make run` works on a bare machine. Production sets ENVIRONMENT=production and must then provide its
own secrets: `Settings.from_env` refuses to start production on the development keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Development-only secrets: fixed so a restart keeps sessions and decryptable data, refused in production.
_DEV_SECRET = "microsink-development-secret-do-not-use-in-production"
# The request-body ceiling of the photo upload routes (fixed when routes are declared); PHOTO_MAX_BYTES,
# the rule a person is told about, must stay under it by the multipart framing's margin.
PHOTO_BODY_CEILING_BYTES = 32 * 1024 * 1024


class SettingsError(ValueError):
    """The environment describes a configuration that must not start."""


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _derive_key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    environment: str = "development"  # development | test | production
    database_url: str = f"sqlite://{ROOT / 'data' / 'microsink.sqlite3'}"
    redis_url: str | None = None
    redis_prefix: str = "microsink"  # every key we write starts with this; tests use their own
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = _DEV_SECRET
    # 32-byte key (urlsafe base64) for personal data at rest; the blind index uses a key derived apart.
    data_key_b64: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(_derive_key(_DEV_SECRET, "data")).decode()
    )
    # Ed25519 seed (urlsafe base64, 32 bytes) for signing portable records; derived from SECRET_KEY if unset.
    record_signing_key_b64: str = ""
    # TOML file of the platforms whose portable records we import (app/portable/trusted_issuers.toml if unset).
    portable_trusted_issuers_file: str = ""
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    session_cookie_ttl_s: int = 14 * 24 * 3600
    # WeChat mini-program sign-in: "sandbox" (in-app) or the jscode2session API base URL.
    wechat_login_base_url: str = "sandbox"
    wechat_appid: str = "wx-sandbox-appid"
    wechat_secret: str = "sandbox-secret"
    # SMS: "sandbox" (development outbox page) or a provider API base URL.
    sms_provider: str = "sandbox"
    sms_base_url: str = ""
    sms_secret_id: str = ""
    sms_secret_key: str = ""
    sms_app_id: str = ""
    sms_sign_name: str = "微碳汇"
    sms_login_template_id: str = ""
    # WeChat subscription messages: "sandbox" or the api.weixin.qq.com base URL.
    wechat_message_base_url: str = "sandbox"
    # The template ids the providers approved, by our own template name:
    # {"wechat": {"account-role-granted": "<WeChat template id>"}, "sms": {"login": "<Tencent template id>"}}
    notification_template_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    # Linked city carbon account (碳惠天府 style): "sandbox" (served in-app), "oauth2" (a city platform
    # speaking docs/city-account.md at CITY_ACCOUNT_BASE_URL) or "off" (linking not offered).
    city_account_provider: str = "sandbox"
    city_account_base_url: str = ""
    city_account_client_id: str = ""
    city_account_client_secret: str = ""
    city_account_webhook_secret: str = ""  # HMAC-SHA256 key shared with the city platform for pushes
    # Payments: "sandbox" (the embedded confirm page) or "wechatpay" (WeChat Pay API v3, below).
    payment_provider: str = "sandbox"
    # WeChat Pay API v3, direct merchant, mini-program JSAPI (docs/payments.md). The appid is
    # WECHAT_APPID: the payer's openid comes from signing in to that very mini-program.
    wechatpay_base_url: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = ""
    wechatpay_private_key_file: str = ""  # PEM, the merchant API certificate's private key
    wechatpay_cert_serial: str = ""  # the merchant API certificate's serial number
    wechatpay_apiv3_key: str = field(default="", repr=False)  # 32 characters, decrypts notifications
    # (serial, PEM file) pairs: WeChat Pay public keys (PUB_KEY_ID_…) and/or platform certificates;
    # the first is the one we ask WeChat to sign with. Two during a switch (about 7 days).
    wechatpay_platform_keys: tuple[tuple[str, str], ...] = ()
    sms_code_ttl_s: int = 5 * 60
    sms_code_max_attempts: int = 5
    sms_per_phone_per_minute: int = 1
    sms_per_phone_per_day: int = 10
    sms_per_ip_per_hour: int = 30
    api_rate_limit_per_minute: int = 600  # per client IP across the API; 0 disables
    # Anonymous public answers (campaign and certificate pages, serial lookups) are served again for this
    # long unless something changes first (app/core/public_cache.py); 0 turns the micro-cache off.
    public_cache_ttl_s: int = 10
    idempotency_ttl_s: int = 24 * 3600
    audit_seal_interval_s: float = 1.0
    outbox_poll_interval_s: float = 1.0
    housekeeping_interval_s: float = 300.0
    background_workers: bool = True  # audit sequencer and outbox relay in the app process
    log_json: bool = True
    log_level: str = "INFO"
    load_demo_data: bool = True
    trusted_proxies: tuple[str, ...] = ()
    # Registry parcels: overlaps of at most this many m² pass (GPS traces of a shared boundary rarely
    # agree), the lon/lat box parcels must lie in (China by default; a province sets its own), limits.
    registry_sliver_tolerance_m2: int = 100
    registry_bounds: tuple[float, float, float, float] = (73.4, 3.8, 135.1, 53.6)
    registry_max_vertices: int = 2000
    registry_min_area_m2: int = 10
    registry_max_area_m2: int = 100_000_000
    # Evidence photos (app/evidence, docs/evidence.md): where the stored files live (created on demand),
    # the limits an upload must meet, the dHash Hamming distance at or below which two photos count as
    # near-duplicates, and, for parcels, how many photos each may hold and how far from its outline a
    # photo's GPS position may be before the verifier is told.
    upload_dir: str = str(ROOT / "data" / "uploads")
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_pixels: int = 50_000_000
    photo_near_duplicate_bits: int = 10
    registry_photos_per_parcel: int = 12
    registry_photo_max_distance_m: int = 500
    # Planting (docs/planting.md): the most trees one planting log may claim, the photos it may hold,
    # and how many check-ins one person may make on one Beijing day (across all campaigns).
    planting_max_trees_per_log: int = 200
    # a log photo taken farther than this (or the site's check-in radius, if larger) from the site's
    # check-in point is flagged for the reviewer
    planting_photo_max_distance_m: int = 1000
    planting_photos_per_log: int = 6
    # how many times the owner may correct and resubmit a rejected planting log (0: a rejection is final)
    planting_max_resubmissions: int = 3
    campaign_checkins_per_day: int = 3
    # Market and payments (docs/market.md, docs/payments.md): "sandbox" (in-app confirm page and signed
    # callback) or "wechatpay" (WeChat Pay API v3); how long an unpaid order holds its kg; the platform's
    # share of each sale in basis points (fee = floor(total × bps / 10000), the rest to the seller); how
    # many points pay one fen of a price.
    # Teams (docs/teams.md): direct members a team may have; joins past it are refused (409).
    teams_max_members: int = 500
    market_reservation_minutes: int = 15
    market_platform_fee_bps: int = 2000
    market_points_per_fen: int = 1
    # 碳汇+司法 (docs/judicial.md): which sink a defendant's kg come from. "prefer" takes the damage county's
    # listings when one can sell the kg and otherwise any county, flagging the case 损益分离; "require"
    # refuses kg from another county; "off" takes the cheapest listing anywhere (still flagged).
    judicial_same_county: str = "prefer"
    # Payouts to sellers (docs/money.md): the smallest payout a seller may ask for, in fen.
    payout_min_fen: int = 100

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def data_key(self) -> bytes:
        key = base64.urlsafe_b64decode(self.data_key_b64)
        if len(key) != 32:
            raise SettingsError("DATA_KEY must be 32 bytes, urlsafe base64 encoded")
        return key

    @property
    def blind_index_key(self) -> bytes:
        return _derive_key(self.data_key_b64, "blind-index")

    @property
    def token_key(self) -> bytes:
        return _derive_key(self.secret_key, "tokens")

    @property
    def record_signing_seed(self) -> bytes:
        """The 32-byte Ed25519 seed that signs portable records (RECORD_SIGNING_KEY, else derived)."""
        if self.record_signing_key_b64:
            seed = base64.urlsafe_b64decode(self.record_signing_key_b64)
            if len(seed) != 32:
                raise SettingsError("RECORD_SIGNING_KEY must be 32 bytes, urlsafe base64 encoded")
            return seed
        return _derive_key(self.secret_key, "portable-records")

    def wechatpay_missing(self) -> list[str]:
        """The WeChat Pay settings that are unset or unusable (empty when the adapter can start)."""
        missing = [
            var
            for var, value in (
                ("WECHATPAY_MCHID", self.wechatpay_mchid),
                ("WECHATPAY_PRIVATE_KEY_FILE", self.wechatpay_private_key_file),
                ("WECHATPAY_CERT_SERIAL", self.wechatpay_cert_serial),
                ("WECHATPAY_APIV3_KEY", self.wechatpay_apiv3_key),
                ("WECHATPAY_PLATFORM_KEYS", self.wechatpay_platform_keys),
            )
            if not value
        ]
        if self.wechatpay_apiv3_key and len(self.wechatpay_apiv3_key.encode()) != 32:
            missing.append("WECHATPAY_APIV3_KEY (32 characters)")
        files = [("WECHATPAY_PRIVATE_KEY_FILE", self.wechatpay_private_key_file)]
        files += [(f"WECHATPAY_PLATFORM_KEYS ({serial})", path) for serial, path in self.wechatpay_platform_keys]
        missing += [f"{var}: no file {path}" for var, path in files if path and not Path(path).is_file()]
        if self.wechat_appid == Settings.wechat_appid:
            missing.append("WECHAT_APPID (the mini-program's own)")
        return missing

    def provider_template_id(self, channel: str, name: str) -> str:
        """The provider's id for one of our template names; the name itself where none is configured
        (the sandboxes accept any name)."""
        return self.notification_template_ids.get(channel, {}).get(name, name)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        base = cls()
        values: dict[str, object] = {}
        strings = {
            "ENVIRONMENT": "environment",
            "DATABASE_URL": "database_url",
            "BASE_URL": "base_url",
            "SECRET_KEY": "secret_key",
            "DATA_KEY": "data_key_b64",
            "WECHAT_LOGIN_BASE_URL": "wechat_login_base_url",
            "WECHAT_APPID": "wechat_appid",
            "WECHAT_SECRET": "wechat_secret",
            "WECHAT_MESSAGE_BASE_URL": "wechat_message_base_url",
            "SMS_PROVIDER": "sms_provider",
            "SMS_BASE_URL": "sms_base_url",
            "SMS_SECRET_ID": "sms_secret_id",
            "SMS_SECRET_KEY": "sms_secret_key",
            "SMS_APP_ID": "sms_app_id",
            "SMS_SIGN_NAME": "sms_sign_name",
            "SMS_LOGIN_TEMPLATE_ID": "sms_login_template_id",
            "LOG_LEVEL": "log_level",
            "REDIS_PREFIX": "redis_prefix",
            "RECORD_SIGNING_KEY": "record_signing_key_b64",
            "CITY_ACCOUNT_PROVIDER": "city_account_provider",
            "CITY_ACCOUNT_BASE_URL": "city_account_base_url",
            "CITY_ACCOUNT_CLIENT_ID": "city_account_client_id",
            "CITY_ACCOUNT_CLIENT_SECRET": "city_account_client_secret",
            "CITY_ACCOUNT_WEBHOOK_SECRET": "city_account_webhook_secret",
            "PORTABLE_TRUSTED_ISSUERS": "portable_trusted_issuers_file",
            "PAYMENT_PROVIDER": "payment_provider",
            "JUDICIAL_SAME_COUNTY": "judicial_same_county",
            "WECHATPAY_BASE_URL": "wechatpay_base_url",
            "WECHATPAY_MCHID": "wechatpay_mchid",
            "WECHATPAY_PRIVATE_KEY_FILE": "wechatpay_private_key_file",
            "WECHATPAY_CERT_SERIAL": "wechatpay_cert_serial",
            "WECHATPAY_APIV3_KEY": "wechatpay_apiv3_key",
            "UPLOAD_DIR": "upload_dir",
        }
        for var, attr in strings.items():
            if e.get(var):
                values[attr] = e[var]
        if e.get("REDIS_URL"):
            values["redis_url"] = e["REDIS_URL"]
        ints = {
            "API_RATE_LIMIT_PER_MINUTE": "api_rate_limit_per_minute",
            "PUBLIC_CACHE_TTL_S": "public_cache_ttl_s",
            "ACCESS_TOKEN_TTL_S": "access_token_ttl_s",
            "REFRESH_TOKEN_TTL_S": "refresh_token_ttl_s",
            "REGISTRY_SLIVER_TOLERANCE_M2": "registry_sliver_tolerance_m2",
            "REGISTRY_MAX_VERTICES": "registry_max_vertices",
            "PHOTO_MAX_BYTES": "photo_max_bytes",
            "PHOTO_MAX_PIXELS": "photo_max_pixels",
            "PHOTO_NEAR_DUPLICATE_BITS": "photo_near_duplicate_bits",
            "REGISTRY_PHOTOS_PER_PARCEL": "registry_photos_per_parcel",
            "REGISTRY_PHOTO_MAX_DISTANCE_M": "registry_photo_max_distance_m",
            "PLANTING_MAX_TREES_PER_LOG": "planting_max_trees_per_log",
            "PLANTING_PHOTOS_PER_LOG": "planting_photos_per_log",
            "PLANTING_PHOTO_MAX_DISTANCE_M": "planting_photo_max_distance_m",
            "PLANTING_MAX_RESUBMISSIONS": "planting_max_resubmissions",
            "CAMPAIGN_CHECKINS_PER_DAY": "campaign_checkins_per_day",
            "MARKET_RESERVATION_MINUTES": "market_reservation_minutes",
            "MARKET_PLATFORM_FEE_BPS": "market_platform_fee_bps",
            "MARKET_POINTS_PER_FEN": "market_points_per_fen",
            "PAYOUT_MIN_FEN": "payout_min_fen",
            "TEAMS_MAX_MEMBERS": "teams_max_members",
        }
        for var, attr in ints.items():
            if e.get(var):
                values[attr] = int(e[var])
        values["log_json"] = _flag("LOG_JSON", base.log_json)
        values["load_demo_data"] = _flag("LOAD_DEMO_DATA", base.load_demo_data)
        values["background_workers"] = _flag("BACKGROUND_WORKERS", base.background_workers)
        if e.get("NOTIFICATION_TEMPLATE_IDS"):
            try:
                values["notification_template_ids"] = json.loads(e["NOTIFICATION_TEMPLATE_IDS"])
            except ValueError as exc:
                raise SettingsError(f"NOTIFICATION_TEMPLATE_IDS is not JSON: {exc}") from None
        if e.get("TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(p.strip() for p in e["TRUSTED_PROXIES"].split(",") if p.strip())
        if e.get("WECHATPAY_PLATFORM_KEYS"):
            pairs = [p.strip().split("=", 1) for p in e["WECHATPAY_PLATFORM_KEYS"].split(",") if p.strip()]
            if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
                raise SettingsError("WECHATPAY_PLATFORM_KEYS must be serial=file pairs separated by commas")
            values["wechatpay_platform_keys"] = tuple((p[0].strip(), p[1].strip()) for p in pairs)
        if e.get("REGISTRY_BOUNDS"):
            try:
                west, south, east, north = (float(v) for v in e["REGISTRY_BOUNDS"].split(","))
            except ValueError:
                raise SettingsError("REGISTRY_BOUNDS must be four numbers: west,south,east,north") from None
            values["registry_bounds"] = (west, south, east, north)
        settings = replace(base, **values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse configurations that would be unsafe or broken."""
        if self.environment not in {"development", "test", "production"}:
            raise SettingsError(f"ENVIRONMENT must be development, test or production, not {self.environment!r}")
        _ = self.data_key
        if not 0 < self.photo_max_bytes <= PHOTO_BODY_CEILING_BYTES - 64 * 1024:
            raise SettingsError(f"PHOTO_MAX_BYTES must be between 1 and {PHOTO_BODY_CEILING_BYTES - 64 * 1024}")
        if self.photo_max_pixels <= 0 or not 0 <= self.photo_near_duplicate_bits <= 64:
            raise SettingsError("PHOTO_MAX_PIXELS must be positive and PHOTO_NEAR_DUPLICATE_BITS within 0..64")
        if min(self.planting_max_trees_per_log, self.planting_photos_per_log, self.campaign_checkins_per_day) < 1:
            raise SettingsError(
                "PLANTING_MAX_TREES_PER_LOG, PLANTING_PHOTOS_PER_LOG and CAMPAIGN_CHECKINS_PER_DAY must be at least 1"
            )
        if not 0 <= self.planting_max_resubmissions <= 100:
            raise SettingsError("PLANTING_MAX_RESUBMISSIONS must be between 0 and 100")
        if not 0 < self.teams_max_members <= 100_000:
            raise SettingsError("TEAMS_MAX_MEMBERS must be between 1 and 100000")
        if self.is_production:
            if self.secret_key == _DEV_SECRET:
                raise SettingsError("production needs its own SECRET_KEY")
            if self.data_key_b64 == Settings().data_key_b64:
                raise SettingsError("production needs its own DATA_KEY")
            if self.wechat_login_base_url == "sandbox" or self.sms_provider == "sandbox":
                raise SettingsError("production cannot use the sandbox sign-in providers")
            if self.wechat_message_base_url == "sandbox":
                raise SettingsError("production cannot use the sandbox WeChat message provider")
            if self.city_account_provider == "sandbox":
                raise SettingsError(
                    "production cannot use the sandbox city account provider (set CITY_ACCOUNT_PROVIDER)"
                )
            if self.payment_provider == "sandbox":
                raise SettingsError("production cannot use the sandbox payment provider (set PAYMENT_PROVIDER)")
        if self.payment_provider not in {"sandbox", "wechatpay"}:
            raise SettingsError(f"PAYMENT_PROVIDER must be sandbox or wechatpay, not {self.payment_provider!r}")
        if not 0 <= self.market_platform_fee_bps <= 10_000:
            raise SettingsError("MARKET_PLATFORM_FEE_BPS must be 0 to 10000 basis points")
        if not 1 <= self.market_reservation_minutes <= 24 * 60:
            raise SettingsError("MARKET_RESERVATION_MINUTES must be 1 to 1440")
        if self.market_points_per_fen < 1:
            raise SettingsError("MARKET_POINTS_PER_FEN must be a whole number ≥ 1")
        if self.judicial_same_county not in {"prefer", "require", "off"}:
            raise SettingsError("JUDICIAL_SAME_COUNTY must be prefer, require or off")
        if self.payout_min_fen < 1:
            raise SettingsError("PAYOUT_MIN_FEN must be a whole number of fen ≥ 1")
        if self.payment_provider == "wechatpay":
            missing = self.wechatpay_missing()
            if missing:
                raise SettingsError(f"PAYMENT_PROVIDER=wechatpay needs {', '.join(missing)}")
            if not self.base_url.startswith("https://"):  # our notify_url: WeChat refuses anything but HTTPS
                raise SettingsError("PAYMENT_PROVIDER=wechatpay needs an https:// BASE_URL (WeChat's notify_url)")
            if self.is_production and not self.wechatpay_base_url.startswith("https://"):
                raise SettingsError("production talks to WeChat Pay over HTTPS only (WECHATPAY_BASE_URL)")
        if self.city_account_provider == "oauth2":
            missing = [
                var
                for var, value in (
                    ("CITY_ACCOUNT_BASE_URL", self.city_account_base_url),
                    ("CITY_ACCOUNT_CLIENT_ID", self.city_account_client_id),
                    ("CITY_ACCOUNT_CLIENT_SECRET", self.city_account_client_secret),
                    ("CITY_ACCOUNT_WEBHOOK_SECRET", self.city_account_webhook_secret),
                )
                if not value
            ]
            if missing:
                raise SettingsError(f"CITY_ACCOUNT_PROVIDER=oauth2 needs {', '.join(missing)}")
