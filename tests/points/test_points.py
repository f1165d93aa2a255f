"""Earning by the rules within the caps, the carbon account, its history and CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from app.core.errors import AppError, Conflict
from app.ledger import service as ledger
from app.points import rules, service
from models.ledger import Transfer
from tests.conftest import postgres_only
from tests.helpers import signed_in


async def someone(settings):  # type: ignore[no-untyped-def]
    user, headers = await signed_in(settings)
    return user, headers


class TestEarn:
    async def test_awards_points_per_unit_from_platform_issuance(self, db, settings) -> None:
        user, _ = await someone(settings)
        t = await service.earn(uuid4(), user, "planting.approved", units=3, reference="log:7")
        assert (t.amount, t.reason, t.reference) == (30, "earn.planting.approved", "log:7")
        assert (await service.balance_of(user)).balance == 30
        assert (await ledger.verify()).ok

    async def test_a_campaign_may_override_the_rate(self, db, settings) -> None:
        user, _ = await someone(settings)
        t = await service.earn(uuid4(), user, "planting.approved", units=3, campaign="demo-longquan")
        assert t.amount == 60

    async def test_replaying_an_award_counts_it_once(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        for _ in range(3):
            await service.earn(key, user, "planting.approved", units=2)
        assert (await service.balance_of(user)).balance == 20
        with pytest.raises(Conflict):
            await service.earn(key, user, "planting.approved", units=5)

    async def test_the_daily_cap_holds_and_says_when_to_come_back(self, db, settings) -> None:
        user, _ = await someone(settings)
        await service.earn(uuid4(), user, "planting.approved", units=10)  # 100 = the daily cap
        with pytest.raises(Conflict) as refused:
            await service.earn(uuid4(), user, "planting.approved", units=1)
        assert refused.value.key == "points.daily_cap"
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        await service.earn(uuid4(), user, "planting.approved", units=1, now=tomorrow)
        assert (await service.balance_of(user)).balance == 110

    async def test_the_yearly_cap_holds_across_days(self, db, settings, monkeypatch) -> None:
        text = 'version="t"\n[actions.walk]\nlabel={zh="步行",en="Walk"}\npoints_per_unit=1\ndaily_cap=5\nyearly_cap=12'
        monkeypatch.setattr(service, "RULES", rules.parse(text))
        user, _ = await someone(settings)
        day = datetime(2027, 3, 1, 4, tzinfo=UTC)
        await service.earn(uuid4(), user, "walk", units=5, now=day)
        await service.earn(uuid4(), user, "walk", units=5, now=day + timedelta(days=1))
        await service.earn(uuid4(), user, "walk", units=2, now=day + timedelta(days=2))
        with pytest.raises(Conflict) as refused:
            await service.earn(uuid4(), user, "walk", units=1, now=day + timedelta(days=2))
        assert refused.value.key == "points.yearly_cap"
        await service.earn(uuid4(), user, "walk", units=1, now=datetime(2028, 1, 1, 1, tzinfo=UTC))  # a new year
        assert (await service.balance_of(user)).balance == 13

    @pytest.mark.parametrize("units", [0, -1, 10_001, True])
    async def test_refuses_units_that_make_no_sense(self, db, settings, units) -> None:
        user, _ = await someone(settings)
        with pytest.raises(AppError) as refused:
            await service.earn(uuid4(), user, "planting.approved", units=units)
        assert refused.value.key == "points.bad_units"
        assert await Transfer.all().count() == 0

    async def test_unknown_actions_are_refused_with_the_list(self, db, settings) -> None:
        user, _ = await someone(settings)
        with pytest.raises(AppError) as refused:
            await service.earn(uuid4(), user, "walking.on.water")
        assert "checkin.daily" in refused.value.params["actions"]


class TestRules:
    def test_the_shipped_rules_load(self) -> None:
        loaded = rules.load()
        assert loaded.rule("planting.approved", "demo-longquan").points_per_unit == 20  # type: ignore[union-attr]
        assert loaded.rule("planting.approved").points_per_unit == 10  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            (
                'version="1"\n[actions.a]\nlabel={zh="甲",en="A"}\npoints_per_unit=0\ndaily_cap=1\nyearly_cap=1',
                "points_per_unit",
            ),
            (
                'version="1"\n[actions.a]\nlabel={zh="甲",en="A"}\npoints_per_unit=1\ndaily_cap=9\nyearly_cap=1',
                "exceeds",
            ),
            ('version="1"\n[actions.a]\nlabel={zh="甲"}\npoints_per_unit=1\ndaily_cap=1\nyearly_cap=1', "label"),
            ('version="1"\n[campaigns.c.actions.b]\npoints_per_unit=1', "no such action"),
            ('version="1"\n[actions.a]\nlabel={zh="甲",en="A"}\npoints=1', "unknown field"),
        ],
    )
    def test_a_malformed_rules_file_names_the_action_and_field(self, text: str, says: str) -> None:
        with pytest.raises(rules.RulesError, match=says):
            rules.parse(text)


class TestApi:
    async def test_check_in_earns_once_a_day_and_shows_in_the_account(self, client, settings) -> None:
        _, headers = await someone(settings)
        body = {"id": str(uuid4()), "action": "checkin.daily"}
        r = await client.post("/api/v1/points/earn", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert (r.json()["amount"], r.json()["label"]) == (2, "每日签到")
        again = await client.post("/api/v1/points/earn", json={**body, "id": str(uuid4())}, headers=headers)
        assert again.status_code == 409
        assert "明天" in again.json()["message"]
        account = (await client.get("/api/v1/points/account", headers=headers)).json()
        assert account == {"balance": 2, "held": 0, "available": 2, "holds": []}

    async def test_actions_awarded_by_organisers_cannot_be_self_served(self, client, settings) -> None:
        _, headers = await someone(settings)
        r = await client.post(
            "/api/v1/points/earn",
            json={"id": str(uuid4()), "action": "planting.approved", "units": 10},
            headers=headers,
        )
        assert r.status_code == 403
        assert r.json()["code"] == "points.not_self_service"

    async def test_history_speaks_my_language_and_the_csv_reconciles(self, client, settings) -> None:
        user, headers = await someone(settings)
        await service.earn(uuid4(), user, "planting.approved", units=4)
        friend = await ledger.open_account("points", "user_wallet", "user:friend")
        await ledger.transfer(uuid4(), await service.wallet_of(user), friend, 15, "gift.sent")
        lines = (await client.get("/api/v1/points/history", headers={**headers, "Accept-Language": "en"})).json()
        assert [(x["amount"], x["label"]) for x in lines] == [(-15, "Points given"), (40, "Planting log approved")]
        r = await client.get("/api/v1/points/history.csv", headers=headers)
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert rows[0][:3] == ["时间", "变动", "余额"]
        assert sum(int(row[1]) for row in rows[1:]) == int(rows[-1][2]) == 25
        assert (await client.get("/api/v1/points/account", headers=headers)).json()["balance"] == 25

    async def test_the_rules_are_public(self, client) -> None:
        r = await client.get("/api/v1/points/rules", headers={"Accept-Language": "en"})
        assert r.status_code == 200
        assert {
            "action": "checkin.daily",
            "label": "Daily check-in",
            "points_per_unit": 2,
            "daily_cap": 2,
            "yearly_cap": 730,
            "self_service": True,
        } in r.json()["actions"]

    async def test_the_account_needs_sign_in(self, client) -> None:
        assert (await client.get("/api/v1/points/account")).status_code == 401


class TestUnderConcurrency:
    async def test_one_award_sent_many_times_at_once_counts_once(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        await asyncio.gather(*(service.earn(key, user, "planting.approved", units=2) for _ in range(10)))
        assert (await service.balance_of(user)).balance == 20

    @postgres_only
    async def test_fifty_racing_awards_never_pass_the_daily_cap(self, db, settings) -> None:
        user, _ = await someone(settings)

        async def award() -> int:
            try:
                return (await service.earn(uuid4(), user, "planting.approved", units=3)).amount
            except Conflict:
                return 0

        awarded = await asyncio.gather(*(award() for _ in range(50)))
        # 30 points each under a daily cap of 100: exactly three awards fit, however they race
        assert sorted(awarded, reverse=True)[:4] == [30, 30, 30, 0] and sum(awarded) == 90
        assert (await service.balance_of(user)).balance == 90
        assert (await ledger.verify()).ok

    @postgres_only
    async def test_twenty_people_awarded_at_once_all_get_their_points(self, db, settings) -> None:
        # Every award moves the one platform issuance account: they queue on it, and none deadlocks with
        # another over the accounts' rows (each first locks both rows in id order).
        people = [(await someone(settings))[0] for _ in range(20)]
        for _ in range(2):  # first awards (the wallets are created) and then awards to existing wallets
            awarded = await asyncio.gather(
                *(service.earn(uuid4(), user, "planting.approved", units=1) for user in people)
            )
            assert [t.amount for t in awarded] == [10] * 20
        assert [(await service.balance_of(user)).balance for user in people] == [20] * 20
        assert (await ledger.verify(full=True)).ok

    async def test_an_award_id_taken_by_another_person_is_a_conflict_and_changes_nothing(self, db, settings) -> None:
        alice, _ = await someone(settings)
        bob, _ = await someone(settings)
        key = uuid4()
        await service.earn(key, alice, "planting.approved", units=1)
        with pytest.raises(Conflict):
            await service.earn(key, bob, "planting.approved", units=1)
        assert (await service.balance_of(bob)).balance == 0
        await service.earn(uuid4(), bob, "planting.approved", units=10)  # bob's counters were rolled back
        assert (await service.balance_of(bob)).balance == 100
        assert (await ledger.verify(full=True)).ok


class TestOneAwardPastACap:
    async def test_more_than_the_daily_cap_at_once_is_refused_and_counts_nothing(self, db, settings) -> None:
        user, _ = await someone(settings)
        with pytest.raises(Conflict) as refused:
            await service.earn(uuid4(), user, "planting.approved", units=11)  # 110 > the daily cap of 100
        assert refused.value.key == "points.daily_cap"
        await service.earn(uuid4(), user, "planting.approved", units=10)  # the whole cap is still there
        assert (await service.balance_of(user)).balance == 100


class TestYearSummary:
    async def test_counts_earned_and_spent_by_beijing_year(self, db, settings) -> None:
        user, _ = await someone(settings)
        await service.earn(uuid4(), user, "planting.approved", units=2)
        await service.earn(uuid4(), user, "checkin.daily")
        friend = await ledger.open_account("points", "user_wallet", "user:friend2")
        await ledger.transfer(uuid4(), await service.wallet_of(user), friend, 5, "gift.sent")
        summary = await service.year_summary(user)
        assert (summary.earned, summary.spent) == (22, 5)
        assert summary.by_action == {"planting.approved": 20, "checkin.daily": 2}
        assert (await service.year_summary(user, summary.year - 1)).earned == 0


class TestBadInputThroughTheApi:
    async def test_nonsense_is_a_clear_4xx_and_posts_nothing(self, client, settings) -> None:
        _, headers = await someone(settings)
        cases = [
            ({"id": str(uuid4()), "action": "checkin.daily", "units": 0}, "units"),
            ({"id": str(uuid4()), "action": "checkin.daily", "units": -5}, "units"),
            ({"id": str(uuid4()), "action": "checkin.daily", "units": 10**30}, "units"),
            ({"id": "not-a-uuid", "action": "checkin.daily"}, "id"),
            ({"id": str(uuid4()), "action": ""}, "action"),
        ]
        for body, field in cases:
            r = await client.post("/api/v1/points/earn", json=body, headers=headers)
            assert r.status_code == 400, (body, r.text)
            assert r.json()["detail"][0]["field"] == field, r.json()
        r = await client.post("/api/v1/points/earn", json={"id": str(uuid4()), "action": "teleport"}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "points.unknown_action"
        assert await Transfer.all().count() == 0

    async def test_the_same_award_id_with_another_action_is_a_409_that_says_so(self, client, settings) -> None:
        _, headers = await someone(settings)
        key = str(uuid4())
        assert (
            await client.post("/api/v1/points/earn", json={"id": key, "action": "checkin.daily"}, headers=headers)
        ).status_code == 201
        r = await client.post(
            "/api/v1/points/earn",
            json={"id": key, "action": "green_trip.logged"},
            headers={**headers, "Accept-Language": "en"},
        )
        assert r.status_code == 409
        assert "different posting" in r.json()["message"]
        assert await Transfer.all().count() == 1


class TestRetriesAtTheCap:
    async def test_a_retry_racing_its_original_at_the_cap_is_a_replay_not_a_refusal(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        results = await asyncio.gather(
            *(service.earn(key, user, "checkin.daily") for _ in range(4)), return_exceptions=True
        )
        assert all(not isinstance(r, Exception) for r in results), results
        assert {r.id for r in results} == {key}  # type: ignore[union-attr]
        assert (await service.balance_of(user)).balance == 2

    async def test_a_replay_once_the_cap_is_full_is_the_first_award_not_a_refusal(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        first = await service.earn(key, user, "planting.approved", units=10)  # 100 = the daily cap
        again = await service.earn(key, user, "planting.approved", units=10)
        assert (again.id, again.amount) == (first.id, 100)
        assert (await service.balance_of(user)).balance == 100

    async def test_a_replay_on_a_later_day_counts_nothing_on_that_day(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        await service.earn(key, user, "planting.approved", units=10)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        assert (await service.earn(key, user, "planting.approved", units=10, now=tomorrow)).id == key
        await service.earn(uuid4(), user, "planting.approved", units=10, now=tomorrow)  # tomorrow's cap is whole
        assert (await service.balance_of(user)).balance == 200

    async def test_a_reused_id_with_another_body_at_the_cap_is_an_id_conflict(self, db, settings) -> None:
        user, _ = await someone(settings)
        key = uuid4()
        await service.earn(key, user, "planting.approved", units=10)
        with pytest.raises(Conflict) as refused:
            await service.earn(key, user, "planting.approved", units=3)
        assert refused.value.key == "ledger.id_reused"
        assert await Transfer.all().count() == 1
