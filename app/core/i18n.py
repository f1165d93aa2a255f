"""Chinese first, English available: language negotiation and the message catalogue.

Each domain registers its user-facing messages with `register_messages`; an error or a page asks for
`t(key, lang, **params)`. A missing English text falls back to Chinese, never to the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from litestar.connection import ASGIConnection

LANGS = ("zh", "en")
BEIJING = ZoneInfo("Asia/Shanghai")  # the time zone of every date people see, and of daily/yearly caps
DEFAULT_LANG = "zh"

_CATALOGUE: dict[str, dict[str, str]] = {}


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add `{key: {"zh": ..., "en": ...}}`; a key registered twice with other text is a programming error."""
    for key, texts in messages.items():
        if "zh" not in texts:
            raise ValueError(f"message {key} has no Chinese text")
        if key in _CATALOGUE and _CATALOGUE[key] != dict(texts):
            raise ValueError(f"message {key} registered twice with different text")
        _CATALOGUE[key] = dict(texts)


def t(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    texts = _CATALOGUE.get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts["zh"]
    return text.format(**params) if params else text


def has_message(key: str) -> bool:
    return key in _CATALOGUE


def parse_accept_language(header: str | None) -> str | None:
    """The best of our languages for an Accept-Language header, by q-value; None if none fits."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > 0:
            candidate = (q, -position, primary)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best else None


def request_language(connection: ASGIConnection) -> str:
    """?lang= beats the `lang` cookie, which beats Accept-Language; Chinese otherwise."""
    explicit = connection.query_params.get("lang") or connection.cookies.get("lang")
    if explicit in LANGS:
        return str(explicit)
    return parse_accept_language(connection.headers.get("accept-language")) or DEFAULT_LANG


register_messages(
    {
        "error.validation": {"zh": "请求参数有误：{fields}", "en": "Invalid request: {fields}"},
        "error.field_invalid": {"zh": "字段 {field} 的值无效", "en": "field {field} is invalid"},
        "error.bad_request": {"zh": "请求有误", "en": "Bad request"},
        "error.unauthorized": {"zh": "请先登录", "en": "Please sign in first"},
        "error.forbidden": {"zh": "您没有权限执行此操作", "en": "You are not allowed to do this"},
        "error.not_found": {"zh": "找不到您请求的内容", "en": "Not found"},
        "error.method_not_allowed": {"zh": "不支持此请求方法", "en": "Method not allowed"},
        "error.too_large": {"zh": "请求内容过大", "en": "Request body too large"},
        "error.rate_limited": {"zh": "请求过于频繁，请稍后再试", "en": "Too many requests, please try again later"},
        "error.conflict": {
            "zh": "数据冲突：该记录已存在或已被修改",
            "en": "Conflict: the record exists or has changed",
        },
        "error.internal": {
            "zh": "服务器内部错误，请稍后再试（请求编号 {request_id}）",
            "en": "Internal error, please try again later (request id {request_id})",
        },
        "error.unavailable": {"zh": "服务暂时不可用，请稍后再试", "en": "Service temporarily unavailable"},
        "error.bad_encoding": {
            "zh": "请求内容不是有效的 UTF-8 文本，请检查编码后重试",
            "en": "The request body is not valid UTF-8 text; check its encoding",
        },
        "error.bad_text": {
            "zh": "请求中含有无法保存的字符（例如空字符 \\0），请删除后重试",
            "en": "The request holds a character that cannot be stored (such as a NUL byte); remove it and retry",
        },
        "error.too_deep": {"zh": "请求的 JSON 嵌套层数过多", "en": "The request JSON is nested too deeply"},
        "error.bad_json": {
            "zh": "请求体不是有效的 JSON，请检查格式（引号、逗号、括号）",
            "en": "The request body is not valid JSON; check quotes, commas and brackets",
        },
        "error.back_home": {"zh": "返回首页", "en": "Back to the home page"},
        "error.csrf": {"zh": "页面已过期，请刷新后重试", "en": "The page has expired, please reload and try again"},
    }
)
