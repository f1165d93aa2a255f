"""The near-duplicate search over a scope: exact (every photo within the threshold, none beyond), whatever
the sign of the stored BIGINT, capped to the nearest, and the same on PostgreSQL (SQL) and SQLite (Python).

The reference below is brute force over the hashes the test generated, written independently of the
service: unsigned integers, `bin(...).count("1")`, a full sort.
"""

from __future__ import annotations

import random

import pytest
from tortoise import Tortoise

from app.evidence import service as evidence
from app.evidence.images import to_signed64
from models.accounts import User
from models.evidence import Photo
from tests.conftest import IS_POSTGRES, postgres_only

THRESHOLD = 10
SCOPE = "campaign:near"
TOP = 1 << 63


def _flip(value: int, bits: int, rng: random.Random, top: bool = False) -> int:
    """`value` with `bits` distinct bits flipped (the sign bit among them when `top`)."""
    chosen = {*rng.sample(range(63), bits - 1), 63} if top and bits else set(rng.sample(range(64), bits))
    for bit in chosen:
        value ^= 1 << bit
    return value


def _queries(rng: random.Random) -> list[int]:
    """Query hashes: some with the top bit set (negative when stored), some without, and the extremes."""
    return [
        rng.getrandbits(63) | TOP,
        rng.getrandbits(63) | TOP,
        rng.getrandbits(63),
        rng.getrandbits(63),
        0,
        (1 << 64) - 1,
        TOP,
        TOP - 1,
    ]


def _layout(seed: int) -> tuple[list[int], list[tuple[str, int]]]:
    """Queries and the scope's photos as (subject, unsigned dHash), in insertion (id) order: 3,000 random
    hashes, and per query neighbours planted at every distance 0..12 (one with the sign bit flipped at
    each distance ≥ 1), so the threshold of 10 is crossed by bits on both sides of the sign."""
    rng = random.Random(seed)
    queries = _queries(rng)
    photos = [(f"log:{i % 700}", rng.getrandbits(64)) for i in range(3000)]
    for q in queries:
        for bits in range(13):
            photos.append((f"log:{rng.randrange(700)}", _flip(q, bits, rng)))
            if bits:
                photos.append((f"log:{rng.randrange(700)}", _flip(q, bits, rng, top=True)))
    rng.shuffle(photos)
    return queries, photos


def _reference(q: int, subject: str, photos: list[tuple[str, int]], cap: int) -> list[tuple[str, int]]:
    """(public id, bits) the service must flag, by brute force."""
    near = []
    for pk, (other, value) in enumerate(photos, start=1):
        bits = bin(q ^ value).count("1")
        if other != subject and bits <= THRESHOLD:
            near.append((bits, pk))
    kept = sorted(near)[:cap]
    return [(f"p{pk}", bits) for bits, pk in sorted(kept, key=lambda kb: kb[1])]


async def _fill(photos: list[tuple[str, int]], scope: str = SCOPE) -> None:
    user, _ = await User.get_or_create(public_id="near-dup-user")
    await Photo.bulk_create(
        [
            Photo(
                public_id=f"p{pk}" if scope == SCOPE else f"x{pk}",
                scope=scope,
                subject=subject,
                uploaded_by=user,
                sha256=f"{scope}:{pk}",
                dhash=to_signed64(value),
                format="jpeg",
                original_bytes=1,
                content_key=f"c{pk}",
                thumb_key=f"t{pk}",
                width=1,
                height=1,
            )
            for pk, (subject, value) in enumerate(photos, start=1)
        ],
        batch_size=500,
    )


async def _search(path: str, q: int, subject: str, cap: int) -> list[tuple[str, int]]:
    conn = Tortoise.get_connection("default")
    search = {"sql": evidence._nearest_in_sql, "python": evidence._nearest_in_python}[path]
    found = sorted(await search(q, SCOPE, subject, THRESHOLD, cap, conn))
    return [(public_id, bits) for _, public_id, _, bits in found]


