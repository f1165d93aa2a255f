"""Public serial lookup: any serial → its block, issuance, project, parcels, methodology and retirement.

Two spellings are accepted, and neither is parsed for meaning:
- a block's display string, exactly as printed (`AFF-510112-000042-2026-0000000001-0000000500`),
  found by equality on the stored string (a superseded block is shown with its children);
- `{issuance public id}:{serial number}`, one unit: the live block of that issuance holding it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from tortoise import Tortoise

from app.core.errors import NotFound
from models.credits import Issuance, MonitoringReport, ReportEstimate, SerialBlock

MAX_SERIAL_LENGTH = 96

# One round trip, written out: the public lookup is the hottest read of the registry, and building
# the same query through the ORM on every request cost more than running it (bench/serial_lookup.py).
_SELECT = """
SELECT b.id, b.serial_start, b.serial_end, b.quantity, b.display, b.status, b.holder,
       i.public_id AS i_public_id, i.vintage, i.period_start, i.period_end, i.class_code,
       i.methodology_id, i.methodology_version, i.parameter_sha256, i.parcel_public_ids,
       i.quantity AS i_quantity, i.owner_kg, i.buffer_kg, i.serial_start AS i_serial_start,
       i.serial_end AS i_serial_end, i.owner_holder, i.issued_at, i.id AS i_id,
       i.monitoring_report_id AS i_report_id,
       p.public_id AS p_public_id, p.name AS p_name, p.county_code AS p_county_code,
       r.beneficiary, r.beneficiary_shown, r.purpose, r.purpose_reference, r.retired_at,
       e.public_id AS e_public_id, e.cause AS e_cause, e.occurred_on AS e_occurred_on
FROM credits_serial_block b
JOIN credits_issuance i ON i.id = b.issuance_id
JOIN registry_project p ON p.id = i.project_id
LEFT JOIN credits_retirement r ON r.block_id = b.id
LEFT JOIN credits_loss_event e ON e.id = r.reversal_id
"""
_BY_DISPLAY = _SELECT + "WHERE b.display = {0}"
_BY_UNIT = (
    _SELECT + "WHERE i.public_id = {0} AND b.serial_start <= {1} AND b.serial_end >= {1} AND b.status <> 'superseded'"
)


@dataclass(frozen=True)
class ProjectRow:
    public_id: str
    name: str
    county_code: str


@dataclass(frozen=True)
class IssuanceRow:
    """An issuance as the lookup reads it (the attributes an Issuance has)."""

    public_id: str
    project: ProjectRow
    vintage: int
    period_start: date
    period_end: date
    class_code: str
    methodology_id: str
    methodology_version: str
    parameter_sha256: str
    parcel_public_ids: list[str]
    quantity: int
    owner_kg: int
    buffer_kg: int
    serial_start: int
    serial_end: int
    owner_holder: str
    issued_at: datetime


@dataclass(frozen=True)
class BlockRow:
    id: int
    serial_start: int
    serial_end: int
    quantity: int
    display: str
    status: str
    holder: str


@dataclass(frozen=True)
class RetirementRow:
    beneficiary: str
    beneficiary_shown: str
    purpose: str
    purpose_reference: str
    retired_at: datetime


@dataclass(frozen=True)
class ReversalRow:
    public_id: str
    cause: str
    occurred_on: date


@dataclass(frozen=True)
class Chain:
    """An issuance's origin: its monitoring report and the parcel estimates its kg were computed from."""

    report: MonitoringReport
    estimates: list[ReportEstimate]


@dataclass(frozen=True)
class SerialView:
    asked: str
    unit: int | None  # the one serial asked for in the issuance:number spelling
    block: BlockRow
    issuance: IssuanceRow
    retirement: RetirementRow | None
    reversal: ReversalRow | None
    children: list[Any]
    chain: Chain | None = None


