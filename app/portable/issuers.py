"""The platforms whose portable records we trust, from `trusted_issuers.toml` (or PORTABLE_TRUSTED_ISSUERS).

Each entry names a platform by its base URL, gives its display names, the Ed25519 public keys that
sign its records (several during a key rotation) and the points agreement with it: `points_rate`
"n/d" credits floor(moved-out points × n / d) here, "0" imports achievements only. Points move out
of this platform only to a trusted platform with a non-zero rate: a points agreement is mutual.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.settings import Settings

DEFAULT_FILE = Path(__file__).with_name("trusted_issuers.toml")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_RATE = re.compile(r"^(\d{1,6})(?:/(\d{1,6}))?$")
MAX_RATE = 100  # a rate above 100 points here per point there is a typo, not an agreement


class IssuersError(ValueError):
    """The trusted issuers file is malformed; the message names the entry and the field."""


def normalise_url(url: str) -> str:
    """'HTTPS://Tanhui.Example/' → 'https://tanhui.example': how issuers and audiences are compared."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def key_id_of(public_key: bytes) -> str:
    """The first 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class TrustedIssuer:
    slug: str  # short name for ledger accounts, e.g. chengdu-tanhui
    url: str  # normalised base URL, as the records' `issuer` says it
    name_zh: str
    name_en: str
    keys: dict[str, bytes]  # key id → raw Ed25519 public key
    rate: tuple[int, int]  # (numerator, denominator); numerator 0 = achievements only

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    @property
    def accepts_points(self) -> bool:
        return self.rate[0] > 0

    @property
    def rate_text(self) -> str:
        return f"{self.rate[0]}/{self.rate[1]}"

    def credit_for(self, moved_out: int) -> int:
        """Points credited here for `moved_out` points there: rounded down, in integers only."""
        return moved_out * self.rate[0] // self.rate[1]


def _text(raw: dict[str, Any], name: str, where: str, maximum: int = 64) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > maximum:
        raise IssuersError(f"{where}: {name} must be a non-empty text of at most {maximum} characters")
    return value.strip()


def _rate(value: Any, where: str) -> tuple[int, int]:
    found = _RATE.match(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not found:
        raise IssuersError(f'{where}: points_rate must be "n/d" or a whole number, e.g. "1/2" or "0", not {value!r}')
    numerator, denominator = int(found.group(1)), int(found.group(2) or 1)
    if denominator == 0 or numerator > MAX_RATE * denominator:
        raise IssuersError(f"{where}: points_rate {value!r} must have a non-zero denominator and be at most {MAX_RATE}")
    return numerator, denominator


def _keys(raw: Any, where: str) -> dict[str, bytes]:
    if not isinstance(raw, list) or not raw:
        raise IssuersError(f"{where}: at least one [[issuer.keys]] entry (key_id, public_key) is needed")
    keys = {}
    for n, entry in enumerate(raw):
        here = f"{where}.keys[{n}]"
        if not isinstance(entry, dict) or set(entry) != {"key_id", "public_key"}:
            raise IssuersError(f"{here}: give exactly key_id and public_key")
        try:
            public = base64.urlsafe_b64decode(str(entry["public_key"]))
        except ValueError:
            public = b""
        if len(public) != 32:
            raise IssuersError(f"{here}: public_key must be 32 bytes, urlsafe base64 encoded")
        if entry["key_id"] != key_id_of(public):
            raise IssuersError(
                f"{here}: key_id {entry['key_id']!r} does not match the public key ({key_id_of(public)})"
            )
        keys[entry["key_id"]] = public
    return keys


def parse(text: str) -> dict[str, TrustedIssuer]:
    """Trusted issuers by normalised URL; refuses unknown fields, duplicates and malformed keys."""
    data = tomllib.loads(text)
    if set(data) - {"issuer"}:
        raise IssuersError(f"unknown top-level field(s) {sorted(set(data) - {'issuer'})}")
    issuers: dict[str, TrustedIssuer] = {}
    slugs: set[str] = set()
    for n, raw in enumerate(data.get("issuer", [])):
        where = f"issuer[{n}]"
        known = {"id", "url", "name_zh", "name_en", "points_rate", "keys"}
        if unknown := set(raw) - known:
            raise IssuersError(f"{where}: unknown field(s) {sorted(unknown)}")
        slug = _text(raw, "id", where, 40)
        if not _SLUG.match(slug) or slug in slugs:
            raise IssuersError(f"{where}: id {slug!r} must be unique, lowercase letters, digits and '-'")
        try:
            url = normalise_url(_text(raw, "url", where, 200))
        except ValueError as exc:
            raise IssuersError(f"{where}: {exc}") from None
        if url in issuers:
            raise IssuersError(f"{where}: {url} is listed twice")
        issuers[url] = TrustedIssuer(
            slug=slug,
            url=url,
            name_zh=_text(raw, "name_zh", where),
            name_en=_text(raw, "name_en", where),
            keys=_keys(raw.get("keys"), where),
            rate=_rate(raw.get("points_rate", "0"), where),
        )
        slugs.add(slug)
    return issuers


_CACHE: dict[tuple[str, float], dict[str, TrustedIssuer]] = {}


def trusted(settings: Settings) -> dict[str, TrustedIssuer]:
    """The trusted issuers for these settings, read once per file version."""
    path = Path(settings.portable_trusted_issuers_file) if settings.portable_trusted_issuers_file else DEFAULT_FILE
    key = (str(path), path.stat().st_mtime)
    if key not in _CACHE:
        _CACHE[key] = parse(path.read_text(encoding="utf-8"))
    return _CACHE[key]


def toml_entry(slug: str, url: str, name_zh: str, name_en: str, public_key: bytes, rate: str) -> str:
    """The block another platform adds to its trusted issuers file to trust this one."""
    quoted = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731  (a JSON string is a TOML basic string)
    key = base64.urlsafe_b64encode(public_key).decode()
    return (
        "[[issuer]]\n"
        f"id = {quoted(slug)}\n"
        f"url = {quoted(normalise_url(url))}\n"
        f"name_zh = {quoted(name_zh)}\n"
        f"name_en = {quoted(name_en)}\n"
        f"points_rate = {quoted(rate)}\n"
        "[[issuer.keys]]\n"
        f"key_id = {quoted(key_id_of(public_key))}\n"
        f"public_key = {quoted(key)}\n"
    )
