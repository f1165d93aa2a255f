"""`portable-issuer-entry`: print the block another platform adds to its trusted issuers file for us."""

from __future__ import annotations

import argparse

from app.core.commands import command
from app.portable import issuers, service
from app.settings import Settings


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", default="microsink", help="our short name in their file (lowercase, digits, '-')")
    parser.add_argument("--name-zh", default="微碳汇", help="our name in Chinese")
    parser.add_argument("--name-en", default="MicroSink", help="our name in English")
    parser.add_argument("--rate", default="1/1", help='the points rate they apply to ours, "n/d" or "0"')


@command("portable-issuer-entry", "print our trusted-issuer block (URL, key) for another platform's file", _arguments)
async def portable_issuer_entry(args: argparse.Namespace, settings: Settings) -> int:
    entry = issuers.toml_entry(
        args.id, settings.base_url, args.name_zh, args.name_en, service.public_key_raw(settings), args.rate
    )
    try:
        issuers.parse(entry)  # what we print must load on the other side
    except issuers.IssuersError as exc:
        print(f"cannot print a valid entry: {exc}")
        return 2
    print(entry, end="")
    return 0
