"""Points (碳积分) and the personal carbon account (碳账户), on the ledger."""
