"""Personal data (PIPL): encrypted at rest, looked up by blind index, shown masked, exportable, deletable."""

from tortoise import Tortoise

from app.accounts import service as accounts
from app.core.auth import Role
from models.accounts import Membership, User
from models.audit import AuditEvent
from tests.helpers import signed_in

PHONE = "13856781234"  # the middle four (5678) are what masking hides
ID_NUMBER = "11010519491231002X"  # the GB 11643 standard's example, valid check digit


async def raw_user_row(public_id: str) -> str:
    """The user's row as the database stores it, every column rendered as text."""
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict(
        "SELECT * FROM accounts_user WHERE public_id = " + ("$1" if conn.capabilities.dialect == "postgres" else "?"),
        [public_id],
    )
    return repr(rows[0])


class TestEncryptionAtRest:
    async def test_phone_name_and_id_number_never_appear_in_clear_in_the_database(self, client, settings) -> None:
        user, headers = await signed_in(settings, phone=PHONE)
        r = await client.put(
            "/api/v1/me/identity", json={"real_name": "张三丰", "id_number": ID_NUMBER}, headers=headers
        )
        assert r.status_code == 200, r.text
        row = await raw_user_row(user.public_id)
        for secret in (PHONE, "张三丰", ID_NUMBER, PHONE[3:7]):
            assert secret not in row
        # but the blind index finds the user, and the key decrypts
        index = accounts.phone_lookup(settings, "+86 138-5678-1234")
        assert (await User.get(phone_index=index)).id == user.id
        assert accounts.reveal_phone(settings, await User.get(id=user.id)) == PHONE

    async def test_identity_is_shown_masked(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        await client.put("/api/v1/me/identity", json={"real_name": "张三丰", "id_number": ID_NUMBER}, headers=headers)
        r = await client.get("/api/v1/me/identity", headers=headers)
        assert r.json() == {"real_name": "张**", "id_number": "1101**********002X"}

    async def test_a_wrong_check_digit_is_refused_naming_the_field(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.put(
            "/api/v1/me/identity", json={"real_name": "张三", "id_number": "110105194912310021"}, headers=headers
        )
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "id_number"
        assert "校验码" in r.json()["message"]

    async def test_one_id_number_binds_one_account(self, client, settings) -> None:
        _, first = await signed_in(settings)
        _, second = await signed_in(settings)
        body = {"real_name": "张三", "id_number": ID_NUMBER}
        assert (await client.put("/api/v1/me/identity", json=body, headers=first)).status_code == 200
        r = await client.put("/api/v1/me/identity", json=body, headers=second)
        assert r.status_code == 409
        assert r.json()["code"] == "privacy.id_number_taken"


class TestExport:
    async def test_export_holds_my_decrypted_data_roles_and_history(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.PLATFORM_ADMIN, phone=PHONE)
        await client.put("/api/v1/me/identity", json={"real_name": "张三丰", "id_number": ID_NUMBER}, headers=headers)
        r = await client.get("/api/v1/me/export", headers=headers)
        assert r.status_code == 200
        assert "attachment" in r.headers["content-disposition"]
        doc = r.json()
        assert doc["format"] == "microsink.personal-data-export/1"
        assert doc["account"]["phone"] == PHONE
        assert doc["account"]["id_number"] == ID_NUMBER
        assert {"role": "platform_admin", "organisation": None} in doc["roles"]
        assert len(doc["sessions"]) == 1
        assert {"user.created", "membership.granted", "user.identity_set"} <= {
            e["action"] for e in doc["account_history"]
        }

    async def test_export_needs_sign_in(self, client) -> None:
        assert (await client.get("/api/v1/me/export")).status_code == 401


class TestDeleteAccount:
    async def test_deletion_anonymises_signs_out_and_keeps_the_audit_trail(self, client, settings) -> None:
        user, headers = await signed_in(settings, Role.PLATFORM_ADMIN, phone=PHONE)
        await client.put("/api/v1/me/identity", json={"real_name": "张三丰", "id_number": ID_NUMBER}, headers=headers)
        r = await client.post("/api/v1/me/delete-account", json={"confirm": True}, headers=headers)
        assert r.status_code == 200
        stored = await User.get(id=user.id)
        assert stored.deleted_at is not None and not stored.is_active
        assert stored.phone_enc is None and stored.phone_index is None and stored.real_name_enc is None
        assert stored.id_number_index is None and stored.phone_last4 is None
        assert await Membership.filter(user_id=user.id).count() == 0
        # the same token no longer works
        r = await client.get("/api/v1/me/export", headers=headers)
        assert r.status_code == 401
        # audit records stay, pointing at the random public id only
        assert await AuditEvent.filter(entity_id=user.public_id, action="user.deleted").count() == 1
        # the phone number can sign up afresh as a new person
        again, created = await accounts.find_or_create_by_phone(settings, PHONE)
        assert created and again.id != user.id

    async def test_deletion_needs_explicit_confirmation(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        r = await client.post("/api/v1/me/delete-account", json={"confirm": False}, headers=headers)
        assert r.status_code == 400
        assert r.json()["code"] == "privacy.confirm_required"
        assert (await User.get(id=user.id)).deleted_at is None


class TestAuditHoldsNoPersonalData:
    async def test_the_public_chain_never_carries_phone_name_or_id_even_masked(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.PLATFORM_ADMIN, phone=PHONE)
        await client.put("/api/v1/me/identity", json={"real_name": "张三丰", "id_number": ID_NUMBER}, headers=headers)
        await client.post("/api/v1/me/delete-account", json={"confirm": True}, headers=headers)
        events = await AuditEvent.all().values("actor", "entity_id", "before", "after")
        assert len(events) >= 4
        text = repr(events)
        for personal in (PHONE, PHONE[-4:], "****", "张", ID_NUMBER[-4:], ID_NUMBER[:6]):
            assert personal not in text, personal


class TestLookalikeDigits:
    async def test_non_ascii_digits_are_not_an_id_number(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.put(
            "/api/v1/me/identity", json={"real_name": "张三", "id_number": "²1010519491231002X"}, headers=headers
        )
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "id_number"

    async def test_non_ascii_digits_are_not_a_phone_number(self, settings, db) -> None:
        import pytest

        from app.core.errors import AppError

        with pytest.raises(AppError):
            await accounts.find_or_create_by_phone(settings, "13٨٠٠١٣٨٠٠٠")


class TestDeletionNeedsARealTrue:
    async def test_one_or_the_string_true_does_not_delete(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        for almost in (1, "true", "yes"):
            r = await client.post("/api/v1/me/delete-account", json={"confirm": almost}, headers=headers)
            assert r.status_code == 400, almost
        assert (await User.get(id=user.id)).deleted_at is None


class TestIdentityDetails:
    async def test_an_impossible_birth_date_is_refused(self, client, settings) -> None:
        from app.accounts.privacy import valid_id_number
        from app.core.errors import AppError

        def with_check_digit(first17: str) -> str:
            weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
            return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]

        import pytest

        for first17 in ("11010520991231002", "11010519491332002"):  # born 2099; month 13
            with pytest.raises(AppError):
                valid_id_number(with_check_digit(first17))
        assert valid_id_number(ID_NUMBER) == ID_NUMBER

    async def test_a_name_with_control_characters_is_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.put(
            "/api/v1/me/identity", json={"real_name": "张\u0000三", "id_number": ID_NUMBER}, headers=headers
        )
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "real_name"
