"""Two platforms in one test: ours (the app under test) and another city platform with its own key.

Both share the test database (the other platform's people are simply other users), which is enough
to run its real export code: what it signs is what we import. Each side's trusted issuers file
names the other, with a points rate per direction.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from app.portable import issuers, service
from app.settings import Settings

OTHER_URL = "https://tanhui.chengdu.example"
OTHER_SEED = hashlib.sha256(b"another city platform").digest()
STRANGER_SEED = hashlib.sha256(b"a platform nobody trusts").digest()
OUR_RATE = "1/2"  # we credit half a point per point moved out there


def seeded(settings: Settings, url: str, seed: bytes, trust_file: Path) -> Settings:
    return settings.with_(
        base_url=url,
        record_signing_key_b64=base64.urlsafe_b64encode(seed).decode(),
        portable_trusted_issuers_file=str(trust_file),
    )


def trust_file(path: Path, *entries: str) -> Path:
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:  # type: ignore[override]
    """Our platform, trusting the other one with a points rate of 1/2."""
    other = seeded(settings, OTHER_URL, OTHER_SEED, tmp_path / "unused.toml")
    entry = issuers.toml_entry(
        "chengdu-tanhui", OTHER_URL, "成都碳惠", "Chengdu Tanhui", service.public_key_raw(other), OUR_RATE
    )
    return settings.with_(portable_trusted_issuers_file=str(trust_file(tmp_path / "ours.toml", entry)))


@pytest.fixture
def other(settings: Settings, tmp_path: Path) -> Settings:
    """The other platform: its own key and URL, trusting us with a points rate of 1/1."""
    entry = issuers.toml_entry(
        "microsink", settings.base_url, "微碳汇", "MicroSink", service.public_key_raw(settings), "1/1"
    )
    return seeded(settings, OTHER_URL, OTHER_SEED, trust_file(tmp_path / "other.toml", entry))


@pytest.fixture
def stranger(settings: Settings, tmp_path: Path) -> Settings:
    """A platform nobody trusts."""
    entry = issuers.toml_entry(
        "microsink", settings.base_url, "微碳汇", "MicroSink", service.public_key_raw(settings), "1/1"
    )
    return seeded(settings, "https://untrusted.example", STRANGER_SEED, trust_file(tmp_path / "stranger.toml", entry))
