"""Reading campaign files: TOML → CampaignIn, and every problem named by file, line and field.

tomllib keeps no positions, so `locate` finds the line of a field path (e.g. sites[1].slots[0].capacity)
by walking the file's table headers ([goals], [[sites]], [[sites.slots]]) and `key =` lines, counting
array-of-tables entries as TOML does. A key written inside an inline table or a multi-line value is
reported at the line of its nearest enclosing key or table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from app.campaigns.schemas import CampaignIn
from app.core.i18n import t

_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_KEY_LINE = re.compile(r'^\s*("?)([A-Za-z0-9_.-]+)\1\s*=')


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a campaign: the field path, a message key and its parameters."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


@dataclass(frozen=True)
class FileProblem:
    file: str
    line: int
    problem: Problem

    def describe(self) -> str:
        """file:line: field: 中文 / English — as the sync command prints it."""
        p = self.problem
        where = f"{self.file}:{self.line}"
        return f"{where}: {p.field or '(file)'}: {p.message('zh')} / {p.message('en')}"


def path_parts(field_path: str) -> list[str | int]:
    """ "sites[1].slots[0].capacity" → ["sites", 1, "slots", 0, "capacity"]."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall("." + field_path if field_path and field_path[0] != "." else field_path):
        parts.append(int(index) if index else name)
    return parts


def _concrete(names: list[str], counts: dict[tuple[Any, ...], int]) -> list[Any]:
    path: list[Any] = []
    for name in names:
        path.append(name)
        key = tuple(path)
        if key in counts:
            path.append(counts[key])
    return path


def locate(text: str, field_path: str) -> int:
    """The 1-based line of `field_path` in the TOML `text` (or of its nearest enclosing key; 1 if none)."""
    target = tuple(path_parts(field_path))
    current: tuple[Any, ...] = ()
    counts: dict[tuple[Any, ...], int] = {}
    best = 1
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[["):
            names = [n.strip().strip('"') for n in stripped[2 : stripped.find("]]")].split(".")]
            array = (*_concrete(names[:-1], counts), names[-1])
            counts[array] = counts.get(array, -1) + 1
            current = (*array, counts[array])
            located = current
        elif stripped.startswith("["):
            names = [n.strip().strip('"') for n in stripped[1 : stripped.find("]")].split(".")]
            current = tuple(_concrete(names, counts))
            located = current
        elif match := _KEY_LINE.match(line):
            located = (*current, *match.group(2).split("."))
        else:
            continue
        if located == target:
            return number
        if located and target[: len(located)] == located:
            best = number
    return best


def read(path: Path) -> tuple[CampaignIn | None, bytes, list[FileProblem]]:
    """Parse and convert one file; structural problems come back located, never raised."""
    raw = path.read_bytes()
    name = f"campaigns/{path.name}" if path.parent.name == "campaigns" else str(path)
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        return None, raw, [FileProblem(name, 1, Problem("", "campaigns.file.unreadable", {"reason": str(exc)}))]
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        return None, raw, [FileProblem(name, line, Problem("", "campaigns.file.unreadable", {"reason": str(exc)}))]
    try:
        campaign = msgspec.convert(data, CampaignIn)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field_path = message.rsplit(" - at `$", 1)[1].rstrip("`") if " - at `$" in message else ""
        reason = message.split(" - at `$", 1)[0]
        if reason.startswith("Object contains unknown field"):
            unknown = re.search(r"`([^`]+)`", reason)
            field_path = f"{field_path}.{unknown.group(1)}" if unknown else field_path
        field_path = field_path.lstrip(".")
        problem = Problem(field_path, "campaigns.file.shape", {"reason": reason})
        return None, raw, [FileProblem(name, locate(text, field_path), problem)]
    problems = []
    if path.stem != campaign.slug:
        problems.append(
            FileProblem(
                name, locate(text, "slug"), Problem("slug", "campaigns.file.slug_mismatch", {"slug": campaign.slug})
            )
        )
    return campaign, raw, problems


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def with_lines(name: str, text: str, problems: list[Problem]) -> list[FileProblem]:
    return [FileProblem(name, locate(text, p.field), p) for p in problems]
