"""Platform admins create organisations and grant roles; nobody else can."""

from app.core.auth import Role
from models.accounts import Membership, Organisation
from models.audit import AuditEvent
from tests.helpers import signed_in

ORGS_URL = "/api/v1/admin/organisations"


class TestCreateOrganisation:
    async def test_admin_creates_an_organisation_and_it_is_audited(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/organisations",
            json={"kind": "court", "name": "成都铁路运输法院", "county_code": "510100"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        org = await Organisation.get(public_id=r.json()["public_id"])
        assert (org.kind, org.name) == ("court", "成都铁路运输法院")
        assert await AuditEvent.filter(action="organisation.created", entity_id=org.public_id).count() == 1

    async def test_unknown_kind_is_a_400_that_lists_the_kinds(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post("/api/v1/admin/organisations", json={"kind": "club", "name": "x"}, headers=admin)
        assert r.status_code == 400
        assert r.json()["code"] == "accounts.unknown_org_kind"
        assert "foundation" in r.json()["message"] and "club" in r.json()["message"]
        assert await Organisation.all().count() == 0

    async def test_bad_county_code_names_the_field(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/organisations", json={"kind": "court", "name": "x", "county_code": "51"}, headers=admin
        )
        assert r.status_code == 400
        assert r.json()["code"] == "error.validation"
        assert r.json()["detail"][0]["field"] == "county_code"
        assert "county_code" in r.json()["message"]

    async def test_an_organiser_is_refused_with_403_and_a_stranger_with_401(self, client, settings) -> None:
        _, organiser = await signed_in(settings, Role.ORGANISER)
        body = {"kind": "court", "name": "x"}
        assert (await client.post("/api/v1/admin/organisations", json=body, headers=organiser)).status_code == 403
        r = await client.post("/api/v1/admin/organisations", json=body)
        assert r.status_code == 401
        assert r.json()["message"] == "请先登录"


class TestGrantRole:
    async def test_granted_role_lets_the_user_in_and_revoking_takes_it_away(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        user, headers = await signed_in(settings)
        assert (await client.get("/api/v1/admin/organisations", headers=headers)).status_code == 403
        body = {"user": user.public_id, "role": "platform_admin"}
        r = await client.post("/api/v1/admin/memberships", json=body, headers=admin)
        assert r.status_code == 201, r.text
        assert (await client.get("/api/v1/admin/organisations", headers=headers)).status_code == 200
        r = await client.post("/api/v1/admin/memberships/revoke", json=body, headers=admin)
        assert r.status_code == 200
        assert (await client.get("/api/v1/admin/organisations", headers=headers)).status_code == 403
        actions = await AuditEvent.filter(entity_id=user.public_id).values_list("action", flat=True)
        assert "membership.granted" in actions and "membership.revoked" in actions

    async def test_granting_twice_keeps_one_membership(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/organisations", json={"kind": "foundation", "name": "基金会"}, headers=admin
        )
        org = r.json()["public_id"]
        body = {"phone": "13711112222", "role": "organiser", "organisation": org}
        for _ in range(2):
            assert (await client.post("/api/v1/admin/memberships", json=body, headers=admin)).status_code == 201
        assert await Membership.filter(role="organiser").count() == 1

    async def test_an_org_role_without_an_org_is_refused_before_anyone_is_created(self, client, settings) -> None:
        from models.accounts import User

        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        users_before = await User.all().count()
        r = await client.post(
            "/api/v1/admin/memberships",
            json={"phone": "13711113333", "role": "court"},
            headers=admin,
            params={"lang": "en"},
        )
        assert r.status_code == 400
        assert r.json()["message"] == "Role court belongs to an organisation: name one"
        assert await User.all().count() == users_before

    async def test_invalid_phone_names_the_phone_field(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/memberships", json={"phone": "12345", "role": "platform_admin"}, headers=admin
        )
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "phone"


class TestPlatformRoleScope:
    async def test_platform_admin_cannot_be_granted_inside_an_organisation(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        org = (
            await client.post("/api/v1/admin/organisations", json={"kind": "court", "name": "x"}, headers=admin)
        ).json()
        r = await client.post(
            "/api/v1/admin/memberships",
            json={"phone": "13711114444", "role": "platform_admin", "organisation": org["public_id"]},
            headers=admin,
        )
        assert r.status_code == 400
        assert r.json()["code"] == "accounts.platform_role_has_no_org"


class TestLastAdmin:
    async def test_the_last_platform_admin_cannot_be_removed(self, client, settings) -> None:
        admin, headers = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/memberships/revoke",
            json={"user": admin.public_id, "role": "platform_admin"},
            headers=headers,
        )
        assert r.status_code == 409
        assert r.json()["code"] == "accounts.last_admin"
        assert (await client.get("/api/v1/admin/organisations", headers=headers)).status_code == 200


class TestOrganisationDetails:
    async def test_a_county_code_outside_any_province_is_refused(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/organisations", json={"kind": "court", "name": "x", "county_code": "999999"}, headers=admin
        )
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "county_code"

    async def test_a_name_with_control_characters_is_refused(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post("/api/v1/admin/organisations", json={"kind": "court", "name": "a\u0000b"}, headers=admin)
        assert r.status_code == 400
        assert r.json()["code"] == "accounts.bad_org_name"


class TestRoleFitsOrganisation:
    async def test_a_court_role_does_not_belong_in_a_village_collective(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        org = (await client.post(ORGS_URL, json={"kind": "collective", "name": "某村集体"}, headers=admin)).json()
        r = await client.post(
            "/api/v1/admin/memberships",
            json={"phone": "13711115555", "role": "court", "organisation": org["public_id"]},
            headers={**admin, "Accept-Language": "en"},
        )
        assert r.status_code == 400
        assert r.json()["code"] == "accounts.role_wrong_org_kind"
        assert "court" in r.json()["message"] and "collective" in r.json()["message"]

    async def test_an_individual_smallholder_needs_no_collective(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/memberships", json={"phone": "13711116666", "role": "smallholder"}, headers=admin
        )
        assert r.status_code == 201

    async def test_the_same_organisation_twice_is_a_conflict(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        body = {"kind": "foundation", "name": "四川省绿化基金会"}
        assert (await client.post(ORGS_URL, json=body, headers=admin)).status_code == 201
        r = await client.post(ORGS_URL, json=body, headers=admin)
        assert r.status_code == 409
        assert r.json()["code"] == "accounts.org_exists"
