"""Chinese first, English available: every text a page or error can show exists in both languages."""

import re
from pathlib import Path

from app.core import i18n
from app.main import create_app  # noqa: F401  (importing the app registers every domain's messages)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_][\w.]*)["']""")


def test_every_key_a_template_names_is_in_the_catalogue() -> None:
    missing = {
        f"{path.relative_to(TEMPLATES)}: {key}"
        for path in TEMPLATES.rglob("*.html")
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
        if not key.endswith(".") and not i18n.has_message(key)  # "me.role." ~ role: checked below
    }
    assert not missing, sorted(missing)


def test_keys_built_from_a_prefix_exist_for_every_value() -> None:
    from app.core.auth import Role

    assert all(i18n.has_message(f"me.role.{role.value}") for role in Role)
    assert all(i18n.has_message(f"notifications.role.{role.value}") for role in Role if role is not Role.CITIZEN)
    assert all(i18n.has_message(f"home.{section}") for section in ("campaigns", "registry", "verify"))


def test_every_message_has_english_too() -> None:
    without_english = [key for key, texts in i18n._CATALOGUE.items() if not texts.get("en")]
    assert not without_english, without_english


def test_accept_language_negotiation() -> None:
    assert i18n.parse_accept_language("en-US,en;q=0.9") == "en"
    assert i18n.parse_accept_language("fr, zh-TW;q=0.8, en;q=0.5") == "zh"
    assert i18n.parse_accept_language("fr") is None
    assert i18n.parse_accept_language("en;q=0") is None
    assert i18n.parse_accept_language("zh;q=abc, en;q=0.1") == "en"