def shown_beneficiary(retirement: Any) -> str | None:
    """The beneficiary as the buyer chose to show it: in full, masked (张*), or not at all."""
    if retirement.beneficiary_shown == "full":
        return str(retirement.beneficiary)
    if retirement.beneficiary_shown == "masked":
        name = str(retirement.beneficiary)
        return name[0] + "*" * min(max(len(name) - 1, 1), 6)
    return None


def _date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


async def _row(asked: str) -> tuple[dict[str, Any] | None, int | None]:
    conn = Tortoise.get_connection("default")
    mark = "${0}" if conn.capabilities.dialect == "postgres" else "?"
    issuance_id, sep, number = asked.rpartition(":")
    if sep:
        if not (issuance_id and number.isdigit() and len(number) <= 18):
            return None, None
        unit = int(number)
        if mark == "?":
            rows = await conn.execute_query_dict(_BY_UNIT.format("?", "?"), [issuance_id, unit, unit])
        else:
            rows = await conn.execute_query_dict(_BY_UNIT.format("$1", "$2"), [issuance_id, unit])
        return (rows[0] if rows else None), unit
    rows = await conn.execute_query_dict(_BY_DISPLAY.format(mark.format(1)), [asked])
    return (rows[0] if rows else None), None


def _block_of(row: dict[str, Any]) -> BlockRow:
    return BlockRow(
        row["id"], row["serial_start"], row["serial_end"], row["quantity"], row["display"], row["status"], row["holder"]
    )


def _issuance_of(row: dict[str, Any]) -> IssuanceRow:
    return IssuanceRow(
        public_id=row["i_public_id"],
        project=ProjectRow(row["p_public_id"], row["p_name"], row["p_county_code"]),
        vintage=row["vintage"],
        period_start=_date(row["period_start"]),
        period_end=_date(row["period_end"]),
        class_code=row["class_code"],
        methodology_id=row["methodology_id"],
        methodology_version=row["methodology_version"],
        parameter_sha256=row["parameter_sha256"],
        parcel_public_ids=_json(row["parcel_public_ids"]),
        quantity=row["i_quantity"],
        owner_kg=row["owner_kg"],
        buffer_kg=row["buffer_kg"],
        serial_start=row["i_serial_start"],
        serial_end=row["i_serial_end"],
        owner_holder=row["owner_holder"],
        issued_at=_moment(row["issued_at"]),
    )


def _retirement_of(row: dict[str, Any]) -> RetirementRow | None:
    if row["beneficiary_shown"] is None:
        return None
    return RetirementRow(
        row["beneficiary"],
        row["beneficiary_shown"],
        row["purpose"],
        row["purpose_reference"],
        _moment(row["retired_at"]),
    )


def _reversal_of(row: dict[str, Any]) -> ReversalRow | None:
    if row["e_public_id"] is None:
        return None
    return ReversalRow(row["e_public_id"], row["e_cause"], _date(row["e_occurred_on"]))


async def lookup(serial: str) -> SerialView:
    asked = serial.strip()
    row, unit = await _row(asked) if 0 < len(asked) <= MAX_SERIAL_LENGTH else (None, None)
    if row is None:
        raise NotFound("credits.serial_not_found")
    block = _block_of(row)
    issuance = _issuance_of(row)
    retirement, reversal = _retirement_of(row), _reversal_of(row)
    children: list[Any] = []
    if block.status == "superseded":
        children = await SerialBlock.filter(parent_id=block.id).order_by("serial_start")
    chain = (await issued_chains({issuance.public_id: row["i_report_id"]})).get(issuance.public_id)
    return SerialView(asked, unit, block, issuance, retirement, reversal, children, chain)


async def chain_of(issuance_id: int) -> Chain | None:
    """issuance → report → the parcel estimates used (each with methodology id, version, parameter hash)."""
    report_ids = await Issuance.filter(id=issuance_id).values_list("monitoring_report_id", flat=True)
    return await chain_of_report(cast(int, report_ids[0]) if report_ids else None)


