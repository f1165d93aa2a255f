"""`ledger-verify` exits 0 on a sound ledger and 1, naming the account, on a broken one."""

from uuid import uuid4

from app.ledger import service as ledger
from models.ledger import LedgerAccount
from tests.accounts.test_cli import cli


async def test_verify_is_clean_then_names_a_tampered_account(db, settings) -> None:
    issuance = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
    wallet = await ledger.open_account("points", "user_wallet", "user:someone")
    await ledger.transfer(uuid4(), issuance, wallet, 40, "planting.approved")
    ok = cli(settings, "ledger-verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ledger OK: 2 accounts, 1 transfers" in ok.stdout
    await LedgerAccount.filter(id=wallet.id).update(balance=41)
    broken = cli(settings, "ledger-verify")
    assert broken.returncode == 1
    assert f"account {wallet.id} (points/user_wallet/user:someone): stored balance 41" in broken.stdout
