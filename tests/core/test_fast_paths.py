"""The fixed-SQL fast paths on PostgreSQL (app/core/db.py `columns_of`/`hydrate`) read exactly what the
ORM's own queries read: the same rows, the same field values, the same relations."""

from datetime import UTC, datetime, timedelta

from app.core import auth
from app.core.auth import Role
from app.core.db import columns_of, hydrate
from app.ledger import service as ledger
from models.accounts import AuthSession, User
from models.ledger import LedgerAccount
from tests.conftest import postgres_only
from tests.helpers import signed_in


def _fields(obj: object, model: type) -> dict[str, object]:
    return {name: getattr(obj, name) for name in model._meta.db_fields}  # type: ignore[attr-defined]


@postgres_only
class TestSessionLookup:
    async def test_the_fixed_query_reads_what_the_orm_reads_user_and_memberships_included(self, settings, db) -> None:
        user, _ = await signed_in(settings, Role.ORGANISER, Role.VERIFIER)
        session = await AuthSession.filter(user=user).first()
        assert session is not None
        fast = await auth._active_session("token", "public_id", session.public_id)
        orm = (
            await AuthSession.filter(public_id=session.public_id)
            .select_related("user")
            .annotate(memberships_held=auth.RawSQL(auth._MEMBERSHIPS_SQL["postgres"]))
            .first()
        )
        assert fast is not None and orm is not None
        assert _fields(fast, AuthSession) == _fields(orm, AuthSession)
        assert _fields(fast.user, User) == _fields(orm.user, User)
        assert sorted(fast.memberships_held.split(",")) == sorted(orm.memberships_held.split(","))  # type: ignore[attr-defined]
        principal = await auth.load_principal(fast)
        assert principal is not None and {"organiser", "verifier", "citizen"} <= principal.roles

    async def test_revoked_expired_and_wrong_kind_sessions_are_not_found(self, settings, db) -> None:
        user, _ = await signed_in(settings)
        session = await AuthSession.filter(user=user).first()
        assert session is not None
        assert await auth._active_session("cookie", "public_id", session.public_id) is None
        await AuthSession.filter(id=session.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert await auth._active_session("token", "public_id", session.public_id) is None
        await AuthSession.filter(id=session.id).update(
            expires_at=datetime.now(UTC) + timedelta(days=1), revoked_at=datetime.now(UTC)
        )
        assert await auth._active_session("token", "public_id", session.public_id) is None


@postgres_only
class TestAccountsLookup:
    async def test_open_accounts_hydrates_the_same_accounts_the_orm_reads(self, db) -> None:
        first = await ledger.open_accounts(
            "points", ("user_wallet", "user:fast", False), ("platform_issuance", "platform", True)
        )
        again = await ledger.open_accounts(
            "points", ("platform_issuance", "platform", True), ("user_wallet", "user:fast", False)
        )
        assert [a.id for a in again] == [a.id for a in reversed(first)]
        for account in again:
            stored = await LedgerAccount.get(id=account.id)
            assert _fields(account, LedgerAccount) == _fields(stored, LedgerAccount)

    async def test_columns_of_names_every_column_once(self, db) -> None:
        listed = columns_of(LedgerAccount, "a", "p__")
        for column in LedgerAccount._meta.db_fields:
            assert listed.count(f'a."{column}" AS "p__{column}"') == 1
        row = {f"p__{c}": None for c in LedgerAccount._meta.db_fields} | {"p__id": 7, "p__code": "x"}
        account = hydrate(LedgerAccount, row, "p__")
        assert account.id == 7 and account.code == "x" and account._saved_in_db
