"""Who is on the other end of the connection, as far as we can trust it."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from app.settings import Settings


def client_ip(connection: ASGIConnection, settings: Settings) -> str:
    """The caller's address; X-Forwarded-For is believed only when the peer is a trusted proxy.

    Rate limits, anonymous idempotency keys and SMS limits all key on this, so behind a proxy they
    count each visitor rather than the proxy.
    """
    peer = connection.client.host if connection.client else "unknown"
    if peer in settings.trusted_proxies:
        hops = [h.strip() for h in connection.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in settings.trusted_proxies:
                return hop
    return peer
