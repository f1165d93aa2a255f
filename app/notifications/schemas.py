"""Request and response shapes of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec


class NotificationOut(msgspec.Struct):
    id: str
    kind: str
    title: str
    body: str
    params: dict[str, Any]
    read: bool
    read_at: datetime | None
    created_at: datetime


class InboxOut(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    page_size: int


class ReadAllOut(msgspec.Struct):
    marked: int


class ChannelChoice(msgspec.Struct):
    channel: str
    enabled: bool
    locked: bool = False  # the in-app inbox cannot be turned off


class KindPreferences(msgspec.Struct):
    kind: str
    label: str
    channels: list[ChannelChoice]


class PreferencesOut(msgspec.Struct):
    items: list[KindPreferences]


class PreferenceChange(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    enabled: bool


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    preferences: Annotated[list[PreferenceChange], msgspec.Meta(min_length=1, max_length=100)]
