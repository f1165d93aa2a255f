"""bench.scale_model turns a bench.suite results file into the sizing docs/scale-out.md shows.

No timings are asserted: the fixture is a results file kept as it was written, and the tests check the
arithmetic and that the documented tables are what the script prints from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import scale_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "suite_results.json"


def _measured() -> scale_model.Measured:
    return scale_model.measured(json.loads(FIXTURE.read_text()), source=FIXTURE.name)


def test_the_documented_tables_are_what_the_script_prints_from_the_fixture() -> None:
    doc = (ROOT / "docs" / "scale-out.md").read_text()
    block = re.search(r"<!-- scale_model:begin [^>]*-->\n(.*?)<!-- scale_model:end -->", doc, re.S)
    assert block is not None, "docs/scale-out.md lost its scale_model block"
    printed = scale_model.tables(_measured(), scale_model.parameters([]))
    assert block.group(1).strip() == printed.strip()


def test_rates_and_cores_follow_the_assumptions_linearly() -> None:
    m = _measured()
    base = scale_model.size("arbor_day", m, scale_model.parameters([]))
    doubled = scale_model.size("arbor_day", m, scale_model.parameters(["arbor_day.participants=2000000"]))
    assert doubled.rates["booking"] == pytest.approx(2 * base.rates["booking"])
    assert doubled.app_cores == pytest.approx(2 * base.app_cores)
    assert doubled.pg_cores == pytest.approx(2 * base.pg_cores)
    # 1,000,000 participants, one booking each, 20 % of them in the peak hour, twice that hour's mean rate
    assert base.rates["booking"] == pytest.approx(1_000_000 * 0.2 / 3600 * 2)
    cost = m.costs["booking"]
    expected = sum(r * m.costs[f].app_cpu_ms for f, r in base.rates.items()) / 1000 / 0.6
    assert base.app_cores == pytest.approx(expected) and cost.app_cpu_ms > 0
    assert base.workers >= base.app_cores and base.app_hosts >= 2 and base.redis_shards >= 1


def test_an_unknown_assumption_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match=r"arbor_day\.participant"):
        scale_model.parameters(["arbor_day.participant=5"])
