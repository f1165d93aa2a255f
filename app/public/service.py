"""Figures for public pages."""

from __future__ import annotations

from models.accounts import Organisation, User


async def home_stats() -> dict[str, int]:
    return {
        "users": await User.filter(deleted_at=None).count(),
        "organisations": await Organisation.all().count(),
    }
