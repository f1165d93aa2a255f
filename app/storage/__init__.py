"""Where uploaded files live: a small content-addressed store behind a protocol.

A key is the SHA-256 of the bytes, 64 lowercase hex digits, made here and never from anything a client
sent (file names, content types): so the same bytes are stored once, a key names exactly one content,
and no key can climb out of the store's root. Every method refuses a key of any other shape
(`InvalidKey`). The local directory implementation is the embedded default (`UPLOAD_DIR`); an object
store (S3, COS, OSS) fits the same four methods plus the listing the orphan sweep uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.settings import Settings

KEY = re.compile(r"^[0-9a-f]{64}$")


class InvalidKey(ValueError):
    """Not a key this store could have made."""


def key_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise InvalidKey(key)
    return key


class Storage(Protocol):
    async def put(self, data: bytes) -> str:
        """Store the bytes and return their key (storing the same bytes again changes nothing)."""

    async def read(self, key: str) -> bytes | None:
        """The bytes under a key, or None."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the bytes under a key (nothing happens if there are none)."""

    async def older_than(self, seconds: float) -> list[str]:
        """Keys stored more than `seconds` ago (for the sweep of files no record refers to)."""


@dataclass(frozen=True)
class LocalStorage:
    """Files under `root/ab/cd/<key>`, written to a temporary name and renamed into place (atomic on
    POSIX), so a reader never sees half a file and two writers of the same bytes cannot clash."""

    root: Path

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def _put(self, data: bytes) -> str:
        key = key_of(data)
        path = self._path(key)
        if path.exists():
            os.utime(path)  # a fresh mtime keeps the orphan sweep off a file about to be referenced again
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{key}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return key

    def _read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _older_than(self, seconds: float) -> list[str]:
        if not self.root.is_dir():
            return []
        cutoff = time.time() - seconds
        return sorted(p.name for p in self.root.glob("??/??/*") if KEY.fullmatch(p.name) and p.stat().st_mtime < cutoff)

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put, data)

    async def read(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def older_than(self, seconds: float) -> list[str]:
        return await asyncio.to_thread(self._older_than, seconds)


def storage_for(settings: Settings) -> Storage:
    """The configured store: a local directory (UPLOAD_DIR), created on the first write."""
    return LocalStorage(Path(settings.upload_dir))
