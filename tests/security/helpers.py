"""Shared pieces of the security tests: hostile strings, a page session cookie, what a leak looks like."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from markupsafe import escape

from app.core.auth import SESSION_COOKIE, hash_secret
from models.accounts import AuthSession, User

# Each at most 20 characters with fewer than 7 digits, so that even the strictest text field (a nickname,
# which may not look like a phone number) takes every one of them. 7**6 = 117649: a page that evaluated a
# payload as a template would show that number.
HOSTILE_TEXTS = [
    "{{7*7*7*7*7*7}}",  # a Jinja expression
    "{%set x=7%}{{x*x}}",  # a Jinja statement
    "<script>x</script>",  # a script element
    '"><img src=x>',  # breaking out of an attribute
]
EVALUATED = "117649"


async def page_session(user: User) -> dict[str, str]:
    secret = secrets.token_urlsafe(16)
    await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="cookie",
        secret_hash=hash_secret(secret),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return {"Cookie": f"{SESSION_COOKIE}={secret}"}


def assert_shown_as_text(html: str, text: str, where: str) -> None:
    """The page shows `text` literally (HTML-escaped) and neither evaluated nor as markup."""
    shown = str(escape(text))
    assert shown in html, f"{where}: the stored text {text!r} is not on the page (escaped as {shown!r})"
    if shown != text:
        assert text not in html, f"{where}: {text!r} reached the page unescaped"
    assert EVALUATED not in html, f"{where}: {text!r} was evaluated as a template"
