"""Commands to set up the first admin, organisations and roles, and to load demo data."""

from __future__ import annotations

import argparse

from tortoise.transactions import in_transaction

from app.accounts import service
from app.core import audit
from app.core.auth import GRANTABLE_ROLES
from app.core.commands import command
from app.core.commands import with_orm as _with_orm
from app.core.errors import AppError
from app.core.i18n import t
from app.settings import Settings
from models.accounts import Organisation


def _phone_or_user(p: argparse.ArgumentParser) -> None:
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--phone", help="the person's mobile number (they sign in with it)")
    who.add_argument("--user", help="the user's public id")


async def _resolve_user(settings: Settings, args: argparse.Namespace) -> object:
    if args.phone:
        user, _ = await service.find_or_create_by_phone(settings, args.phone, actor=f"cli:{args.command}")
        return user
    return await service.user_by_public_id(args.user)


def _fail(exc: AppError) -> int:
    print(f"error: {t(exc.key, 'zh', **exc.params)} / {t(exc.key, 'en', **exc.params)}")
    return 2


@command("create-admin", "create (or promote) a platform admin by phone number", _phone_or_user)
async def create_admin(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        try:
            user = await _resolve_user(settings, args)
            await service.grant_role(user, "platform_admin", None, actor="cli:create-admin")  # type: ignore[arg-type]
        except AppError as exc:
            return _fail(exc)
        print(f"platform admin: user {user.public_id}")  # type: ignore[attr-defined]
        return 0

    return await _with_orm(settings, run)


def _org_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", required=True, choices=service.ORGANISATION_KINDS)
    p.add_argument("--name", required=True)
    p.add_argument("--county", help="GB/T 2260 county code, e.g. 510112")


@command("create-org", "create an organisation (foundation, collective, court …)", _org_args)
async def create_org(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        try:
            org = await service.create_organisation(args.kind, args.name, args.county, actor="cli:create-org")
        except AppError as exc:
            return _fail(exc)
        print(f"organisation {org.public_id}: {org.name} ({org.kind})")
        return 0

    return await _with_orm(settings, run)


def _grant_args(p: argparse.ArgumentParser) -> None:
    _phone_or_user(p)
    p.add_argument("--role", required=True, choices=[r.value for r in GRANTABLE_ROLES])
    p.add_argument("--org", help="the organisation's public id (all roles but platform_admin)")


@command("grant-role", "give a user a role in an organisation", _grant_args)
async def grant_role(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        try:
            org = await service.organisation_by_public_id(args.org) if args.org else None
            service.check_grant(args.role, org)  # before a phone number creates anyone
            user = await _resolve_user(settings, args)
            await service.grant_role(user, args.role, org, actor="cli:grant-role")  # type: ignore[arg-type]
        except AppError as exc:
            return _fail(exc)
        print(f"granted {args.role} to {user.public_id}" + (f" in {org.name}" if org else ""))  # type: ignore[attr-defined]
        return 0

    return await _with_orm(settings, run)


# Demo organisations: public ids start with "demo-" and names carry 【演示】 so nobody mistakes them.
DEMO_ORGANISATIONS = [
    ("demo-foundation", "foundation", "【演示】四川省绿化基金会（示例）", "510000"),
    ("demo-collective", "collective", "【演示】崇州市某村集体林场（示例）", "510184"),
    ("demo-court", "court", "【演示】某县人民法院环境资源审判庭（示例）", "510115"),
    ("demo-scenic", "scenic_operator", "【演示】九寨沟某景区运营方（示例）", "513225"),
    ("demo-verifier", "verifier_body", "【演示】林草碳汇核证机构（示例）", "510000"),
]


@command("demo-load", "load clearly marked demo organisations (idempotent)")
async def demo_load(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        created = 0
        for public_id, kind, name, county in DEMO_ORGANISATIONS:
            async with in_transaction():
                _, was_created = await Organisation.get_or_create(
                    public_id=public_id, defaults={"kind": kind, "name": name, "county_code": county}
                )
                if was_created:
                    await audit.record(
                        actor="cli:demo-load",
                        action="organisation.created",
                        entity_type="organisation",
                        entity_id=public_id,
                        after={"kind": kind, "name": name, "county_code": county, "demo": True},
                    )
            created += int(was_created)
        print(f"demo data: {created} organisations created, {len(DEMO_ORGANISATIONS) - created} already there")
        return 0

    if not settings.load_demo_data:
        print("demo data: skipped (LOAD_DEMO_DATA is off)")
        return 0
    return await _with_orm(settings, run)
