"""Cross-cutting plumbing shared by every domain: database, errors, i18n, idempotency, audit, auth."""
