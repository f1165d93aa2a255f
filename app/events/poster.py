"""An event's attendee QR poster: 1080×1440 PNG, drawn like the scenic-spot poster (app/tourism/poster.py)
with the certificate poster's fonts, palette, QR drawing and wrapping; the QR holds the attendee page."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from app.certificates import poster as posters
from app.certificates import service as certificates
from app.core.i18n import t
from app.events import service
from models.events import Event

W, H, M = posters.WIDTH, posters.HEIGHT, posters.MARGIN


@dataclass(frozen=True)
class EventPosterText:
    brand: str
    headline: str
    name: str
    venue: str
    line: str
    scan: str
    url: str
    code: str


def attendee_url(base_url: str, event: Event) -> str:
    return f"{base_url.rstrip('/')}/events/{event.code}/attend"


def text_of(event: Event, lang: str, base_url: str) -> EventPosterText:
    return EventPosterText(
        brand=t("events.poster.brand", lang),
        headline=t("events.poster.headline", lang),
        name=service.name_of(event, lang),
        venue=f"{event.venue_zh} · {event.starts_on.isoformat()}",
        line=t("events.poster.line", lang),
        scan=t("events.poster.scan", lang),
        url=attendee_url(base_url, event),
        code=event.code,
    )


def draw(text: EventPosterText, fonts: posters.Fonts) -> Image.Image:
    """Header band with the headline, the event's name and venue, one line on counting, a large QR and its URL."""
    return posters.place_poster(
        fonts, certificates.qr_matrix(text.url), brand=text.brand, headline=text.headline, name=text.name,
        place=text.venue, line=text.line, line_size=40, scan=text.scan, url=text.url, code=text.code,
    )  # fmt: skip


async def poster(event: Event, lang: str, base_url: str) -> bytes:
    text = text_of(event, lang, base_url)
    return await posters.rendered(lambda fonts: draw(text, fonts))
