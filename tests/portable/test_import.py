"""Records of another platform, imported here: once, by their owner, points only if moved out there."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from app.ledger import service as ledger
from app.main import create_app
from app.points import service as points
from app.portable import imports, issuers, service
from app.settings import Settings
from models.accounts import User
from models.audit import AuditEvent
from models.ledger import LedgerAccount, Transfer
from models.portable import ImportedEntry, PortableClaim, PortableImport
from tests.conftest import postgres_only, running
from tests.helpers import signed_in
from tests.portable.conftest import OTHER_URL, trust_file


async def fund(user: User, amount: int) -> None:
    """Points in the wallet, straight from issuance (no earning caps in the way)."""
    issuance = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
    await ledger.transfer(uuid4(), issuance, await points.wallet_of(user), amount, "planting.approved")


async def claim_code(client, headers) -> str:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/portable/claims", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["code"]


def planting(entry_id: str, trees: int = 1, on: str = "2026-03-12") -> dict[str, Any]:
    return {"id": entry_id, "planted_on": on, "trees": trees, "species": "柏木", "region": "510181"}


def retirement(entry_id: str, kg: int = 100, on: str = "2026-05-01") -> dict[str, Any]:
    return {
        "id": entry_id,
        "retired_on": on,
        "kg": kg,
        "serials": ["CCER-510181-P0001-2025-000001-000100"],
        "purpose": "trip",
        "certificate": "C7K2M9",
    }


def foreign(
    platform: Settings,
    code: str | None,
    *,
    plantings: list[dict[str, Any]] | None = None,
    retirements: list[dict[str, Any]] | None = None,
    moved_out: dict[str, Any] | None = None,
    audience: str | None = "http://127.0.0.1:8000",
    subject: str = "user:abc123",
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """A record signed by `platform`, written by hand (our own export has no plantings yet)."""
    document = {
        "format": service.FORMAT,
        "issuer": platform.base_url,
        "subject": subject,
        "issued_at": (issued_at or datetime.now(UTC)).replace(microsecond=0).isoformat(),
        "audience": audience,
        "claim_code": code,
        "points": {"balance": 500, "moved_out": moved_out, "transfers_complete": True, "transfers": []},
        "planting": plantings or [],
        "retirements": retirements or [],
    }
    return service.sign_document(platform, document)


async def source_person(other: Settings, balance: int = 100) -> User:
    """Someone with points on the other platform."""
    user, _ = await signed_in(other)
    await fund(user, balance)
    return user


async def balance(user: User) -> int:
    return (await points.balance_of(user)).balance


async def nothing_imported(user: User) -> None:
    assert await PortableImport.filter(user_id=user.id).count() == 0
    assert await ImportedEntry.filter(user_id=user.id).count() == 0
    assert await balance(user) == 0


class TestIssueClaim:
    async def test_a_claim_code_is_shown_once_and_only_its_keyed_hash_is_kept(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        r = await client.post("/api/v1/portable/claims", headers=headers)
        assert r.status_code == 201
        body = r.json()
        assert body["audience"] == "http://127.0.0.1:8000" and len(body["code"]) == 14
        stored = await PortableClaim.get(user_id=user.id)
        assert body["code"].replace("-", "") not in stored.code_hash and stored.used_at is None
        assert abs(stored.expires_at - stored.created_at - imports.CLAIM_TTL) < timedelta(seconds=1)

    async def test_more_than_five_open_codes_are_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        for _ in range(imports.MAX_OPEN_CLAIMS):
            await claim_code(client, headers)
        r = await client.post("/api/v1/portable/claims", headers=headers | {"Accept-Language": "en"})
        assert r.status_code == 409 and r.json()["code"] == "portable.too_many_claims"
        assert "5 unused claim codes" in r.json()["message"]

    async def test_claims_imports_and_the_summary_need_sign_in(self, client) -> None:
        assert (await client.post("/api/v1/portable/claims")).status_code == 401
        assert (await client.post("/api/v1/portable/imports", json={})).status_code == 401
        assert (await client.get("/api/v1/portable/imported")).status_code == 401


class TestExportRecord:
    async def test_an_addressed_export_signs_the_audience_and_the_claim_code(self, client, settings, other) -> None:
        source = await source_person(other)
        envelope = await service.export_record(other, source, audience=settings.base_url, claim_code="ABCD-EFGH-JKLM")
        document = envelope["document"]
        assert document["audience"] == "http://127.0.0.1:8000" and document["claim_code"] == "ABCD-EFGH-JKLM"
        assert document["points"]["moved_out"] is None and document["issuer"] == OTHER_URL
        r = await client.post("/api/v1/portable/verify", json=envelope, headers={"Accept-Language": "en"})
        assert r.json()["valid"] is True and r.json()["message"] == "Intact, and signed by Chengdu Tanhui"
        forged = copy.deepcopy(envelope)
        forged["document"]["audience"] = "https://elsewhere.example"
        assert (await client.post("/api/v1/portable/verify", json=forged)).json()["reason"] == "bad_signature"

    async def test_an_export_through_the_api_moves_points_out_once(self, client, settings) -> None:
        # Our platform as the source this time: the other platform is trusted with a points agreement.
        user, headers = await signed_in(settings)
        await fund(user, 100)
        body = {"audience": OTHER_URL + "/", "claim_code": "WXYZ-2345", "move_out": {"id": str(uuid4()), "amount": 60}}
        first = await client.post("/api/v1/portable/exports", json=body, headers=headers)
        again = await client.post("/api/v1/portable/exports", json=body, headers=headers)
        assert first.status_code == 200 and again.status_code == 200, first.text
        moved = first.json()["document"]["points"]["moved_out"]
        assert moved == again.json()["document"]["points"]["moved_out"]
        assert moved["amount"] == 60 and moved["transfer_id"] == body["move_out"]["id"]  # type: ignore[index]
        assert first.json()["document"]["audience"] == OTHER_URL
        assert await balance(user) == 40
        sink = await LedgerAccount.get(code="portable_moved_out", owner="issuer:chengdu-tanhui")
        assert sink.balance == 60
        assert await AuditEvent.filter(action="portable.moved_out", entity_id=body["move_out"]["id"]).count() == 1  # type: ignore[index]
        history = (await client.get("/api/v1/points/history", headers=headers)).json()
        assert history[0]["amount"] == -60 and history[0]["label"] == "积分转出至其他平台"
        assert (await ledger.verify()).ok

    async def test_the_same_move_out_id_with_another_amount_is_a_conflict(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await fund(user, 100)
        body: dict[str, Any] = {
            "audience": OTHER_URL,
            "claim_code": "WXYZ-2345",
            "move_out": {"id": str(uuid4()), "amount": 10},
        }
        assert (await client.post("/api/v1/portable/exports", json=body, headers=headers)).status_code == 200
        body["move_out"]["amount"] = 20
        r = await client.post("/api/v1/portable/exports", json=body, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "ledger.id_reused"
        assert await balance(user) == 90

    async def test_a_move_out_cannot_take_points_a_hold_reserves(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await fund(user, 100)
        shop = await ledger.open_account("points", "redemption_sink", "org:test", may_go_negative=True)
        await ledger.hold(
            uuid4(), await points.wallet_of(user), shop, 70, datetime.now(UTC) + timedelta(hours=1), "purchase.points"
        )
        body = {"audience": OTHER_URL, "claim_code": "WXYZ-2345", "move_out": {"id": str(uuid4()), "amount": 31}}
        r = await client.post("/api/v1/portable/exports", json=body, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "ledger.insufficient"
        assert await balance(user) == 100
        assert await LedgerAccount.filter(code="portable_moved_out", balance__gt=0).count() == 0
        body["move_out"]["amount"] = 30  # type: ignore[index]
        assert (await client.post("/api/v1/portable/exports", json=body, headers=headers)).status_code == 200
        assert (await points.balance_of(user)).available == 0
        assert (await ledger.verify()).ok

    async def test_points_move_only_to_a_platform_with_a_points_agreement(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await fund(user, 100)
        move = {"id": str(uuid4()), "amount": 10}
        cases = [
            (
                {"audience": "https://untrusted.example", "claim_code": "WXYZ-2345", "move_out": move},
                "portable.move_out_not_agreed",
            ),
            ({"audience": OTHER_URL, "move_out": move}, "portable.move_out_needs_claim"),
            ({"claim_code": "WXYZ-2345"}, "portable.audience_needed"),
            ({"audience": "ftp://x.example"}, "portable.bad_audience"),
            ({"audience": settings.base_url}, "portable.bad_audience"),
        ]
        for body, code in cases:
            r = await client.post("/api/v1/portable/exports", json=body, headers=headers)
            assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)
        assert await balance(user) == 100

    async def test_a_plain_export_names_no_audience_and_still_verifies(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        envelope = (await client.get("/api/v1/portable/record", headers=headers)).json()
        assert envelope["document"]["audience"] is None and envelope["document"]["points"]["moved_out"] is None
        assert (await client.post("/api/v1/portable/verify", json=envelope)).json()["reason"] == "ok"


class TestImportRecord:
    async def test_moved_out_points_are_credited_once_at_the_configured_rate(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        source = await source_person(other, 100)
        move = service.MoveOut(uuid4(), 41)
        envelope = await service.export_record(
            other, source, audience=settings.base_url, claim_code=await claim_code(client, headers), move=move
        )
        assert await balance(source) == 59  # gone from the other platform's wallet: not spendable there
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["points"] == {"moved_out": 41, "rate": "1/2", "credited": 20, "already_credited": False}
        assert await balance(me) == 20  # floor(41 × 1/2)
        credit = await Transfer.get(id=imports.credit_id(OTHER_URL, str(move.id)))
        assert credit.amount == 20 and credit.reason == "portable.imported"
        source_account = await LedgerAccount.get(code="portable_import", owner="issuer:chengdu-tanhui")
        assert source_account.balance == -20 and source_account.may_go_negative
        assert await AuditEvent.filter(action="portable.imported", entity_id=r.json()["id"]).count() == 1
        assert (await ledger.verify()).ok

    async def test_importing_the_same_export_twice_counts_nothing_twice(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        code = await claim_code(client, headers)
        envelope = foreign(
            other,
            code,
            plantings=[planting("p1", 3), planting("p2", 2)],
            retirements=[retirement("r1", 250)],
            moved_out={"transfer_id": "t-1", "amount": 10, "at": "2026-06-01T00:00:00+00:00"},
        )
        first = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        second = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert first.status_code == 201 and second.status_code == 200, second.text
        assert second.json()["replayed"] is True and first.json()["replayed"] is False
        assert {k: v for k, v in second.json().items() if k != "replayed"} == {
            k: v for k, v in first.json().items() if k != "replayed"
        }
        assert first.json()["planting"] == {"listed": 2, "new": 2, "already_counted": 0}
        assert await balance(me) == 5
        assert await ImportedEntry.filter(user_id=me.id).count() == 3
        assert await PortableImport.filter(user_id=me.id).count() == 1
        assert await AuditEvent.filter(action="portable.imported").count() == 1

    async def test_overlapping_exports_count_the_shared_tree_once(self, client, settings, other) -> None:
        _, headers = await signed_in(settings)
        one = foreign(other, await claim_code(client, headers), plantings=[planting("p1", 3), planting("p2", 2)])
        two = foreign(other, await claim_code(client, headers), plantings=[planting("p2", 2), planting("p3", 5)])
        await client.post("/api/v1/portable/imports", json=one, headers=headers)
        r = await client.post("/api/v1/portable/imports", json=two, headers=headers)
        assert r.status_code == 201 and r.json()["planting"] == {"listed": 2, "new": 1, "already_counted": 1}
        summary = (await client.get("/api/v1/portable/imported?year=2026", headers=headers)).json()
        assert summary["all_time"]["trees"] == 10 and summary["all_time"]["plantings"] == 3

    async def test_the_same_tree_imported_into_two_accounts_counts_once(self, client, settings, other) -> None:
        _, mine = await signed_in(settings)
        second, theirs = await signed_in(settings)
        await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, mine), plantings=[planting("p1")]),
            headers=mine,
        )
        r = await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, theirs), plantings=[planting("p1")]),
            headers=theirs,
        )
        assert r.status_code == 201 and r.json()["planting"]["new"] == 0
        assert await ImportedEntry.filter(entry_id="p1").count() == 1
        assert await ImportedEntry.filter(user_id=second.id).count() == 0

    async def test_points_listed_but_not_moved_out_are_never_credited(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        source = await source_person(other, 100)
        envelope = await service.export_record(
            other, source, audience=settings.base_url, claim_code=await claim_code(client, headers)
        )
        assert envelope["document"]["points"]["balance"] == 100
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert r.status_code == 201 and r.json()["points"]["credited"] == 0
        assert await balance(me) == 0 and await balance(source) == 100

    async def test_a_second_record_naming_the_same_move_out_credits_nothing_more(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        moved = {"transfer_id": "t-9", "amount": 30, "at": "2026-06-01T00:00:00+00:00"}
        first = await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, headers), moved_out=moved),
            headers=headers,
        )
        second = await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, headers), moved_out=moved),
            headers=headers,
        )
        assert first.json()["points"]["credited"] == 15
        assert second.status_code == 201 and second.json()["points"] == {
            "moved_out": 30,
            "rate": "1/2",
            "credited": 0,
            "already_credited": True,
        }
        assert await balance(me) == 15

    async def test_a_tampered_record_is_refused_and_changes_nothing(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        envelope = foreign(other, await claim_code(client, headers), plantings=[planting("p1", 1)])
        envelope["document"]["planting"][0]["trees"] = 1000
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers | {"Accept-Language": "en"})
        assert r.status_code == 400 and r.json()["code"] == "portable.bad_signature"
        assert "changed after it was signed" in r.json()["message"]
        await nothing_imported(me)
        assert await PortableClaim.filter(user_id=me.id, used_at=None).count() == 1

    async def test_an_untrusted_issuer_is_refused_with_a_clear_message(self, client, settings, stranger) -> None:
        me, headers = await signed_in(settings)
        envelope = foreign(stranger, await claim_code(client, headers), plantings=[planting("p1")])
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "portable.unknown_issuer"
        assert "https://untrusted.example" in r.json()["message"] and "不在本平台信任" in r.json()["message"]
        # the stranger's key under the trusted platform's name is no better
        envelope["document"]["issuer"] = OTHER_URL
        envelope = service.sign_document(stranger, envelope["document"])
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert r.json()["code"] == "portable.unknown_issuer_key"
        await nothing_imported(me)

    async def test_a_record_exported_for_another_platform_is_refused(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        for audience in ("https://elsewhere.example", None):
            envelope = foreign(other, await claim_code(client, headers), plantings=[planting("p1")], audience=audience)
            r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
            assert r.status_code == 400 and r.json()["code"] == "portable.wrong_audience"
        await nothing_imported(me)

    async def test_someone_elses_record_cannot_be_imported(self, client, settings, other) -> None:
        owner, owners = await signed_in(settings)
        thief, thiefs = await signed_in(settings)
        envelope = foreign(other, await claim_code(client, owners), plantings=[planting("p1")])
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=thiefs)
        assert r.status_code == 403 and r.json()["code"] == "portable.claim_not_yours"
        await nothing_imported(thief)
        assert (await client.post("/api/v1/portable/imports", json=envelope, headers=owners)).status_code == 201
        # nor after its owner imported it
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=thiefs)
        assert r.status_code == 403 and r.json()["code"] == "portable.claim_not_yours"
        assert await ImportedEntry.filter(user_id=owner.id).count() == 1

    async def test_claim_codes_that_are_missing_unknown_used_or_expired_are_refused(
        self, client, settings, other
    ) -> None:
        me, headers = await signed_in(settings)
        cases = [(None, 400, "portable.claim_missing"), ("ZZZZ-ZZZZ-ZZZZ", 404, "portable.claim_unknown")]
        for code, status, key in cases:
            r = await client.post(
                "/api/v1/portable/imports", json=foreign(other, code, plantings=[planting("p1")]), headers=headers
            )
            assert (r.status_code, r.json()["code"]) == (status, key)
        code = await claim_code(client, headers)
        late = datetime.now(UTC) + imports.CLAIM_TTL + timedelta(hours=1)
        r = await client.post("/api/v1/portable/imports", json=foreign(other, code, issued_at=late), headers=headers)
        assert (r.status_code, r.json()["code"]) == (409, "portable.claim_expired")
        await client.post(
            "/api/v1/portable/imports", json=foreign(other, code.lower(), plantings=[planting("p1")]), headers=headers
        )
        r = await client.post(
            "/api/v1/portable/imports", json=foreign(other, code, plantings=[planting("p2")]), headers=headers
        )
        assert (r.status_code, r.json()["code"]) == (409, "portable.claim_used")
        assert await ImportedEntry.filter(user_id=me.id).count() == 1

    async def test_something_that_is_not_a_record_is_refused(self, client, settings) -> None:
        me, headers = await signed_in(settings)
        for body in ({"document": "x"}, {"hello": 1}, {"document": {}, "signature": "x"}):
            r = await client.post("/api/v1/portable/imports", json=body, headers=headers)
            assert r.status_code == 400 and r.json()["code"].startswith("portable."), r.text
        await nothing_imported(me)

    async def test_a_record_signed_here_is_not_imported_here(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        envelope = (await client.get("/api/v1/portable/record", headers=headers)).json()
        r = await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "portable.own_record"

    async def test_a_record_breaking_the_schema_is_refused_naming_the_problem(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        bad = planting("p1") | {"trees": 0}
        r = await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, headers), plantings=[bad]),
            headers=headers,
        )
        assert r.status_code == 400 and r.json()["code"] == "portable.bad_document" and "trees" in r.json()["message"]
        await nothing_imported(me)

    async def test_too_many_entries_or_too_many_bytes_is_413(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        many = [planting(f"p{i}") for i in range(imports.MAX_ENTRIES + 1)]
        r = await client.post(
            "/api/v1/portable/imports",
            json=foreign(other, await claim_code(client, headers), plantings=many),
            headers=headers,
        )
        assert r.status_code == 413 and r.json()["code"] == "portable.too_large"
        huge = b'{"document": "' + b"x" * imports.MAX_RECORD_BYTES + b'"}'
        r = await client.post(
            "/api/v1/portable/imports",
            content=huge,
            headers=headers | {"Content-Type": "application/json", "Accept-Language": "en"},
        )
        assert r.status_code == 413 and r.json()["code"] == "error.too_large"
        await nothing_imported(me)

    async def test_an_achievements_only_platform_cannot_send_points(self, settings, other, tmp_path) -> None:
        entry = issuers.toml_entry(
            "chengdu-tanhui", OTHER_URL, "成都碳惠", "Chengdu Tanhui", service.public_key_raw(other), "0"
        )
        strict = settings.with_(portable_trusted_issuers_file=str(trust_file(tmp_path / "strict.toml", entry)))
        app = create_app(strict)
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                me, headers = await signed_in(strict)
                moved = {"transfer_id": "t-1", "amount": 10, "at": "2026-06-01T00:00:00+00:00"}
                envelope = foreign(other, await claim_code(c, headers), moved_out=moved)
                r = await c.post("/api/v1/portable/imports", json=envelope, headers=headers)
                assert r.status_code == 409 and r.json()["code"] == "portable.points_not_accepted"
                assert await PortableClaim.filter(user_id=me.id, used_at=None).count() == 1
                ok = foreign(other, await claim_code(c, headers), plantings=[planting("p1")])
                assert (await c.post("/api/v1/portable/imports", json=ok, headers=headers)).status_code == 201
                assert await balance(me) == 0

    async def test_racing_imports_of_one_record_credit_once(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        source = await source_person(other, 100)
        envelope = await service.export_record(
            other,
            source,
            audience=settings.base_url,
            claim_code=await claim_code(client, headers),
            move=service.MoveOut(uuid4(), 100),
        )
        answers = await asyncio.gather(
            *(client.post("/api/v1/portable/imports", json=envelope, headers=headers) for _ in range(10))
        )
        assert sorted(r.status_code for r in answers) == [200] * 9 + [201], [r.text for r in answers]
        assert {r.json()["id"] for r in answers} == {answers[0].json()["id"]}
        assert await balance(me) == 50 and await PortableImport.filter(user_id=me.id).count() == 1
        assert (await ledger.verify()).ok

    @postgres_only
    async def test_racing_imports_of_two_records_naming_one_move_out_credit_once(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        moved = {"transfer_id": "t-race", "amount": 40, "at": "2026-06-01T00:00:00+00:00"}
        records = [foreign(other, await claim_code(client, headers), moved_out=moved) for _ in range(5)]
        answers = await asyncio.gather(
            *(client.post("/api/v1/portable/imports", json=e, headers=headers) for e in records)
        )
        assert [r.status_code for r in answers] == [201] * 5, [r.text for r in answers]
        assert sorted(r.json()["points"]["credited"] for r in answers) == [0, 0, 0, 0, 20]
        assert await balance(me) == 20
        assert (await ledger.verify()).ok


class TestImportedSummary:
    async def test_the_summary_splits_this_year_from_all_time_with_points_and_names(
        self, client, settings, other
    ) -> None:
        _, headers = await signed_in(settings)
        this_year = datetime.now(UTC).year
        envelope = foreign(
            other,
            await claim_code(client, headers),
            plantings=[planting("p1", 3, f"{this_year}-03-12"), planting("p0", 4, "2019-03-12")],
            retirements=[retirement("r1", 250, f"{this_year}-05-01")],
            moved_out={"transfer_id": "t-1", "amount": 10, "at": "2026-06-01T00:00:00+00:00"},
        )
        await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        r = await client.get("/api/v1/portable/imported", headers=headers | {"Accept-Language": "en"})
        assert r.status_code == 200
        body = r.json()
        assert body["year"] == this_year
        assert body["this_year"] == {"plantings": 1, "trees": 3, "retirements": 1, "kg": 250, "points": 5}
        assert body["all_time"] == {"plantings": 2, "trees": 7, "retirements": 1, "kg": 250, "points": 5}
        assert body["by_issuer"] == [{"issuer": OTHER_URL, "name": "Chengdu Tanhui", "totals": body["all_time"]}]
        assert len(body["imports"]) == 1 and body["imports"][0]["issuer_name"] == "Chengdu Tanhui"
        past = (await client.get("/api/v1/portable/imported?year=2019", headers=headers)).json()
        assert past["this_year"]["trees"] == 4 and past["this_year"]["points"] == 0

    async def test_the_trusted_platforms_and_their_rates_are_public(self, client) -> None:
        r = await client.get("/api/v1/portable/issuers")
        assert r.status_code == 200
        assert [(i["issuer"], i["points_rate"], i["accepts_points"]) for i in r.json()] == [(OTHER_URL, "1/2", True)]


class TestPersonalData:
    async def test_my_data_export_lists_what_i_imported_and_deletion_erases_it(self, client, settings, other) -> None:
        me, headers = await signed_in(settings)
        envelope = foreign(other, await claim_code(client, headers), plantings=[planting("p1")], subject="user:them")
        await client.post("/api/v1/portable/imports", json=envelope, headers=headers)
        exported = (await client.get("/api/v1/me/export", headers=headers)).json()["portable"]
        assert [e["id"] for e in exported["imported_entries"]] == ["p1"] and exported["imports"][0][
            "subject"
        ] == "user:them"
        assert (
            await client.post("/api/v1/me/delete-account", json={"confirm": True}, headers=headers)
        ).status_code == 200
        assert await ImportedEntry.filter(user_id=me.id).count() == 0
        assert (await PortableImport.get(user_id=me.id)).subject == ""