async def chain_of_report(report_id: int | None) -> Chain | None:
    """`chain_of` for a caller that already read the issuance's monitoring report id."""
    report = await MonitoringReport.get_or_none(id=report_id) if report_id is not None else None
    if report is None:
        return None
    used = await ReportEstimate.filter(report_id=report.id).order_by("parcel_public_id")
    return Chain(report, used)


async def issuance_view(public_id: str) -> tuple[Issuance, Any, list[SerialBlock]]:
    """An issuance with its supply row and its live blocks, in serial order."""
    issuance = await Issuance.get_or_none(public_id=public_id).select_related("project", "supply")
    if issuance is None:
        raise NotFound("credits.issuance_not_found")
    blocks = (
        await SerialBlock.filter(issuance_id=issuance.id)
        .exclude(status="superseded")
        .order_by("serial_start")
        .limit(500)
    )
    return issuance, issuance.supply, blocks  # type: ignore[attr-defined]


_BY_CERTIFICATE = _SELECT + "WHERE r.certificate_code = {0} ORDER BY i.id, b.serial_start"


@dataclass(frozen=True)
class RetiredBlock:
    """One block of a retirement, with its issuance and any reversal: a certificate is a list of these."""

    block: BlockRow
    issuance: IssuanceRow
    retirement: RetirementRow
    reversal: ReversalRow | None


async def retired_blocks(certificate_code: str) -> list[RetiredBlock]:
    """Every block retired under one certificate code (exact, as stored), in one round trip; [] if none."""
    conn = Tortoise.get_connection("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(_BY_CERTIFICATE.format(mark), [certificate_code])
    found = []
    for row in rows:
        retirement = _retirement_of(row)
        assert retirement is not None  # the query selects retired blocks only
        found.append(RetiredBlock(_block_of(row), _issuance_of(row), retirement, _reversal_of(row)))
    return found


async def chains_of(issuance_public_ids: list[str]) -> dict[str, Chain]:
    """issuance public id → its report and the parcel estimates used, for several issuances at once (the
    kept ones without asking the database at all: the certificate page calls this on every view)."""
    found: dict[str, Chain] = {}
    for issuance_id in issuance_public_ids:
        if (chain := _CHAINS.get(issuance_id)) is not None:
            _CHAINS.move_to_end(issuance_id)
            found[issuance_id] = chain
    missing = [i for i in issuance_public_ids if i not in found]
    if missing:
        pairs = await Issuance.filter(public_id__in=missing).values_list("public_id", "monitoring_report_id")
        found.update(await issued_chains({str(p): int(r) for p, r in pairs}))  # type: ignore[misc]
    return found


# An issuance's chain never changes: the report was approved and its estimates copied (numbers and
# hashes) in the issuance's own transaction. So each worker keeps recent chains in memory, keyed by the
# issuance's random public id; the public lookup then costs one round trip, not three.
_CHAINS: OrderedDict[str, Chain] = OrderedDict()
_CHAINS_MAX = 4096


async def issued_chains(report_of_issuance: dict[str, int]) -> dict[str, Chain]:
    """{issuance public id: its monitoring report id} → {issuance public id: chain}, for issued issuances."""
    missing = {i: r for i, r in report_of_issuance.items() if i not in _CHAINS}
    if missing:
        reports = {r.id: r for r in await MonitoringReport.filter(id__in=list(missing.values()))}
        used: dict[int, list[ReportEstimate]] = {}
        for e in await ReportEstimate.filter(report_id__in=list(reports)).order_by("parcel_public_id"):
            used.setdefault(e.report_id, []).append(e)  # type: ignore[attr-defined]
        for issuance_id, report_id in missing.items():
            if report_id in reports:
                _CHAINS[issuance_id] = Chain(reports[report_id], used.get(report_id, []))
        while len(_CHAINS) > _CHAINS_MAX:
            _CHAINS.popitem(last=False)
    found = {}
    for issuance_id in report_of_issuance:
        if (chain := _CHAINS.get(issuance_id)) is not None:
            _CHAINS.move_to_end(issuance_id)
            found[issuance_id] = chain
    return found
