"""Personal data rights under PIPL: real-name details stored encrypted, data export, account deletion.

Other domains add what they hold about a person with `register_exporter` / `register_eraser`, so the
export is complete and deletion reaches everywhere without this module knowing their tables.
Deletion anonymises: the user row stays (ledger entries and audit records keep pointing at its
random public id) but nothing in it identifies the person any more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from app.accounts.service import reveal_phone, revoke_all_sessions, roles_of
from app.core import audit
from app.core.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_name
from app.core.errors import AppError, Conflict
from app.core.i18n import register_messages
from app.settings import Settings
from models.accounts import AuthSession, Membership, User
from models.audit import AuditEvent

Exporter = Callable[[User], Awaitable[Any]]
KeyedExporter = Callable[[Settings, User], Awaitable[Any]]  # decrypts what it exports with the data key
Eraser = Callable[[User], Awaitable[None]]
_EXPORTERS: dict[str, Exporter] = {}
_KEYED_EXPORTERS: dict[str, KeyedExporter] = {}
_ERASERS: dict[str, Eraser] = {}

_ID_FIELD = {"field": "id_number", "source": "body", "message": "18 characters, a real birth date, a valid check digit"}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def register_exporter(section: str, fn: Exporter) -> None:
    _EXPORTERS[section] = fn


def register_keyed_exporter(section: str, fn: KeyedExporter) -> None:
    """An exporter that needs the settings (the data key) to decrypt what it holds."""
    _KEYED_EXPORTERS[section] = fn


def register_eraser(name: str, fn: Eraser) -> None:
    _ERASERS[name] = fn


def valid_id_number(number: str) -> str:
    """An 18-character resident ID number with a correct GB 11643 check digit, upper-cased."""
    value = number.strip().upper()
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        raise AppError("privacy.bad_id_number", detail=[_ID_FIELD])
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise AppError("privacy.bad_id_number", detail=[_ID_FIELD])
    try:  # digits 7–14 are the birth date, which must exist and lie in the past
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise AppError("privacy.bad_id_number", detail=[_ID_FIELD]) from None
    if not date(1900, 1, 1) <= born <= date.today():
        raise AppError("privacy.bad_id_number", detail=[_ID_FIELD])
    return value


async def set_identity(settings: Settings, user: User, real_name: str, id_number: str) -> dict[str, str]:
    """Store real name and ID number encrypted; one ID number belongs to one account."""
    name = real_name.strip()
    if not 1 <= len(name) <= 32 or not name.isprintable():
        raise AppError(
            "privacy.bad_real_name",
            detail=[{"field": "real_name", "source": "body", "message": "1–32 printable characters"}],
        )
    number = valid_id_number(id_number)
    index = blind_index(settings.blind_index_key, number, "id_number")
    other = await User.filter(id_number_index=index).exclude(id=user.id).exists()
    if other:
        raise Conflict("privacy.id_number_taken")
    async with in_transaction():
        user.real_name_enc = encrypt(settings.data_key, name, "real_name")
        user.id_number_enc = encrypt(settings.data_key, number, "id_number")
        user.id_number_index = index
        await user.save(update_fields=["real_name_enc", "id_number_enc", "id_number_index"])
        await audit.record(
            actor=audit.actor_of(user),
            action="user.identity_set",
            entity_type="user",
            entity_id=user.public_id,
            after={"identity": "set"},
        )
    return {"real_name": mask_name(name), "id_number": mask_id_number(number)}


def masked_identity(settings: Settings, user: User) -> dict[str, str | None]:
    name = decrypt(settings.data_key, bytes(user.real_name_enc), "real_name") if user.real_name_enc else None
    number = decrypt(settings.data_key, bytes(user.id_number_enc), "id_number") if user.id_number_enc else None
    return {
        "real_name": mask_name(name) if name else None,
        "id_number": mask_id_number(number) if number else None,
    }


async def export_user_data(settings: Settings, user: User) -> dict[str, Any]:
    """Everything we hold about the user, decrypted for them, as one JSON document."""
    key = settings.data_key
    sessions = await AuthSession.filter(user_id=user.id).order_by("id")
    events = await AuditEvent.filter(entity_type="user", entity_id=user.public_id).order_by("id")
    document: dict[str, Any] = {
        "format": "microsink.personal-data-export/1",
        "exported_at": datetime.now(UTC).isoformat(),
        "account": {
            "public_id": user.public_id,
            "display_name": user.display_name,
            "phone": reveal_phone(settings, user),
            "real_name": decrypt(key, bytes(user.real_name_enc), "real_name") if user.real_name_enc else None,
            "id_number": decrypt(key, bytes(user.id_number_enc), "id_number") if user.id_number_enc else None,
            "wechat_linked": user.wechat_openid is not None,
            "language": user.language,
            "district_code": user.district_code,
            "created_at": user.created_at.isoformat(),
        },
        "roles": await roles_of(user),
        "sessions": [
            {
                "kind": s.kind,
                "sign_in_method": s.sign_in_method,
                "created_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat(),
                "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
                "revoked_reason": s.revoked_reason,
            }
            for s in sessions
        ],
        "account_history": [
            {"action": e.action, "at": e.occurred_at.isoformat(), "actor": e.actor, "after": e.after} for e in events
        ],
    }
    for section, exporter in sorted(_EXPORTERS.items()):
        document[section] = await exporter(user)
    for section, keyed in sorted(_KEYED_EXPORTERS.items()):
        document[section] = await keyed(settings, user)
    return document


async def delete_account(user: User, *, confirmed: bool) -> None:
    """Anonymise the account, sign out everywhere, drop its roles; records that others rely on stay."""
    if not confirmed:
        raise AppError("privacy.confirm_required")
    async with in_transaction():
        before = {"phone_linked": user.phone_index is not None, "wechat_linked": user.wechat_openid is not None}
        for eraser in _ERASERS.values():
            await eraser(user)
        await revoke_all_sessions(user, reason="account_deleted")
        await Membership.filter(user_id=user.id).delete()
        await User.filter(id=user.id).update(
            display_name="",
            district_code=None,
            phone_enc=None,
            phone_index=None,
            phone_prefix3=None,
            phone_last4=None,
            real_name_enc=None,
            id_number_enc=None,
            id_number_index=None,
            wechat_openid=None,
            wechat_unionid=None,
            wechat_session_key_enc=None,
            is_active=False,
            deleted_at=datetime.now(UTC),
        )
        await audit.record(
            actor=audit.actor_of(user),
            action="user.deleted",
            entity_type="user",
            entity_id=user.public_id,
            before=before,
            after={"anonymised": True},
        )


register_messages(
    {
        "privacy.bad_id_number": {
            "zh": "身份证号码无效：须为 18 位，出生日期真实，且校验码正确",
            "en": "Invalid resident ID number: 18 characters, a real birth date and a correct check digit",
        },
        "privacy.bad_real_name": {
            "zh": "姓名须为 1–32 个可见字符",
            "en": "Real name must be 1–32 printable characters",
        },
        "privacy.id_number_taken": {
            "zh": "该身份证号码已绑定其他账号；如有疑问请联系客服",
            "en": "This ID number is bound to another account; contact support if this is wrong",
        },
        "privacy.confirm_required": {
            "zh": "注销账号不可恢复：请先确认（勾选确认框，或在接口中设置 confirm 为 true）再提交",
            "en": "Deleting the account cannot be undone: confirm first (tick the box, or set confirm to true in the API)",
        },
    }
)
