"""The calculator page's GET form → the inputs of a methodology (strings in, the service converts them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.methodology.schemas import INPUT_TYPES

CHECKBOXES = {
    "economic_forest",
    "on_wetland",
    "over_mature",
    "herd_displaced",
    "peat_soil",
    "ditches_existed",
    "ditches_blocked",
    "water_table_monitored",
}
NOT_INPUTS = {"lang", "version"}


def inputs_from_query(methodology_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    """Empty fields are left out (their defaults apply); ticked boxes are true; m1_*/m2_* make the measurements."""
    fields = set(INPUT_TYPES[methodology_id].__struct_fields__)
    out: dict[str, Any] = {}
    for name, raw in query.items():
        value = raw.strip()
        if name in NOT_INPUTS or name not in fields or name == "measurements":
            continue
        if name in CHECKBOXES:
            out[name] = value in {"on", "1", "true", "yes"}
        elif value:
            out[name] = value
    if "measurements" in fields:
        measurements = []
        for n in (1, 2):
            year, volume = query.get(f"m{n}_year", "").strip(), query.get(f"m{n}_volume", "").strip()
            if year or volume:
                measurements.append({"year": year, "volume_m3_per_ha": volume})
        if measurements:
            out["measurements"] = measurements
    return out
