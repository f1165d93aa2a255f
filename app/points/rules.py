"""Earning rules from `earning_rules.toml`: points per unit of an action, caps, campaign overrides."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("earning_rules.toml")


class RulesError(ValueError):
    """The rules file is malformed; the message names the action and the field."""


@dataclass(frozen=True)
class Rule:
    action: str
    label: dict[str, str]
    points_per_unit: int
    daily_cap: int
    yearly_cap: int
    self_service: bool = False


@dataclass(frozen=True)
class Rules:
    version: str
    actions: dict[str, Rule]
    campaigns: dict[str, dict[str, Rule]]

    def rule(self, action: str, campaign: str | None = None) -> Rule | None:
        if campaign and action in self.campaigns.get(campaign, {}):
            return self.campaigns[campaign][action]
        return self.actions.get(action)


def _positive_int(value: Any, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RulesError(f"{where}: {name} must be a positive whole number, not {value!r}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RulesError(f"{where}: self_service must be true or false, not {value!r}")
    return value


def _rule(action: str, raw: dict[str, Any], base: Rule | None, where: str) -> Rule:
    known = {"label", "points_per_unit", "daily_cap", "yearly_cap", "self_service"}
    if unknown := set(raw) - known:
        raise RulesError(f"{where}: unknown field(s) {sorted(unknown)}")

    def pick(name: str) -> Any:
        if name in raw:
            return raw[name]
        if base is None:
            raise RulesError(f"{where}: {name} is missing")
        return getattr(base, name)

    label = pick("label")
    if not isinstance(label, dict) or not label.get("zh") or not label.get("en"):
        raise RulesError(f"{where}: label needs zh and en")
    rule = Rule(
        action=action,
        label=dict(label),
        points_per_unit=_positive_int(pick("points_per_unit"), where, "points_per_unit"),
        daily_cap=_positive_int(pick("daily_cap"), where, "daily_cap"),
        yearly_cap=_positive_int(pick("yearly_cap"), where, "yearly_cap"),
        self_service=_flag(pick("self_service"), where) if ("self_service" in raw or base) else False,
    )
    if rule.daily_cap > rule.yearly_cap:
        raise RulesError(f"{where}: daily_cap {rule.daily_cap} exceeds yearly_cap {rule.yearly_cap}")
    return rule


def parse(text: str) -> Rules:
    data = tomllib.loads(text)
    if not isinstance(data.get("version"), str):
        raise RulesError("version is missing")
    actions = {name: _rule(name, raw, None, f"actions.{name}") for name, raw in data.get("actions", {}).items()}
    campaigns: dict[str, dict[str, Rule]] = {}
    for slug, body in data.get("campaigns", {}).items():
        overrides = {}
        for name, raw in body.get("actions", {}).items():
            if name not in actions:
                raise RulesError(f"campaigns.{slug}.actions.{name}: no such action")
            overrides[name] = _rule(name, raw, actions[name], f"campaigns.{slug}.actions.{name}")
        campaigns[slug] = overrides
    return Rules(version=data["version"], actions=actions, campaigns=campaigns)


def load(path: Path = RULES_FILE) -> Rules:
    return parse(path.read_text(encoding="utf-8"))
