"""What every page gets: language, translations, the signed-in user, the CSRF field and formatting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal
from litestar import Request, Response
from litestar.response import Template

from app.core.i18n import BEIJING, request_language, t

# Parsed once: a locale given as a string is parsed and looked up on disk at every call, which was 12 % of
# a campaign page's CPU (py-spy, 2026-12-06).
_BABEL_LOCALE = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}


def fmt_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=BEIJING, locale=_BABEL_LOCALE[lang])


def fmt_kg(kg: int, lang: str) -> str:
    """Whole kg below a tonne, tonnes with two decimals above: 1 234 kg → 1.23 吨."""
    locale = _BABEL_LOCALE[lang]
    if abs(kg) >= 1000:
        return f"{format_decimal(kg / 1000, format='#,##0.00', locale=locale)} {'吨' if lang == 'zh' else 't'}"
    return f"{format_decimal(kg, locale=locale)} {'千克' if lang == 'zh' else 'kg'}"


def fmt_fen(fen: int, lang: str) -> str:
    yuan = format_decimal(fen / 100, format="#,##0.00", locale=_BABEL_LOCALE[lang])
    return f"¥{yuan}" if lang == "en" else f"{yuan} 元"


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    lang = request_language(request)

    def tr(key: str, **params: object) -> str:
        return t(key, lang, **params)

    other = "en" if lang == "zh" else "zh"
    return Template(
        template,
        context={
            "lang": lang,
            "html_lang": "zh-CN" if lang == "zh" else "en",
            "other_lang": other,
            "switch_url": f"{request.url.path}?lang={other}",
            "t": tr,
            "principal": request.scope.get("principal"),  # set by app.core.auth.AuthMiddleware
            "fmt_datetime": lambda v: fmt_datetime(v, lang),
            "fmt_kg": lambda v: fmt_kg(v, lang),
            "fmt_fen": lambda v: fmt_fen(v, lang),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def poster_response(body: bytes, fmt: str = "png", filename: str = "") -> Response[bytes]:
    """A public QR poster (PNG, or PDF shown inline as `filename`): cached briefly, per language and cookie
    (the cookie may carry the language)."""
    headers = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Language, Cookie"}
    if fmt == "pdf":
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, media_type="application/pdf" if fmt == "pdf" else "image/png", headers=headers)
