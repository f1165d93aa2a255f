"""The local directory store: content-addressed keys made by us, nothing outside its root reachable."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from app.settings import Settings
from app.storage import InvalidKey, LocalStorage, storage_for


class TestLocalStorage:
    async def test_it_stores_bytes_under_their_sha256_and_reads_them_back(self, tmp_path) -> None:
        store = LocalStorage(tmp_path / "uploads")
        key = await store.put(b"a photo")
        assert key == hashlib.sha256(b"a photo").hexdigest()
        assert await store.read(key) == b"a photo" and await store.exists(key)

    async def test_the_directory_is_created_on_the_first_write(self, tmp_path) -> None:
        root = tmp_path / "not" / "yet"
        store = LocalStorage(root)
        assert await store.older_than(0) == [] and not root.exists()
        await store.put(b"x")
        assert root.is_dir()

    async def test_the_same_bytes_twice_are_one_file(self, tmp_path) -> None:
        store = LocalStorage(tmp_path)
        assert await store.put(b"same") == await store.put(b"same")
        assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1

    async def test_delete_removes_and_is_harmless_to_repeat(self, tmp_path) -> None:
        store = LocalStorage(tmp_path)
        key = await store.put(b"gone soon")
        await store.delete(key)
        await store.delete(key)
        assert not await store.exists(key) and await store.read(key) is None

    @pytest.mark.parametrize(
        "key",
        [
            "../../etc/passwd",
            "../" + "a" * 61,
            "/etc/passwd",
            "A" * 64,  # upper case is not a key we make
            "a" * 63,
            "a" * 65,
            "ab/" + "a" * 61,
            "a" * 63 + "\n",
            "",
        ],
    )
    async def test_a_key_of_any_other_shape_is_refused_by_every_method(self, tmp_path, key) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("do not touch")
        store = LocalStorage(tmp_path / "uploads")
        for call in (store.read, store.exists, store.delete):
            with pytest.raises(InvalidKey):
                await call(key)
        assert secret.read_text() == "do not touch"

    async def test_older_than_lists_only_files_past_the_age(self, tmp_path) -> None:
        store = LocalStorage(tmp_path)
        old, new = await store.put(b"old"), await store.put(b"new")
        path = tmp_path / old[:2] / old[2:4] / old
        past = time.time() - 7200
        os.utime(path, (past, past))
        assert await store.older_than(3600) == [old]
        assert sorted(await store.older_than(-1)) == sorted([old, new])

    def test_upload_dir_setting_chooses_the_directory(self, tmp_path) -> None:
        store = storage_for(Settings().with_(upload_dir=str(tmp_path / "u")))
        assert isinstance(store, LocalStorage) and store.root == tmp_path / "u"
        assert Settings.from_env({"UPLOAD_DIR": "/srv/uploads"}).upload_dir == "/srv/uploads"
        assert Settings().upload_dir.endswith(os.path.join("data", "uploads"))
