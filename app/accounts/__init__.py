"""Accounts: people, organisations, roles, sign-in and personal data."""
