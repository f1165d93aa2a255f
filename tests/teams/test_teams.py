"""Teams: create, join with a code (idempotent), leave, removal, code rotation, caps, lanes, audit."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import Conflict
from app.teams import service
from models.audit import AuditEvent
from models.teams import Team, TeamMember
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.teams.builders import create_team, join, owner_and_team


class TestCreate:
    async def test_the_owner_sees_the_code_and_others_do_not(self, client, settings) -> None:
        _owner, team = await owner_and_team(client, settings, name_en="Green Tech")
        assert team["owner"] is True and team["member"] is False and team["members"] == 0
        assert len(team["join_code"]) == 9 and team["join_code"][4] == "-"
        assert team["join_url"].endswith(f"/teams/{team['id']}?code={team['join_code']}")
        _, stranger = await signed_in(settings)
        seen = (await client.get(f"/api/v1/teams/{team['id']}", headers=stranger)).json()["team"]
        assert seen["join_code"] is None and seen["join_url"] is None
        english = (await client.get(f"/api/v1/teams/{team['id']}?lang=en")).json()["team"]
        assert english["name"] == "Green Tech"
        assert await AuditEvent.filter(action="team.created", entity_id=team["id"]).count() == 1

    async def test_a_class_belongs_to_a_school_and_only_a_class_does(self, client, settings) -> None:
        owner, school = await owner_and_team(client, settings, kind="school", name_zh="实验小学")
        r = await client.post(
            "/api/v1/teams", json={"kind": "class", "name_zh": "三年级二班", "parent": school["id"]}, headers=owner
        )
        assert r.status_code == 201 and r.json()["parent"] == school["id"]
        r = await client.post(
            "/api/v1/teams?lang=en", json={"kind": "company", "name_zh": "x", "parent": school["id"]}, headers=owner
        )
        assert r.status_code == 400 and r.json()["code"] == "teams.parent_kind"
        _, stranger = await signed_in(settings)
        r = await client.post(
            "/api/v1/teams", json={"kind": "class", "name_zh": "冒名班", "parent": school["id"]}, headers=stranger
        )
        assert r.status_code == 403 and r.json()["code"] == "teams.parent_not_yours"

    async def test_a_blank_name_is_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.post("/api/v1/teams", json={"kind": "other", "name_zh": "   "}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (400, "teams.name_blank")


class TestJoin:
    async def test_joining_twice_is_one_membership(self, client, settings) -> None:
        _, team = await owner_and_team(client, settings)
        me, headers = await signed_in(settings)
        first = await join(client, headers, team["join_code"].lower().replace("-", " "))
        again = await join(client, headers, team["join_code"])
        assert (first.status_code, first.json()["joined"]) == (200, True)
        assert (again.status_code, again.json()["joined"]) == (200, False)
        assert again.json()["team"]["members"] == 1 and again.json()["team"]["member"] is True
        assert await TeamMember.filter(user_id=me.id).count() == 1
        assert await AuditEvent.filter(action="team.member.joined", entity_id=team["id"]).count() == 1
        mine = (await client.get("/api/v1/teams/mine", headers=headers)).json()
        assert [m["team"]["id"] for m in mine] == [team["id"]]

    async def test_a_wrong_code_is_a_404_in_both_languages(self, client, settings) -> None:
        await owner_and_team(client, settings)
        _, headers = await signed_in(settings)
        zh = await join(client, headers, "ZZZZ-ZZZZ")
        en = await client.post("/api/v1/teams/join?lang=en", json={"code": "ZZZZ-ZZZZ"}, headers=headers)
        assert (zh.status_code, zh.json()["code"]) == (404, "teams.code_unknown")
        assert "加入码无效" in zh.json()["message"]
        assert en.status_code == 404 and "join code is wrong" in en.json()["message"]

    async def test_a_malformed_code_is_a_400_in_both_languages(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        for code in ("123", "ABCD-EFGU", "ABCD-EFGH-J"):
            zh = await join(client, headers, code)
            assert (zh.status_code, zh.json()["code"]) == (400, "teams.code_malformed"), code
            assert "加入码格式不对" in zh.json()["message"]
        en = await client.post("/api/v1/teams/join?lang=en", json={"code": "nope"}, headers=headers)
        assert en.status_code == 400 and "not a join code" in en.json()["message"]

    async def test_look_alike_letters_are_read_as_digits(self) -> None:
        assert service.normalise_code("o1lI-abcd") == "0111ABCD"

    async def test_one_company_team_at_a_time_but_a_class_besides(self, client, settings) -> None:
        _, first = await owner_and_team(client, settings, name_zh="甲公司")
        _, second = await owner_and_team(client, settings, name_zh="乙公司")
        _, school_class = await owner_and_team(client, settings, kind="class", name_zh="五年级一班")
        _, headers = await signed_in(settings)
        assert (await join(client, headers, first["join_code"])).status_code == 200
        refused = await join(client, headers, second["join_code"])
        assert (refused.status_code, refused.json()["code"]) == (409, "teams.lane_taken")
        assert "甲公司" in refused.json()["message"] and refused.json()["detail"] == {"team": first["id"]}
        assert (await join(client, headers, school_class["join_code"])).status_code == 200
        assert (await Team.get(public_id=second["id"])).member_count == 0  # the refused join took no place

    async def test_a_campaign_team_is_a_scope_of_its_own(self, client, settings) -> None:
        from tests.campaigns.builders import make_campaign

        campaign, _, _ = await make_campaign()
        _, everyday = await owner_and_team(client, settings, name_zh="甲公司")
        _, for_campaign = await owner_and_team(client, settings, name_zh="甲公司植树队", campaign=campaign.slug)
        _, headers = await signed_in(settings)
        assert (await join(client, headers, everyday["join_code"])).status_code == 200
        assert (await join(client, headers, for_campaign["join_code"])).status_code == 200

    async def test_a_full_team_takes_nobody_more(self, client, settings) -> None:
        settings_small = settings.with_(teams_max_members=2)
        _, team = await owner_and_team(client, settings)
        people = [await signed_in(settings) for _ in range(3)]
        results = [
            await service.join(user, team["join_code"], max_members=settings_small.teams_max_members)
            for user, _ in people[:2]
        ]
        assert all(r.joined for r in results)
        with pytest.raises(Conflict) as full:
            await service.join(people[2][0], team["join_code"], max_members=2)
        assert full.value.key == "teams.full"
        assert (await Team.get(public_id=team["id"])).member_count == 2


class TestLeaveAndRemove:
    async def test_leaving_gives_the_place_back_once(self, client, settings) -> None:
        _, team = await owner_and_team(client, settings)
        _, headers = await signed_in(settings)
        await join(client, headers, team["join_code"])
        first = await client.post(f"/api/v1/teams/{team['id']}/leave", headers=headers)
        again = await client.post(f"/api/v1/teams/{team['id']}/leave", headers=headers)
        assert (first.json()["left"], again.json()["left"]) == (True, False)
        assert (await Team.get(public_id=team["id"])).member_count == 0
        assert await AuditEvent.filter(action="team.member.left", entity_id=team["id"]).count() == 1

    async def test_the_owner_removes_a_member_and_nobody_else_can(self, client, settings) -> None:
        owner, team = await owner_and_team(client, settings)
        member, headers = await signed_in(settings)
        _, other = await signed_in(settings)
        await join(client, headers, team["join_code"])
        path = f"/api/v1/teams/{team['id']}/members/{member.public_id}"
        refused = await client.delete(path, headers=other)
        assert (refused.status_code, refused.json()["code"]) == (403, "teams.not_owner")
        assert (await client.delete(path, headers=owner)).status_code == 204
        gone = await client.delete(path, headers=owner)
        assert (gone.status_code, gone.json()["code"]) == (404, "teams.not_member")
        assert (await Team.get(public_id=team["id"])).member_count == 0
        removed = await AuditEvent.get(action="team.member.removed", entity_id=team["id"])
        assert removed.before == {"member": member.public_id}


class TestRotate:
    async def test_the_old_code_stops_working_at_once(self, client, settings) -> None:
        owner, team = await owner_and_team(client, settings)
        rotated = await client.post(f"/api/v1/teams/{team['id']}/code", headers=owner)
        assert rotated.status_code == 200
        new_code = rotated.json()["join_code"]
        assert new_code != team["join_code"]
        _, headers = await signed_in(settings)
        assert (await join(client, headers, team["join_code"])).status_code == 404
        assert (await join(client, headers, new_code)).status_code == 200
        event = await AuditEvent.get(action="team.code.rotated", entity_id=team["id"])
        assert team["join_code"].replace("-", "") not in str(event.after) + str(event.before)

    async def test_only_the_owner_rotates(self, client, settings) -> None:
        _, team = await owner_and_team(client, settings)
        _, other = await signed_in(settings)
        r = await client.post(f"/api/v1/teams/{team['id']}/code?lang=en", headers=other)
        assert r.status_code == 403 and "owner" in r.json()["message"]

    async def test_the_owner_gets_a_qr_of_the_join_link(self, client, settings) -> None:
        owner, team = await owner_and_team(client, settings)
        r = await client.get(f"/api/v1/teams/{team['id']}/qr.png", headers=owner)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")
        _, other = await signed_in(settings)
        assert (await client.get(f"/api/v1/teams/{team['id']}/qr.png", headers=other)).status_code == 403


class TestRacing:
    @postgres_only
    async def test_thirty_people_racing_for_twenty_places_get_exactly_twenty(self, db, settings) -> None:
        from app.core.auth import Principal
        from app.teams.schemas import TeamIn

        owner, _ = await signed_in(settings)
        team = await service.create(
            Principal(owner, None, frozenset({"citizen"})),  # type: ignore[arg-type]
            TeamIn(kind="company", name_zh="抢位公司"),
        )
        crowd = [(await signed_in(settings))[0] for _ in range(30)]

        async def attempt(user):  # type: ignore[no-untyped-def]
            try:
                await service.join(user, team.join_code, max_members=20)
                return True
            except Conflict as exc:
                assert exc.key == "teams.full"
                return False

        results = await asyncio.gather(*(attempt(u) for u in crowd))
        assert sum(results) == 20
        assert (await Team.get(id=team.id)).member_count == 20
        assert await TeamMember.filter(team_id=team.id).count() == 20
        assert await AuditEvent.filter(action="team.member.joined", entity_id=team.public_id).count() == 20

    @postgres_only
    async def test_the_same_join_racing_itself_is_one_membership(self, db, settings) -> None:
        from app.core.auth import Principal
        from app.teams.schemas import TeamIn

        owner, _ = await signed_in(settings)
        team = await service.create(
            Principal(owner, None, frozenset({"citizen"})),  # type: ignore[arg-type]
            TeamIn(kind="school", name_zh="同校"),
        )
        me, _ = await signed_in(settings)
        results = await asyncio.gather(*(service.join(me, team.join_code, max_members=20) for _ in range(10)))
        assert sum(r.joined for r in results) == 1
        assert (await Team.get(id=team.id)).member_count == 1


class TestPersonalData:
    async def test_the_export_lists_my_teams_and_deleting_the_account_leaves_them(self, client, settings) -> None:
        _, team = await owner_and_team(client, settings, name_zh="导出公司")
        me, headers = await signed_in(settings)
        await join(client, headers, team["join_code"])
        exported = (await client.get("/api/v1/me/export", headers=headers)).json()
        assert [m["team"] for m in exported["teams"]["memberships"]] == [team["id"]]
        r = await client.post("/api/v1/me/delete-account", json={"confirm": True}, headers=headers)
        assert r.status_code == 200
        assert await TeamMember.filter(user_id=me.id).count() == 0
        assert (await Team.get(public_id=team["id"])).member_count == 0
        assert await AuditEvent.filter(action="team.member.left", entity_id=team["id"]).count() == 1


async def page_cookie(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A page session for the user (pages read only the session cookie, never a bearer token)."""
    import secrets
    from datetime import UTC, datetime, timedelta

    from app.core.auth import SESSION_COOKIE, hash_secret
    from models.accounts import AuthSession

    secret = secrets.token_urlsafe(16)
    await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="cookie",
        secret_hash=hash_secret(secret),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return {"cookie": f"{SESSION_COOKIE}={secret}", "accept": "text/html"}


class TestTeamPage:
    async def test_the_owner_sees_code_qr_and_rotation_and_a_visitor_the_join_form(self, client, settings) -> None:
        owner, headers = await signed_in(settings)
        team = await create_team(client, headers, name_zh="页面公司")
        html = (await client.get(f"/teams/{team['id']}", headers=await page_cookie(owner))).text
        assert team["join_code"] in html and f"/teams/{team['id']}/qr.png" in html and "更换加入码" in html
        visitor = (await client.get(f"/teams/{team['id']}?code=ABCD-EFGH", headers={"accept": "text/html"})).text
        assert team["join_code"] not in visitor and "登录后即可加入团队" in visitor
        english = (await client.get(f"/teams/{team['id']}?lang=en", headers={"accept": "text/html"})).text
        assert "Sign in to join the team" in english

    async def test_an_unknown_team_is_a_404_page(self, client) -> None:
        r = await client.get("/teams/nope", headers={"accept": "text/html"})
        assert r.status_code == 404 and "没有找到这个团队" in r.text