PATHS = ["sql", "python"] if IS_POSTGRES else ["python"]


class TestNearDuplicates:
    @pytest.mark.parametrize("path", PATHS)
    async def test_flags_exactly_what_brute_force_finds_across_the_sign_bit(self, db, path) -> None:
        queries, photos = _layout(seed=7)
        await _fill(photos)
        assert any(v >= TOP for _, v in photos) and any(v < TOP for _, v in photos)
        for q in queries:
            for subject in ("log:new", photos[0][0]):  # a new subject, and one that has photos here
                # A cap above any count here: every match, exactly as the search without a cap.
                expected = _reference(q, subject, photos, cap=10_000)
                assert await _search(path, q, subject, cap=10_000) == expected, (hex(q), subject)
                assert {bits for _, bits in expected} >= {0, 1, 9, 10} or subject != "log:new"
                # The default cap: the 20 nearest (ties: the older photo), oldest first.
                assert await _search(path, q, subject, cap=evidence.NEAR_DUPLICATE_CAP) == _reference(
                    q, subject, photos, cap=evidence.NEAR_DUPLICATE_CAP
                )

    @postgres_only
    async def test_sql_and_python_give_the_same_flags_on_postgresql(self, db) -> None:
        queries, photos = _layout(seed=11)
        await _fill(photos)
        conn = Tortoise.get_connection("default")
        for q in queries:
            for cap in (5, evidence.NEAR_DUPLICATE_CAP, 10_000):
                sql = await evidence._nearest_in_sql(q, SCOPE, "log:new", THRESHOLD, cap, conn)
                python = await evidence._nearest_in_python(q, SCOPE, "log:new", THRESHOLD, cap, conn)
                assert sorted(sql) == sorted(python), (hex(q), cap)

    async def test_flags_carry_the_photo_its_subject_and_the_distance_and_stop_at_the_cap(self, db) -> None:
        q = TOP | 0b1011
        # 25 photos of other subjects at distances 0..4 (five each), then one at 11 bits and one of the
        # uploading subject itself at 0 bits.
        rng = random.Random(3)
        photos = [(f"log:{i}", _flip(q, i // 5, rng)) for i in range(25)]
        photos += [("log:far", _flip(q, 11, rng)), ("log:new", q)]
        await _fill(photos)
        # Other scopes are never looked at.
        await _fill([("log:x", q)] * 3, scope="campaign:other")
        flags = await evidence.near_duplicates(
            q, scope=SCOPE, subject="log:new", max_bits=THRESHOLD, connection=Tortoise.get_connection("default")
        )
        assert len(flags) == evidence.NEAR_DUPLICATE_CAP == 20
        assert flags[0] == {"code": "near_duplicate", "photo": "p1", "subject": "log:0", "other": "0", "bits": 0}
        # The 20 nearest are distances 0..3 (photos 1–20); the five at 4 bits, the far one and the
        # uploader's own photo are not flagged; listed in id order.
        assert [f["photo"] for f in flags] == [f"p{i}" for i in range(1, 21)]
        assert [f["bits"] for f in flags] == [i // 5 for i in range(20)]

    @postgres_only
    async def test_postgresql_has_the_covering_index_the_search_reads_the_scope_from(self, db) -> None:
        conn = Tortoise.get_connection("default")
        rows = await conn.execute_query_dict(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'evidence_photo' AND indexname = 'evidence_photo_scope_near'"
        )
        assert [r["indexdef"] for r in rows] == [
            "CREATE INDEX evidence_photo_scope_near ON public.evidence_photo USING btree (scope) "
            "INCLUDE (subject, dhash, public_id, id)"
        ]
        # Whether the planner takes it depends on the scope's size (bench/near_duplicates.py prints the plan
        # at 100,000 photos: an index-only scan of it, no heap fetches).
