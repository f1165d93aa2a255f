"""Module-level Tortoise config for the `tortoise` migration CLI (makemigrations, history, sqlmigrate)."""

from app.core.db import tortoise_config
from app.settings import Settings

TORTOISE_ORM = tortoise_config(Settings.from_env())
