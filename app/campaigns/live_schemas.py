"""Answers of the organiser dashboard (app/campaigns/live_routes.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.campaigns.schemas import ProgressOut


class DashboardSlotOut(msgspec.Struct):
    site: str  # site key
    slot_id: int
    starts: Annotated[str, msgspec.Meta(description="Beijing time, YYYY-MM-DD HH:MM")]
    ends: Annotated[str, msgspec.Meta(description="Beijing time, YYYY-MM-DD HH:MM")]
    capacity: int
    booked: int
    places_left: int


class DashboardSiteOut(msgspec.Struct):
    site: str  # site key
    name: str
    checkins: int


class DashboardOut(msgspec.Struct):
    campaign: str  # slug
    bookings: Annotated[int, msgspec.Meta(description="bookings held (counter)")]
    checkins: Annotated[int, msgspec.Meta(description="check-ins accepted (counter)")]
    trees_approved: Annotated[int, msgspec.Meta(description="trees in approved planting logs (counter)")]
    kg_removed: Annotated[int, msgspec.Meta(description="kg CO2e credited (counter)")]
    funds_raised_fen: Annotated[int, msgspec.Meta(description="donations received, fen (counter)")]
    pending_reviews: Annotated[int, msgspec.Meta(description="planting logs awaiting the organiser's review")]
    progress: list[ProgressOut]
    slots: list[DashboardSlotOut]
    sites: list[DashboardSiteOut]
    exports: list[str]  # CSV export URLs
