"""Ledger: double-entry accounts, transfers and holds for points (and money in fen)."""
